"""Input checking: the checks of one argument at a time.

Everything a user can get wrong is caught here, with a message that names the
column or row and says what to do. ``X`` is never copied when it already is a
float32/float64 NumPy array (C- or F-ordered); the finiteness check runs in
row blocks so that it needs only block-sized memory. Responses are read here
too: binary labels, (successes, failures) counts, K class labels.
"""

from __future__ import annotations

import sys
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from ..backends.numpy import default_block_rows, map_blocks
from ..exceptions import DataError

INTERCEPT = "Intercept"


def as_frame(obj: Any) -> nw.DataFrame | None:
    """``obj`` as a narwhals DataFrame if it is one of the DataFrames narwhals
    knows (pandas, polars, pyarrow, ...), else None. Imports no optional
    library: narwhals only looks at what is already in ``sys.modules``."""
    frame = _from_native(obj, eager_only=True, pass_through=True)
    return frame if isinstance(frame, nw.DataFrame) else None


def _from_native(obj: Any, **options):
    """``nw.from_native``, refusing duplicate column names in our words."""
    check_column_names(obj)
    return nw.from_native(obj, **options)


def check_column_names(obj: Any) -> None:
    """Refuse a DataFrame whose column names repeat, naming them."""
    columns = getattr(obj, "columns", None)
    if columns is None or isinstance(obj, np.ndarray):
        return
    names = [str(c) for c in columns]
    repeated = sorted({c for c in names if names.count(c) > 1})
    if repeated:
        raise DataError(
            f"the data have duplicate column names {repeated}: "
            "rename the columns so that each name is used once"
        )


def as_array(obj: Any) -> np.ndarray:
    """A NumPy array from an array-like, a pandas/polars Series or DataFrame."""
    wrapped = _from_native(obj, eager_only=True, allow_series=True, pass_through=True)
    if isinstance(wrapped, (nw.DataFrame, nw.Series)):
        return wrapped.to_numpy()
    return np.asarray(obj)


def feature_names_of(X: Any, n_features: int) -> tuple[str, ...]:
    frame = as_frame(X)
    columns = frame.columns if frame is not None else getattr(X, "columns", None)
    if columns is not None:
        return tuple(str(c) for c in columns)
    return tuple(f"x{j + 1}" for j in range(n_features))


def checked_names(
    X: Any, p: int, feature_names: Any, fit_intercept: bool
) -> tuple[str, ...]:
    """Column names of X (or ``feature_names``), checked for clashes."""
    names = feature_names_of(X, p)
    if feature_names is not None:
        names = tuple(str(c) for c in feature_names)
        if len(names) != p:
            raise DataError(
                f"feature_names has {len(names)} names but X has {p} columns"
            )
    if len(set(names)) != len(names):
        raise DataError("X has duplicate column names")
    check_coefficients(p, fit_intercept)
    if fit_intercept and INTERCEPT in names:
        raise DataError(
            f"X has a column named {INTERCEPT!r}; drop it and use fit_intercept=True"
        )
    return names


def check_coefficients(p: int, fit_intercept: bool) -> None:
    """Refuse a model with no coefficients (no columns and no intercept)."""
    if p == 0 and not fit_intercept:
        raise DataError(
            "the model has no coefficients to fit: X has no columns and there is "
            "no intercept (a formula 'y ~ 0'); add a column or the intercept"
        )


def as_matrix(X: Any, name: str = "X") -> np.ndarray:
    """A 2-D float32/float64 array, without copying when ``X`` already is one."""
    if _is_sparse(X):
        return sparse_matrix(X, name)
    frame = None if isinstance(X, np.ndarray) else as_frame(X)
    if frame is not None:
        bad = [str(c) for c, t in frame.schema.items() if not _is_numeric_dtype(t)]
        if bad:
            raise DataError(
                f"{name} has non-numeric column(s) {bad}: encode them as numbers "
                "first (or use a formula with C(...))"
            )
        X = frame.to_numpy()
    elif not isinstance(X, np.ndarray):
        X = np.asarray(X)
    check_2d(X.ndim, name)
    if X.dtype.kind in "biu":
        X = X.astype(np.float64)
    elif X.dtype.kind == "f" and X.dtype not in (np.float32, np.float64):
        X = X.astype(np.float64)
    elif X.dtype.kind != "f":
        if X.dtype.kind == "O":
            try:  # (pandas' NA of nullable columns as NaN: a missing value)
                X = np.where(pd.isna(X), np.nan, X)
                return as_matrix(X.astype(np.float64), name)
            except (TypeError, ValueError):
                pass
        raise DataError(
            f"{name} must be numeric; got values of type {X.dtype} "
            "(strings or objects): encode categorical columns first"
        )
    return X


def check_2d(ndim: int, name: str) -> None:
    """Refuse a feature matrix that is not 2-D, saying how to fix a 1-D one."""
    if ndim == 1:
        raise DataError(
            f"{name} must be 2-D (n_rows, n_features); got a 1-D array. "
            "Reshape a single feature with X.reshape(-1, 1)."
        )
    if ndim != 2:
        raise DataError(f"{name} must be 2-D (n_rows, n_features); got {ndim}-D")


def _is_sparse(X: Any) -> bool:
    mod = sys.modules.get("scipy.sparse")
    return mod is not None and mod.issparse(X)


def sparse_matrix(X: Any, name: str = "X"):
    """A scipy.sparse CSR or CSC matrix of float32/float64, kept as it is if it is
    one already (other formats are converted to CSR, integers to float64)."""
    check_2d(X.ndim, name)
    if X.format not in ("csr", "csc"):
        X = X.tocsr()
    if X.dtype.kind in "biu" or (
        X.dtype.kind == "f" and X.dtype not in (np.float32, np.float64)
    ):
        X = X.astype(np.float64)
    elif X.dtype.kind != "f":
        raise DataError(f"{name} must be numeric; got a sparse matrix of {X.dtype}")
    return X


def _sparse_nan_rows(X) -> np.ndarray:
    """Rows of a CSR/CSC matrix holding a NaN among their stored values."""
    nan = np.isnan(X.data)
    if X.format == "csc":
        return X.indices[nan]
    return np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))[nan]


def _check_finite_sparse(X, names, what: str) -> None:
    bad = np.flatnonzero(~np.isfinite(X.data))
    if not bad.size:
        return
    pos = int(bad[0])
    major = int(np.searchsorted(X.indptr, pos, side="right")) - 1
    minor = int(X.indices[pos])
    row, col = (major, minor) if X.format == "csr" else (minor, major)
    raise DataError(
        f"{what} column {names[col]!r} has a non-finite value "
        f"({X.data[pos]}) at row {row}: remove or impute missing values"
    )


def _is_numeric_dtype(dtype) -> bool:
    return dtype.is_numeric() or dtype == nw.Boolean


def block_square_sums(X: np.ndarray) -> np.ndarray:
    """The sum of squares of each row block of a dense ``X``: one read of
    ``X`` on the fit's threads. Finite exactly where the block holds only
    finite values whose squares add up without overflow, so one pass serves
    both :func:`check_finite_matrix` and the magnitude check of a fit."""

    def squares(_, block):
        with np.errstate(over="ignore", invalid="ignore"):
            # (no temporary; BLAS's dot would hold the other threads back)
            return float(np.einsum("ij,ij->", block, block))

    return np.array(map_blocks(squares, X), dtype=np.float64)


def check_finite_matrix(
    X: np.ndarray, names, what: str = "X", squares: np.ndarray | None = None
) -> None:
    """Raise naming the first row and column holding NaN or inf, and counting
    the rows and naming the columns that hold any (blockwise). ``squares``:
    :func:`block_square_sums` of ``X`` where the caller has them; only blocks
    whose sum is not finite are looked at row by row."""
    if _is_sparse(X):
        return _check_finite_sparse(X, names, what)
    if squares is None:
        squares = block_square_sums(X)
    if np.isfinite(squares).all():
        return
    first = None
    n_bad, bad_columns = 0, np.zeros(X.shape[1], dtype=bool)
    for (start, block), total in zip(_row_blocks(X), squares):
        if np.isfinite(total):
            continue
        bad = ~np.isfinite(block)
        rows = bad.any(axis=1)
        if rows.any() and first is None:
            r, c = np.nonzero(bad)
            first = (start + int(r[0]), int(c[0]))
        n_bad += int(rows.sum())
        bad_columns |= bad.any(axis=0)
    if first is not None:
        row, col = first
        columns = [names[j] for j in np.flatnonzero(bad_columns)]
        raise DataError(
            f"{what} column {names[col]!r} has a non-finite value "
            f"({X[row, col]}) at row {row}; {n_bad} row(s) in all have missing "
            f"(NaN) or infinite values, in column(s) {columns}: impute or remove "
            f"them{_DROP_ADVICE if what != 'X_new' else ' before predicting'}"
        )


_DROP_ADVICE = " (missing='drop' drops rows with missing values)"


def _row_blocks(X: np.ndarray):
    step = default_block_rows(X.shape[1])
    for start in range(0, X.shape[0], step):
        yield start, X[start : start + step]


def drop_missing(X: Any, y: Any, extras: dict[str, Any]):
    """Drop the rows where X, y or a per-row extra (weights, offset, groups)
    holds a missing value (NaN or null; infinities are not missing and are
    left for the checks to name).

    Returns ``(X, y, extras, feature_names, n_dropped)``: X as a matrix,
    ``extras`` with the same keys. Nothing is copied when no row is missing.
    """
    matrix = as_matrix(X)
    names = feature_names_of(X, matrix.shape[1])
    keep = np.ones(matrix.shape[0], dtype=bool)
    if _is_sparse(matrix):
        keep[_sparse_nan_rows(matrix)] = False
    else:
        for start, block in _row_blocks(matrix):
            keep[start : start + block.shape[0]] = ~np.isnan(block).any(axis=1)
    y_arr = as_array(y)
    keep &= ~_missing_rows(y_arr, matrix.shape[0], "y")
    arrays = {k: None if v is None else as_array(v) for k, v in extras.items()}
    for what, arr in arrays.items():
        if arr is not None:
            keep &= ~_missing_rows(arr, matrix.shape[0], what)
    n_dropped = int(keep.size - keep.sum())
    if n_dropped == 0:
        return matrix, y_arr, arrays, names, 0
    subset = {k: None if a is None else a[keep] for k, a in arrays.items()}
    return matrix[keep], y_arr[keep], subset, names, n_dropped


def _missing_rows(arr: np.ndarray, n: int, what: str) -> np.ndarray:
    if arr.shape[0] != n:
        raise DataError(f"{what} has {arr.shape[0]} rows but X has {n}")
    missing = pd.isna(arr)
    return missing.any(axis=1) if missing.ndim == 2 else missing


def as_vector(v: Any, n: int, what: str) -> np.ndarray:
    arr = as_array(v)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"{what} must be 1-D with one value per row; got {arr.shape}")
    if arr.shape[0] != n:
        raise DataError(f"{what} has {arr.shape[0]} rows but X has {n}")
    try:
        arr = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError(f"{what} must be numeric") from None
    bad = ~np.isfinite(arr)
    if bad.any():
        raise DataError(
            f"{what} has a non-finite value ({arr[bad][0]}) at row "
            f"{int(np.flatnonzero(bad)[0])}"
        )
    return arr


def label_vector(y: Any, n: int):
    """``y`` as a 1-D vector of ``n`` labels, or None for (successes, failures).

    Only shapes are looked at, so NumPy and device arrays share it.
    """
    if y.ndim == 2 and y.shape[1] == 2:
        return None
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DataError(
            "y must be 1-D (labels) or 2-D with two columns (successes, failures); "
            f"got shape {y.shape}"
        )
    if y.shape[0] != n:
        raise DataError(f"y has {y.shape[0]} rows but X has {n}")
    return y


def binary_response(y: Any, n: int):
    """Successes, trials and class labels from any of the accepted forms of y."""
    arr = as_array(y)
    labels = label_vector(arr, n)
    if labels is None:
        return _counts_response(arr, n)
    arr = labels
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise DataError(f"y has a non-finite value ({arr[row]}) at row {row}")
    if arr.dtype.kind == "O" and pd.isna(arr).any():
        row = int(np.flatnonzero(pd.isna(arr))[0])
        raise DataError(f"y has a missing value at row {row}")
    two = _two_numbers(arr)
    if two is not None:  # (the usual y: 22 ms at 10,000,000 rows, against 100)
        low, high, successes = two
        return successes.astype(np.float64), None, (low, high)
    classes = unique_labels(arr)
    if classes.size != 2:
        shown = ", ".join(repr(c) for c in classes[:5].tolist())
        raise DataError(
            f"y must have exactly two classes for binary logistic regression; "
            f"found {classes.size} ({shown}{', ...' if classes.size > 5 else ''})"
        )
    successes = (arr == classes[1]).astype(np.float64)
    return successes, None, tuple(classes.tolist())


def _two_numbers(arr: np.ndarray):
    """``(low, high, arr == high)`` where the numeric ``arr`` holds exactly two
    distinct values, else ``None``: a few passes instead of hashing each value."""
    if arr.dtype.kind not in "biuf" or arr.size == 0:
        return None
    low, high = arr.min(), arr.max()
    top, n = arr == high, arr.size
    two = low < high and np.count_nonzero(top) + np.count_nonzero(arr == low) == n
    return (low.item(), high.item(), top) if two else None


def check_labels(y: Any) -> None:
    """Refuse labels with a missing value or of mixed types, naming them."""
    arr = None if y is None else as_array(y)
    if arr is None or arr.ndim == 0 or arr.dtype.kind != "O":
        return  # (scikit-learn's checks say what is wrong with no y)
    missing = pd.isna(arr)
    if missing.any():
        row = np.flatnonzero(missing.reshape(missing.shape[0], -1).any(axis=1))[0]
        raise DataError(f"y has a missing value at row {int(row)}")
    unique_labels(arr.ravel())


def unique_labels(arr: np.ndarray) -> np.ndarray:
    """The sorted distinct labels of ``y``; labels that cannot be ordered
    together (numbers and strings) are refused, naming two of them."""
    try:  # (distinct values by hashing, O(n), then sorted: np.unique sorts
        # all n, 0.15 s of a 10,000,000-row fit)
        return np.sort(pd.unique(arr))
    except TypeError:
        kinds = {}
        for value in arr.tolist():
            kinds.setdefault(type(value).__name__, value)
        shown = ", ".join(f"{v!r} ({k})" for k, v in list(kinds.items())[:3])
        raise DataError(
            f"y mixes labels of different types ({shown}): make them all "
            "numbers or all strings"
        ) from None


def _counts_response(arr: np.ndarray, n: int):
    if arr.shape[0] != n:
        raise DataError(f"y has {arr.shape[0]} rows but X has {n}")
    try:
        counts = arr.astype(np.float64)
    except (TypeError, ValueError):
        raise DataError("(successes, failures) counts must be numeric") from None
    return counts_response(np, counts)


def first_bad_row(xp, bad) -> int | None:
    """The first row where the boolean vector ``bad`` is set, or None."""
    if not bool(xp.any(bad)):
        return None
    return int(xp.nonzero(bad)[0][0])


def counts_response(xp, counts):
    """``(successes, trials, None)`` from float64 (successes, failures) columns
    in the namespace ``xp``, which must be non-negative integers."""
    for j, what in enumerate(("successes", "failures")):
        col = counts[:, j]
        bad = ~xp.isfinite(col) | (col < 0) | (col != xp.round(col))
        row = first_bad_row(xp, bad)
        if row is not None:
            raise DataError(
                f"{what} must be non-negative integers; row {row} has {float(col[row])}"
            )
    return counts[:, 0], counts[:, 0] + counts[:, 1], None


def multiclass_response(y: Any, n: int, base: Any = None):
    """Class codes of a K-class response, the base class as code 0.

    Returns ``(codes, None, classes)`` where ``classes`` lists the labels in
    *fit order*: the base class first (default: the first in sorted order),
    then the others in sorted order, and ``codes[i]`` is the position of
    ``y[i]`` in ``classes`` (float64). The categories of a pandas categorical
    ``y`` are its classes, so an unused category is reported as a class with no
    rows.
    """
    categories = getattr(getattr(y, "cat", None), "categories", None)
    if isinstance(y, pd.Categorical):
        categories = y.categories
    arr = as_array(y)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise DataError(f"y must be 1-D (one class label per row); got {arr.shape}")
    if arr.shape[0] != n:
        raise DataError(f"y has {arr.shape[0]} rows but X has {n}")
    missing = pd.isna(arr)
    if missing.any():
        row = int(np.flatnonzero(missing)[0])
        raise DataError(f"y has a missing or non-finite value at row {row}")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise DataError(f"y has a non-finite value ({arr[row]}) at row {row}")
    classes = unique_labels(arr) if categories is None else np.asarray(categories)
    if classes.size < 2:
        shown = ", ".join(map(repr, classes.tolist()))
        raise DataError(
            f"y has {classes.size} class(es) ({shown}): at least two are needed"
        )
    # numpy scalars (np.str_, np.int64) as plain Python values, for display
    labels = [c.item() if isinstance(c, np.generic) else c for c in classes.tolist()]
    if base is None:
        base = labels[0]
    matches = [i for i, c in enumerate(labels) if c == base]
    if not matches:
        raise DataError(f"base {base!r} is not one of the classes {labels}")
    order = [matches[0], *(i for i in range(len(labels)) if i != matches[0])]
    position = np.empty(len(labels), dtype=np.float64)
    position[order] = np.arange(len(labels))
    index = np.searchsorted(classes, arr) if categories is None else None
    if index is None:
        index = pd.Categorical(arr, categories=categories).codes
    codes = position[index]
    counts = np.bincount(index, minlength=len(labels))
    empty = [labels[i] for i in np.flatnonzero(counts == 0)]
    if empty:
        raise DataError(f"class(es) {empty} have no rows in the data")
    return codes, None, tuple(labels[i] for i in order)


def frozen_array(a) -> np.ndarray:
    """A read-only float64 copy of ``a`` (the arrays a results object holds)."""
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


def align_columns(X_new: Any, names: tuple[str, ...]) -> np.ndarray:
    """X_new as a matrix whose columns are the training columns, in order."""
    frame = as_frame(X_new)
    if frame is not None:
        by_name = {str(c): c for c in frame.columns}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise DataError(f"X_new lacks the training column(s) {missing}")
        X_new = frame.select(*[by_name[n] for n in names])
    X = as_matrix(X_new, "X_new")
    if X.shape[1] != len(names):
        raise DataError(
            f"X_new has {X.shape[1]} columns but the model was fitted on {len(names)}"
        )
    return X
