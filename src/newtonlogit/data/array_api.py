"""Input checking for array-API data (CuPy), done where the data live.

The counterpart of :mod:`newtonlogit.data.design` for arrays that a registered
array-API backend sums over (``is_device_array``): CuPy on a GPU, and
``array_api_strict`` on the CPU, which the tests use to run this very code
without a GPU. ``X`` is never copied to the host: its finiteness check sums
row blocks on the device and brings back one small vector, and only when
that vector shows a non-finite value is the offending block searched for
its row and column. ``y``, ``weights`` and ``offset`` must be arrays of the
same library on the same device as ``X``; they are converted to float64
there. The result is an ordinary :class:`~newtonlogit.data.design.Design` whose
arrays are device arrays.
"""

from __future__ import annotations

from typing import Any

from ..backends import is_device_array
from ..backends.namespace import device_of, library_name, namespace_of, to_numpy
from ..exceptions import DataError
from .checks import check_2d, checked_names, counts_response, label_vector
from .design import Design, finish_design, first_bad_row

# Elements summed at a time by the finiteness check (about 1 GiB of float64).
CHECK_ELEMENTS = 1 << 27


def check_same_place(**arrays: Any) -> Any:
    """The shared namespace of the given arrays, or ``ValueError``.

    All of them must be arrays of one array-API library (not some CuPy and
    some NumPy) on one device. ``None`` values are skipped; the first named
    array is the one the others are compared with.
    """
    given = {name: a for name, a in arrays.items() if a is not None}
    (first, ref), *others = given.items()
    for name, a in others:
        if is_device_array(a) != is_device_array(ref) or type(a) is not type(ref):
            raise DataError(
                f"{name} is {library_name(a)} but {first} is "
                f"{library_name(ref)}: pass {', '.join(given)} as arrays of one "
                "library on one device (e.g. cupy.asarray(...) for each)"
            )
    xp = namespace_of(*given.values())
    where = device_of(ref)
    for name, a in others:
        if device_of(a) != where:
            raise DataError(
                f"{name} is on device {device_of(a)} but {first} is on {where}: "
                "move them to one device"
            )
    return xp


def array_api_matrix(xp, X: Any, name: str = "X") -> Any:
    """``X`` as a 2-D float32/float64 array of its namespace (no copy if it is)."""
    check_2d(X.ndim, name)
    if X.dtype in (xp.float32, xp.float64):
        return X
    if xp.isdtype(X.dtype, ("bool", "integral", "real floating")):
        return xp.astype(X, xp.float64)
    raise DataError(f"{name} must hold real numbers; got values of type {X.dtype}")


def check_finite_array_api(xp, X: Any, names, what: str = "X") -> None:
    """Raise naming the first row and column of ``X`` holding NaN or inf.

    One reduction per row block and one transfer of the block sums: a block
    whose sum is finite holds only finite values. Blocks with a non-finite
    sum (which may also be an overflow of finite values) are searched.
    """
    n = X.shape[0]
    step = max(1, CHECK_ELEMENTS // max(X.shape[1], 1))
    # slice ends are clipped: the standard leaves out-of-range ends unspecified
    blocks = [slice(s, min(s + step, n)) for s in range(0, n, step)]
    sums = xp.stack([xp.sum(X[rows, ...]) for rows in blocks])
    finite = to_numpy(xp.isfinite(sums))
    for rows, ok in zip(blocks, finite):
        if ok:
            continue
        start = rows.start
        bad = ~xp.isfinite(X[rows, ...])
        if not bool(xp.any(bad)):
            continue
        rows, cols = xp.nonzero(bad)
        row, col = start + int(rows[0]), int(cols[0])
        raise DataError(
            f"{what} column {names[col]!r} has a non-finite value "
            f"({float(X[row, col])}) at row {row}: remove or impute missing values"
        )


def array_api_vector(xp, v: Any, n: int, what: str) -> Any:
    """A 1-D float64 array of ``n`` finite values in the namespace ``xp``."""
    if v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.ndim != 1:
        raise DataError(f"{what} must be 1-D with one value per row; got {v.shape}")
    if v.shape[0] != n:
        raise DataError(f"{what} has {v.shape[0]} rows but X has {n}")
    if not xp.isdtype(v.dtype, ("bool", "integral", "real floating")):
        raise DataError(f"{what} must be numeric; got {v.dtype}")
    v = xp.astype(v, xp.float64)
    row = first_bad_row(xp, ~xp.isfinite(v))
    if row is not None:
        raise DataError(f"{what} has a non-finite value ({float(v[row])}) at row {row}")
    return v


def array_api_response(xp, y: Any, n: int):
    """Successes, trials and class labels (host values) from a device ``y``."""
    labels = label_vector(y, n)
    if labels is None:
        return _counts_response(xp, y, n)
    y = labels
    if xp.isdtype(y.dtype, "real floating"):
        row = first_bad_row(xp, ~xp.isfinite(y))
        if row is not None:
            raise DataError(f"y has a non-finite value ({float(y[row])}) at row {row}")
    classes = xp.unique_values(y)
    if classes.shape[0] != 2:
        first = classes[: min(5, classes.shape[0])]
        shown = ", ".join(repr(c) for c in to_numpy(first).tolist())
        more = ", ..." if classes.shape[0] > 5 else ""
        raise DataError(
            "y must have exactly two classes for binary logistic regression; "
            f"found {classes.shape[0]} ({shown}{more})"
        )
    successes = xp.astype(y == classes[1], xp.float64)
    return successes, None, tuple(to_numpy(classes).tolist())


def _counts_response(xp, y: Any, n: int):
    if y.shape[0] != n:
        raise DataError(f"y has {y.shape[0]} rows but X has {n}")
    if not xp.isdtype(y.dtype, ("integral", "real floating")):
        raise DataError("(successes, failures) counts must be numeric")
    return counts_response(xp, xp.astype(y, xp.float64))


def make_array_api_design(
    X: Any,
    y: Any,
    *,
    weights: Any = None,
    offset: Any = None,
    fit_intercept: bool = True,
    feature_names: Any = None,
) -> Design:
    """Validate the inputs of a binary fit on array-API (device) arrays."""
    xp = check_same_place(X=X, y=y, weights=weights, offset=offset)
    matrix = array_api_matrix(xp, X)
    n, p = matrix.shape
    if n == 0:
        raise DataError("X has no rows: a fit needs data")
    names = checked_names(X, p, feature_names, fit_intercept)
    check_finite_array_api(xp, matrix, names)
    successes, trials, classes = array_api_response(xp, y, n)
    w = None if weights is None else array_api_vector(xp, weights, n, "weights")
    off = None if offset is None else array_api_vector(xp, offset, n, "offset")
    return finish_design(
        xp, matrix, names, successes, trials, classes, w, off, fit_intercept
    )


def array_api_new_rows(X_new: Any, offset: Any, names: tuple[str, ...]):
    """Namespace, matrix and offset of new rows on their device, for prediction."""
    xp = check_same_place(X_new=X_new, offset=offset)
    X = array_api_matrix(xp, X_new, "X_new")
    if X.shape[1] != len(names):
        raise DataError(
            f"X_new has {X.shape[1]} columns but the model was fitted on {len(names)}"
        )
    check_finite_array_api(xp, X, names, "X_new")
    off = None if offset is None else array_api_vector(xp, offset, X.shape[0], "offset")
    return xp, X, off
