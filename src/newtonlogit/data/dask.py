"""Input checking for Dask data: a :class:`~.design.Design` of dask arrays.

Nothing here computes ``X``. What can be checked from metadata is checked up
front: shapes, dtypes, known chunk sizes, and that ``y``, ``weights`` and
``offset`` are split into the same row partitions as ``X``. The response and
the weights/offset (one column each, cheap to read) are checked in one pass
that also finds the two classes of ``y``; a non-finite value in ``X`` is found
in the partition where it lives, during the first Newton pass
(:mod:`newtonlogit.backends.dask`), and reported with the partition, row and
column.

NumPy or pandas ``y``/``weights``/``offset`` next to a dask ``X`` are split
into ``X``'s row chunks. Dask DataFrames and Series become dask arrays with one
pass to count each partition's rows (see :func:`frame_to_array`), and a
response, weights or offset taken from a frame is split into ``X``'s
partitions (dask, not the user, chose the frame's). Dask *arrays* split into
other partitions than ``X`` are refused: say how to align them.

Formulas on Dask DataFrames: ``nl.logit("y ~ x1 + C(g)", data=dask_df)``.

The encoding is learnt once on the client, by :mod:`newtonlogit.data.formula`, from
a small pandas *prototype*: the first rows of ``data``'s first partition, plus
one row for every level, seen anywhere in ``data``, of each categorical
variable (found in one pass over those columns only). Every partition is then
encoded by that same :class:`~newtonlogit.data.formula.FormulaSpec` on the workers,
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
import dask.array as da
import numpy as np
import pandas as pd
from dask.base import is_dask_collection
from scipy.special import gammaln

from ..backends.namespace import to_numpy
from ..exceptions import DataError
from .checks import checked_names
from .design import Design, Inputs, Totals


def make_dask_design(
    X: Any,
    y: Any,
    *,
    weights: Any = None,
    offset: Any = None,
    fit_intercept: bool = True,
    feature_names: Any = None,
    response: Any = None,
) -> Design:
    """Validate the Dask inputs of a fit without computing ``X``.

    ``response(labels, n) -> (codes, None, classes)``, if given, is a family's
    reader of a response of labels (as for :func:`.design.make_design`): it is
    run on the distinct labels found in the checking pass (a categorical's
    categories kept), and every partition's labels are then mapped to their
    codes lazily. Without it the response is binary.
    """
    matrix = as_dask_matrix(X)
    n, p = matrix.shape
    if n == 0:
        raise DataError("X has no rows: a fit needs data")
    names = checked_names(X, p, feature_names, fit_intercept)
    chunks = matrix.chunks[0]
    labels = _aligned(y, chunks, "y", 1 if response is not None else 2)
    w = None if weights is None else _aligned(weights, chunks, "weights", 1)
    off = None if offset is None else _aligned(offset, chunks, "offset", 1)
    summary = _summarize(labels, w, off, all_labels=response is not None)
    if response is not None:
        found = summary["labels"]
        codes, _, classes = response(_with_categories(found, y), len(found))
        successes = labels.map_blocks(
            _codes_of, found, np.asarray(codes, dtype=np.float64), dtype=np.float64
        )
        trials = None
    elif labels.ndim == 2:
        successes = labels[:, 0].astype(np.float64)
        trials = successes + labels[:, 1].astype(np.float64)
        classes = None
    else:
        classes = summary["classes"]
        successes = (labels == classes[1]).astype(np.float64)
        trials = None
    return Design(
        matrix,
        successes,
        trials,
        None if w is None else w.astype(np.float64),
        None if off is None else off.astype(np.float64),
        names,
        fit_intercept,
        classes,
        summary["constant"],
        totals=summary.get("totals"),
    )


def _with_categories(found: np.ndarray, y: Any):
    """The distinct labels, as a categorical with ``y``'s categories (and their
    order) when ``y`` is a categorical with known categories."""
    dtype = getattr(y, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype) and getattr(y.cat, "known", True):
        return pd.Categorical(found, categories=dtype.categories, ordered=dtype.ordered)
    return found


def _codes_of(block, labels: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Run on a worker: the codes of one partition's labels (all known)."""
    return codes[np.searchsorted(labels, to_numpy(block))]


def as_dask_matrix(X: Any) -> da.Array:
    """A 2-D float dask array, row-chunked, all columns in one block."""
    if _is_dask_frame(X):
        bad = [str(c) for c, t in X.dtypes.items() if not _numeric(t)]
        if bad:
            raise DataError(
                f"X has non-numeric column(s) {bad}: encode them as numbers "
                "first (or use a formula with C(...))"
            )
        X = frame_to_array(X)
    if X.ndim != 2:
        raise DataError(f"X must be 2-D (n_rows, n_features); got {X.ndim}-D")
    _check_known_chunks(X, "X")
    if X.dtype.kind in "biu" or (
        X.dtype.kind == "f" and X.dtype not in (np.float32, np.float64)
    ):
        X = X.astype(np.float64)
    elif X.dtype.kind != "f":
        raise DataError(
            f"X must be numeric; got values of type {X.dtype} "
            "(strings or objects): encode categorical columns first"
        )
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def frame_to_array(frame: Any, rows_of: Any = None) -> da.Array:
    """A dask DataFrame or Series as a dask array with known chunk sizes.

    The lengths come from the source's metadata, read nowhere, where they
    describe the array's partitions (dask-expr may fuse a Parquet-backed
    frame's partitions after column projection: then there are fewer), else
    the rows of the array's own chunks are counted, one pass over its columns.
    ``rows_of``: the frame ``frame`` was mapped from, partition by partition
    and row for row (a formula's encoding). The backend checks them all.
    """
    with warnings.catch_warnings():  # strings become objects: fine for labels
        warnings.filterwarnings("ignore", "Dask currently has limited support")
        arr = frame.to_dask_array()
        if any(np.isnan(c) for c in arr.chunks[0]):
            lengths = _metadata_lengths(frame if rows_of is None else rows_of)
            if lengths is not None and len(lengths) == arr.numblocks[0]:
                arr = frame.to_dask_array(lengths=lengths)
            else:
                arr.compute_chunk_sizes()
    return arr


def _metadata_lengths(frame: Any) -> tuple | None:
    """The frame's partition lengths where dask-expr knows them unread."""
    try:  # (dask-expr's expressions: not public API, so any failure is a no)
        from dask.dataframe.dask_expr._expr import Lengths, Literal

        lengths = Lengths(frame.expr).optimize()
    except Exception:  # noqa: BLE001
        return None
    return (
        tuple(int(n) for n in lengths.value) if isinstance(lengths, Literal) else None
    )


def _numeric(dtype) -> bool:
    return pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)


def _is_dask_frame(obj: Any) -> bool:
    return is_dask_collection(obj) and hasattr(obj, "to_dask_array")


def _check_known_chunks(a: da.Array, what: str) -> None:
    if any(np.isnan(c) for dim in a.chunks for c in dim):
        raise DataError(
            f"{what} has unknown chunk sizes (a dask array made from a DataFrame "
            "without lengths?): use df.to_dask_array(lengths=True) or "
            f"{what}.compute_chunk_sizes() first"
        )


def _aligned(v: Any, chunks: tuple, what: str, max_ndim: int = 2) -> da.Array:
    """``v`` as a dask array split into the row partitions ``chunks`` of X."""
    from_frame = _is_dask_frame(v)
    if from_frame:
        v = frame_to_array(v)
    elif not is_dask_collection(v):
        arr = np.asarray(v)
        if arr.ndim >= 1 and arr.shape[0] == sum(chunks):
            v = da.from_array(arr, chunks=(chunks, *arr.shape[1:]))
        else:
            v = da.from_array(arr)
    if v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.ndim > max_ndim or v.ndim == 0:
        raise DataError(f"{what} must be 1-D with one value per row; got {v.shape}")
    if v.ndim == 2 and v.shape[1] != 2:
        raise DataError(
            "y must be 1-D (labels) or 2-D with two columns (successes, failures); "
            f"got shape {v.shape}"
        )
    _check_known_chunks(v, what)
    if v.shape[0] != sum(chunks):
        raise DataError(f"{what} has {v.shape[0]} rows but X has {sum(chunks)}")
    if tuple(v.chunks[0]) != tuple(chunks) and from_frame:
        # dask chose the frame's partitions, not the user: split it like X
        v = v.rechunk((chunks, *v.chunks[1:]))
    if tuple(v.chunks[0]) != tuple(chunks):
        raise DataError(
            f"{what} is split into partitions of {_sizes(v.chunks[0])} rows but X "
            f"into {_sizes(chunks)}: partition {what} like X, e.g. "
            f"{what}.rechunk(X.chunks[0]), or take both from one DataFrame"
        )
    if v.ndim == 2 and len(v.chunks[1]) > 1:
        v = v.rechunk({1: -1})
    return v


def _sizes(chunks: tuple) -> str:
    shown = ", ".join(str(c) for c in chunks[:4])
    return f"({shown}{', ...' if len(chunks) > 4 else ''})"


def _summarize(response: da.Array, w, off, all_labels: bool = False) -> dict:
    """One pass over the response, weights and offset of every partition.

    Finds the classes of a label response and ``sum w log C(n, y)`` of a counts
    response, and raises naming the partition and row of the first bad value.
    ``all_labels``: return every distinct label (sorted) as ``labels``, for a
    family's own reader, instead of requiring two. A binary response's
    :class:`~.design.Totals` come from the same pass (``totals``), so that no
    later pass reads these columns for them.
    """
    ys = np.ravel(response.to_delayed())
    ws = [None] * len(ys) if w is None else np.ravel(w.to_delayed())
    offs = [None] * len(ys) if off is None else np.ravel(off.to_delayed())
    keep = None if all_labels else 6
    tasks = [
        dask.delayed(_partition_summary)(yi, wi, oi, keep)
        for yi, wi, oi in zip(ys, ws, offs)
    ]
    parts = dask.compute(*tasks)
    starts = np.concatenate([[0], np.cumsum(response.chunks[0])])
    for what in ("y", "weights", "offset"):
        for i, part in enumerate(parts):
            if part[what] is not None:
                row, problem = part[what]
                raise DataError(
                    f"{what} {problem} in partition {i} (rows {starts[i]}-"
                    f"{starts[i + 1] - 1}), at row {starts[i] + row}"
                )
    if w is not None and not any(part["positive_weight"] for part in parts):
        raise DataError("weights are all zero: nothing to fit")

    def totals(events, trials):
        keys = ("weight_sum", "positive", "offset_sum")
        sums = {k: sum(part[k] for part in parts) for k in keys}
        return Totals(float(events), float(trials), **sums)

    if response.ndim == 2:
        if not any(part["positive_trials"] for part in parts):
            raise DataError("every row has zero trials: nothing to fit")
        return {
            "constant": float(sum(part["constant"] for part in parts)),
            "totals": totals(*(sum(p[k] for p in parts) for k in ("events", "trials"))),
        }
    labels = [part["labels"] for part in parts if len(part["labels"])]
    classes = np.unique(np.concatenate(labels)) if labels else np.array([])
    if all_labels:
        return {"labels": classes, "constant": 0.0}
    if classes.size != 2:
        shown = ", ".join(repr(c) for c in classes[:5].tolist())
        raise DataError(
            f"y must have exactly two classes for binary logistic regression; "
            f"found {classes.size} ({shown}{', ...' if classes.size > 5 else ''})"
        )
    counted = [part for part in parts if len(part["labels"])]
    events = sum(float(np.sum(p["counts"][p["labels"] == classes[1]])) for p in counted)
    trials = sum(float(np.sum(p["counts"])) for p in counted)
    return {
        "classes": tuple(classes.tolist()),
        "constant": 0.0,
        "totals": totals(events, trials),
    }


def _partition_summary(y, w, off, keep: int | None = 6) -> dict:
    """Run on a worker: what :func:`_summarize` needs from one partition.

    The chunks (one or two columns) are checked as NumPy arrays, also where
    they live on a GPU (CuPy chunks).
    """
    y, w, off = (None if a is None else to_numpy(a) for a in (y, w, off))
    out = {"y": None, "weights": None, "offset": None, "labels": ()}
    out.update(weight_sum=float(len(y)), positive=len(y), offset_sum=0.0)
    if w is not None:
        w = w.astype(np.float64)
        out["weights"] = _first(~np.isfinite(w) | (w < 0), "is negative or not finite")
        out["positive_weight"] = bool((w > 0).any())
        out["weight_sum"] = float(np.sum(w))
        out["positive"] = int(np.count_nonzero(w > 0))
    if off is not None:
        off = off.astype(np.float64)
        out["offset"] = _first(~np.isfinite(off), "is not finite")
        out["offset_sum"] = float(np.sum(off))
    if y.ndim == 2:
        counts = y.astype(np.float64)
        bad = ~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))
        out["y"] = _first(bad.any(axis=1), "counts must be non-negative integers")
        if out["y"] is None:
            trials = counts[:, 0] + counts[:, 1]
            log_choose = (
                gammaln(trials + 1)
                - gammaln(counts[:, 0] + 1)
                - gammaln(counts[:, 1] + 1)
            )
            out["constant"] = float(np.sum(log_choose if w is None else w * log_choose))
            out["positive_trials"] = bool((trials > 0).any())
            ones = 1.0 if w is None else w
            out["events"] = float(np.sum(ones * counts[:, 0]))
            out["trials"] = float(np.sum(ones * trials))
        return out
    missing = ~np.isfinite(y) if y.dtype.kind == "f" else np.asarray(pd.isna(y))
    out["y"] = _first(missing, "has a missing or non-finite value")
    if out["y"] is None:
        # (a binary fit needs only a few: more than two is an error already),
        # with the (weighted) number of rows of each
        labels, codes = np.unique(y, return_inverse=True)
        counts = np.bincount(codes.ravel(), weights=w, minlength=labels.size)
        out["labels"], out["counts"] = labels[:keep], counts[:keep]
    return out


def _first(bad: np.ndarray, problem: str):
    return (int(np.flatnonzero(bad)[0]), problem) if bad.any() else None


def fit_estimator(
    estimator, X: Any, y: Any, sample_weight: Any = None, groups: Any = None
):
    """``LogisticRegression.fit`` on Dask data, without computing ``X`` first."""
    estimator._fit_binary(X, y, sample_weight, groups, None)
    results = estimator.results_
    columns = getattr(X, "columns", None)
    if columns is not None and all(isinstance(c, str) for c in columns):
        estimator.feature_names_in_ = np.asarray(list(columns), dtype=object)
    estimator.n_features_in_ = len(results.feature_names)
    estimator.classes_ = np.asarray(results.classes)
    return estimator


def decision_function(estimator, X: Any) -> da.Array:
    """The log-odds for Dask ``X``, lazily (a dask array, one value per row)."""
    if _is_dask_frame(X):
        X = X.to_dask_array()
    if X.ndim != 2 or X.shape[1] != estimator.n_features_in_:
        raise DataError(
            f"X has shape {X.shape}, but the model was fitted on "
            f"{estimator.n_features_in_} features"
        )
    return X @ estimator.coef_[0] + estimator.intercept_[0]


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
    used = [v for v in spec.variables if v in data.columns]  # X's passes read these
    used = data[used] if used else data
    X = frame_to_array(used.map_partitions(_encode_partition, spec, meta=meta), used)
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
        resolved.get("segments"),
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
                # set in place: a categorical column keeps its dtype (and the
                # order of its categories), where row[column] = value would not
                row.loc[row.index[0], column] = value
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
