"""Formulas on Dask DataFrames: ``nl.logit("y ~ x1 + C(g)", data=dask_df)``.

The encoding is learnt once on the client, by :mod:`newtonlogit.formula`, from
a small pandas *prototype*: the first rows of ``data``'s first partition, plus
one row for every level, seen anywhere in ``data``, of each categorical
variable (found in one pass over those columns only). Every partition is then
encoded by that same :class:`~newtonlogit.formula.FormulaSpec` on the workers,
as new data would be at predict time, so the model matrix is never gathered.

Stateful transforms (``center``, ``scale``, ``poly``, ``bs``, ...) are refused:
their state would come from the prototype rows, not from all the data.
Missing values are refused too (``missing="drop"`` would need the partitions'
new lengths): drop them with ``data.dropna(subset=[...])`` first.
"""

from __future__ import annotations

import warnings
from typing import Any

import dask
import numpy as np
import pandas as pd

from .exceptions import DataError
from .inputs import Inputs

PROTOTYPE_ROWS = 1000


def encode_dask_formula(
    formula: str,
    data: Any,
    *,
    extras: dict[str, Any] | None = None,
    missing: str = "raise",
) -> Inputs:
    """Lazily encode the dask DataFrame ``data`` by ``formula`` for a fit."""
    from .formula import encode_formula

    if missing != "raise":
        raise DataError(
            "missing='drop' is not available for Dask data: drop the rows first, "
            "e.g. data.dropna(subset=[...]); missing values are refused per partition"
        )
    extras = dict(extras or {})
    named = {what: v for what, v in extras.items() if isinstance(v, str)}
    with warnings.catch_warnings():  # a short first partition is fine
        warnings.filterwarnings("ignore", "Insufficient elements for `head`")
        head = data.head(PROTOTYPE_ROWS)  # from the first partition only
    if len(head) == 0:
        raise DataError("the first partition of data is empty: repartition it")
    spec = encode_formula(formula, head, extras=named).spec
    levels = _levels(data, spec)
    if levels:
        spec = encode_formula(formula, _prototype(head, levels), extras=named).spec
    if spec.transform_state:
        raise DataError(
            f"formula {formula!r} uses stateful transforms "
            f"({', '.join(spec.transform_state)}), whose state would come from a "
            "sample, not all the data: compute those columns in the Dask "
            "DataFrame first"
        )
    if len(spec.response) == 1 and spec.response[0] not in data.columns:
        raise DataError(
            f"the response {spec.response[0]!r} is an expression: with Dask data, "
            "add it as a column of data first"
        )
    meta = pd.DataFrame({c: pd.Series(dtype=np.float64) for c in spec.columns})
    X = data.map_partitions(_encode_partition, spec, meta=meta)
    response = list(spec.response)
    y = data[response] if len(response) == 2 else data[response[0]]
    resolved = {
        what: data[v] if isinstance(v, str) else v for what, v in extras.items()
    }
    return Inputs(
        X,
        y,
        resolved.get("weights"),
        resolved.get("offset"),
        spec.fit_intercept,
        spec.columns,
        spec,
        0,
        resolved.get("groups"),
    )


def _levels(data, spec) -> dict[str, np.ndarray]:
    """Every level, in all of ``data``, of each variable encoded as categorical."""
    from .formula import _single_variable

    columns = set()
    for factor, (kind, _) in spec.encoder_state.items():
        if kind == "categorical":
            column = _single_variable(factor, data.columns)
            if column is not None:
                columns.add(column)
    columns = sorted(columns)
    uniques = dask.compute(*[data[c].drop_duplicates() for c in columns])
    return {c: np.asarray(u) for c, u in zip(columns, uniques)}


def _prototype(head: pd.DataFrame, levels: dict) -> pd.DataFrame:
    """``head`` plus one copy of its first row for each level it lacks."""
    extra = []
    for column, values in levels.items():
        seen = set(head[column].tolist())
        for value in values:
            if value not in seen and not pd.isna(value):
                row = head.iloc[[0]].copy()
                row[column] = value
                extra.append(row)
    return pd.concat([head, *extra], ignore_index=True) if extra else head


def _encode_partition(frame: pd.DataFrame, spec, partition_info=None) -> pd.DataFrame:
    """Run on a worker: one partition's model matrix (without the intercept).

    Problems are reported as the training data's, with the partition and the
    index label of the first bad row (rows are numbered per partition here).
    """
    where = f"partition {(partition_info or {}).get('number', '?')} of data"
    variables = [v for v in spec.variables if v in frame.columns]
    rows = frame[variables].isna().to_numpy().any(axis=1)
    if rows.any():
        bad = [c for c in variables if frame[c].isna().any()]
        label = frame.index[int(np.flatnonzero(rows)[0])]
        raise DataError(
            f"{where} has missing values in {int(rows.sum())} of {rows.size} rows "
            f"(the first with index {label!r}), in column(s) {bad}: drop them "
            f"first, e.g. data.dropna(subset={bad}) (missing='drop' is not "
            "available for Dask data)"
        )
    try:
        return spec.model_matrix(frame).astype(np.float64)
    except DataError as exc:
        message = str(exc).replace("new data", "the data")
        raise DataError(f"{where}: {message}") from None
