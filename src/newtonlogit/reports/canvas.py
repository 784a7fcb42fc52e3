"""What the figures of :mod:`newtonlogit.reports.plot` and
:mod:`newtonlogit.reports.levels` share: data as pandas, and the values at
which the other predictors are held when one is varied."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..exceptions import DataError


def _typical(column: pd.Series, categorical: bool):
    numeric = pd.api.types.is_numeric_dtype(column)
    if numeric and not categorical and not pd.api.types.is_bool_dtype(column):
        return column.mean()
    return column.mode(dropna=True).iloc[0]


def _categorical_columns(results: Any, columns) -> set[str]:
    """Columns a formula encodes as categories (``C(rank)``): held at their
    most common value, since their mean may not be a level."""
    from ..data.formula import _single_variable

    spec = results.model_spec
    if spec is None:
        return set()
    found = set()
    for factor, (kind, _state) in spec.encoder_state.items():
        if kind == "categorical":
            found.add(_single_variable(factor, columns))
    return found - {None}


def _pandas(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    from ..data.checks import as_frame

    frame = as_frame(data)
    if frame is None:
        raise DataError("plots need the data as a DataFrame (pandas, polars, ...)")
    return frame.to_pandas()
