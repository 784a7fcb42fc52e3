"""What ``logit`` fits, whichever front end it came from.

:func:`resolve_inputs` turns the user's arguments into :class:`Inputs`: a
formula string with ``data`` goes to :mod:`newtonlogit.data.formula` (on
Dask, :mod:`newtonlogit.data.dask`); matrices
(NumPy, any DataFrame narwhals knows, device arrays) pass through, with rows
holding missing values dropped and counted when ``missing="drop"``.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from ..exceptions import DataError
from .checks import drop_missing
from .design import Inputs

MISSING = ("raise", "drop")


def resolve_inputs(
    X: Any,
    y: Any,
    *,
    data: Any,
    weights: Any,
    offset: Any,
    missing: str,
    fit_intercept: bool,
    feature_names: Any,
    groups: Any = None,
    segments: Any = None,
) -> Inputs:
    """Turn a formula (``X`` a string, with ``data``) or matrices into Inputs.

    Missing values: ``missing="raise"`` leaves them to the checks, which count
    the rows and name the columns; ``"drop"`` drops those rows and counts them.
    With a formula, ``weights``, ``offset``, ``groups`` and ``segments`` (the
    strata of a matched design) may name columns.
    """
    if missing not in MISSING:
        raise ValueError(f"missing must be one of {MISSING}; got {missing!r}")
    if isinstance(X, str):
        if y is not None:
            raise ValueError("with a formula, the response is in the formula: omit y")
        from ..backends import is_dask
        from .formula import encode_formula

        if is_dask(data):  # encoded partition by partition on the workers
            from .dask import encode_dask_formula as encode_formula
        extras = {"weights": weights, "offset": offset, "groups": groups}
        if segments is not None:
            extras["segments"] = segments
        inputs = encode_formula(X, data, extras=extras, missing=missing)
        if not fit_intercept and inputs.fit_intercept:
            raise ValueError(
                "a formula says whether there is an intercept: write 'y ~ 0 + ...' "
                "(or '... - 1') instead of fit_intercept=False"
            )
        return inputs
    if data is not None:
        raise ValueError("data= is used with a formula string as first argument")
    if y is None:
        raise ValueError("logit(X, y) needs y (or a formula string and data=)")
    n_dropped = 0
    if missing == "drop":
        from ..backends import is_device_array

        if any(is_device_array(a) for a in (X, y, weights, offset)):
            raise ValueError(
                "missing='drop' works on host data (NumPy or DataFrames); drop "
                "the rows with missing values from device arrays first"
            )
        extras = {"weights": weights, "offset": offset, "groups": groups}
        extras["segments"] = segments
        X, y, extras, names, n_dropped = drop_missing(X, y, extras)
        weights, offset, groups = extras["weights"], extras["offset"], extras["groups"]
        segments = extras["segments"]
        if n_dropped and feature_names is None:
            feature_names = names
        if n_dropped and X.shape[0] == 0:
            raise DataError(f"every row has a missing value ({n_dropped} dropped)")
    return Inputs(
        X,
        y,
        weights,
        offset,
        fit_intercept,
        feature_names,
        None,
        n_dropped,
        groups,
        segments,
    )


def check_solver_options(
    alpha: Any, tol: Any, max_iter: Any
) -> tuple[float, float, int]:
    """``(alpha, tol, max_iter)`` as numbers, or a ``ValueError`` naming the
    option: ``alpha`` a finite number >= 0, ``tol`` a finite number > 0,
    ``max_iter`` an integer >= 0 (booleans are none of these)."""

    def real(value) -> bool:
        return isinstance(value, numbers.Real) and not isinstance(value, bool)

    if not (real(alpha) and np.isfinite(alpha) and alpha >= 0):
        raise ValueError(f"alpha must be a non-negative number; got {alpha!r}")
    if not (real(tol) and np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive number; got {tol!r}")
    if not (isinstance(max_iter, numbers.Integral) and not isinstance(max_iter, bool)):
        raise ValueError(f"max_iter must be a whole number; got {max_iter!r}")
    if max_iter < 0:
        raise ValueError(f"max_iter must be non-negative; got {max_iter!r}")
    return float(alpha), float(tol), int(max_iter)


__all__ = ["MISSING", "Inputs", "check_solver_options", "resolve_inputs"]
