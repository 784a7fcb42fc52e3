"""The reader of an ordered response (the ordinal fit's ``response``): its
levels in order, from ``levels=``, from the response's type (an ordered pandas
categorical, a polars ``Enum``) or from sorted numbers, and each row's code."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from .checks import as_array


def category_order(y: Any) -> list | None:
    """The order an ordered response carries in its type: the categories of an
    ordered pandas categorical or of a polars ``Enum``; None otherwise.

    An unordered pandas categorical is refused: its categories have no order.
    """
    dtype = getattr(y, "dtype", None)
    if isinstance(y, pd.Categorical) or isinstance(dtype, pd.CategoricalDtype):
        dtype = y.dtype
        if not dtype.ordered:
            raise DataError(
                "y is an unordered categorical: make it ordered "
                "(pd.Categorical(..., ordered=True)) or pass levels=[...] in order"
            )
        return dtype.categories.tolist()
    if type(dtype).__name__ == "Enum" and hasattr(dtype, "categories"):
        return list(dtype.categories)  # polars Enum
    return None


def ordinal_response(y: Any, n: int, levels: Any = None):
    """Category codes ``0..J-1`` of an ordered response, and its levels in order.

    The order is ``levels`` if given, else the one ``y``'s type carries
    (:func:`category_order`), else the sorted values of a numeric ``y``.
    Labels without an order (strings) need ``levels``. Returns
    ``(codes, None, levels)``; a level without rows, or a value that is not a
    level, is an error.
    """
    order = list(levels) if levels is not None else category_order(y)
    arr = as_array(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"y must be 1-D (one category per row); got {arr.shape}")
    if arr.shape[0] != n:
        raise DataError(f"y has {arr.shape[0]} rows but X has {n}")
    missing = np.asarray(pd.isna(arr))
    if arr.dtype.kind == "f":
        missing |= ~np.isfinite(arr)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise DataError(f"y has a missing or non-finite value at row {row}")
    if order is None:
        if arr.dtype.kind not in "biuf":
            raise DataError(
                f"y holds labels of type {arr.dtype} with no order: pass "
                "levels=[lowest, ..., highest], or an ordered categorical"
            )
        order = [c.item() for c in np.unique(arr)]
    if len(set(order)) != len(order):
        raise DataError(f"levels has repeated entries: {order}")
    if len(order) < 2:
        raise DataError(f"y has {len(order)} level(s) ({order}): at least two needed")
    index = np.asarray(pd.Index(order).get_indexer(arr))
    if (index < 0).any():
        row = int(np.flatnonzero(index < 0)[0])
        raise DataError(
            f"y has the value {arr[row]!r} at row {row}, which is not one of the "
            f"levels {order}"
        )
    counts = np.bincount(index, minlength=len(order))
    empty = [order[i] for i in np.flatnonzero(counts == 0)]
    if empty:
        raise DataError(f"level(s) {empty} of y have no rows in the data")
    order = [c.item() if isinstance(c, np.generic) else c for c in order]
    return index.astype(np.float64), None, tuple(order)


__all__ = ["category_order", "ordinal_response"]
