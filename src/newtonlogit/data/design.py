"""The :class:`Design` of a fit: validated data, held by reference.

:func:`make_design` checks in-memory inputs itself (:mod:`.checks`) and hands
inputs that live elsewhere to the variant registered for their type (Dask
arrays: :mod:`.dask`, checked without computing X; CuPy and other array-API
arrays: :mod:`.array_api`, checked on their device). Variants are found by a
detector and imported lazily by name, as backends are, so this module imports
none of them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from scipy.special import gammaln

from ..backends import is_dask, is_device_array
from ..backends.namespace import namespace_of, to_numpy
from ..exceptions import DataError
from .checks import (
    INTERCEPT,
    _is_sparse,
    _row_blocks,
    as_matrix,
    as_vector,
    binary_response,
    block_square_sums,
    check_coefficients,
    check_finite_matrix,
    checked_names,
    first_bad_row,
)


@dataclass(frozen=True)
class Totals:
    """Sums over the response, weights and offset of all rows, taken where
    the data were checked (for Dask, in the one pass that checks them), so
    that the start, the tolerances and the fit statistics read them again
    from no partition."""

    events: float  # weighted successes
    trials: float  # weighted trials
    weight_sum: float  # sum of the frequency weights (n_rows without)
    positive: int  # rows with positive weight
    offset_sum: float  # sum of the offset (0 without)


@dataclass(frozen=True)
class Design:
    """Validated data of one fit. Holds references to the user's arrays."""

    X: Any  # (n, p) float32/float64 array of the backend's kind
    y: np.ndarray  # (n,) successes, float64
    trials: np.ndarray | None  # (n,) trials per row, None for binary rows
    weights: np.ndarray | None  # (n,) frequency weights
    offset: np.ndarray | None  # (n,)
    feature_names: tuple[str, ...]
    fit_intercept: bool
    classes: tuple | None  # the two labels of a binary y, event second
    loglik_constant: float  # sum w log C(n, y) for grouped counts, else 0
    groups: np.ndarray | None = None  # (n,) integer cluster codes 0..G-1
    # (n,) codes of groups of contiguous rows that no block may split (the
    # strata of a matched design); backends cut blocks where the code changes.
    segments: np.ndarray | None = None
    # The sums of Totals where the design's maker took them (Dask); else None,
    # and each is summed when asked for (in memory: O(n), no pass over X).
    totals: Totals | None = None

    @property
    def n_rows(self) -> int:
        return self.X.shape[0]

    @property
    def coef_names(self) -> list[str]:
        names = list(self.feature_names)
        return [INTERCEPT, *names] if self.fit_intercept else names

    def weight_unit(self) -> float:
        """The mean frequency weight of a row (1 without weights): the unit in
        which the log-likelihood's tolerances are set (see
        :mod:`newtonlogit.solver.newton`), so that scaling all weights changes
        no fit."""
        if self.weights is None:
            return 1.0
        if self.totals is not None:
            return self.totals.weight_sum / self.n_rows
        return float(namespace_of(self.weights).sum(self.weights)) / self.n_rows

    def mean_offset(self) -> float:
        """The mean offset (0 without one): what a start of the intercept
        subtracts, so that the rows' linear predictors start near 0."""
        if self.offset is None:
            return 0.0
        if self.totals is not None:
            return self.totals.offset_sum / self.n_rows
        return float(namespace_of(self.offset).mean(self.offset))

    def n_positive(self) -> int:
        """Rows with positive frequency weight (all rows without weights)."""
        if self.weights is None:
            return self.n_rows
        if self.totals is not None:
            return self.totals.positive
        return int(namespace_of(self.weights).count_nonzero(self.weights > 0))

    def outcome_totals(self) -> tuple[float, float]:
        """(Weighted) numbers of successes and of trials, as host floats.

        Sums over ``y`` alone, in the data's own namespace: O(n), never ``X``.
        """
        if self.totals is not None:
            return self.totals.events, self.totals.trials
        xp = namespace_of(self.y)
        successes, trials = self.y, self.trials
        if self.weights is not None:
            successes = self.weights * successes
            trials = self.weights if trials is None else self.weights * trials
        n = self.n_rows if trials is None else float(xp.sum(trials))
        return float(xp.sum(successes)), float(n)


@dataclass(frozen=True)
class Inputs:
    """Everything ``logit`` fits, whichever front end it came from."""

    X: Any
    y: Any
    weights: Any
    offset: Any
    fit_intercept: bool
    feature_names: Any
    spec: Any = None  # the FormulaSpec of a formula fit
    n_dropped: int = 0
    groups: Any = None
    segments: Any = None  # per-row codes of rows kept together (strata)

    def attach(self, results):
        """The results, remembering the formula and the rows dropped."""
        if self.spec is None and self.n_dropped == 0:
            return results
        return replace(results, model_spec=self.spec, n_dropped=self.n_dropped)


@dataclass(frozen=True)
class DesignVariant:
    """Inputs that are checked where they live: ``detect(X, y, weights, offset)``
    says whether they are of this kind; ``maker`` ("module:function", imported
    on first use) builds their :class:`Design` with :func:`make_design`'s
    keywords."""

    label: str
    detect: Callable[..., bool]
    maker: str


DESIGN_VARIANTS: list[DesignVariant] = [
    DesignVariant(
        "Dask", lambda X, *rest: is_dask(X), f"{__package__}.dask:make_dask_design"
    ),
    DesignVariant(
        "CuPy/array-API",
        lambda *arrays: any(is_device_array(a) for a in arrays),
        f"{__package__}.array_api:make_array_api_design",
    ),
]


def _variant_maker(variant: DesignVariant) -> Callable[..., Design]:
    module, name = variant.maker.split(":")
    return getattr(importlib.import_module(module), name)


def make_design(
    X: Any,
    y: Any,
    *,
    weights: Any = None,
    offset: Any = None,
    fit_intercept: bool = True,
    feature_names: Any = None,
    response: Any = None,
) -> Design:
    """Validate the inputs of a fit.

    ``response(y, n) -> (y, trials, classes)`` reads the response; the default
    is :func:`binary_response` (see :func:`multiclass_response` for K classes).
    CuPy (or other array-API) inputs of a binary fit are checked on their
    device, and Dask inputs without computing X, by the variant registered in
    :data:`DESIGN_VARIANTS`.
    """
    shape = getattr(X, "shape", ())
    if len(shape) == 2:
        check_coefficients(shape[1], fit_intercept)
    for variant in DESIGN_VARIANTS:
        if variant.detect(X, y, weights, offset):
            if response is not None:
                raise DataError(
                    "multinomial fits take NumPy or pandas data for now; "
                    f"{variant.label} input is supported for two classes"
                )
            return _variant_maker(variant)(
                X,
                y,
                weights=weights,
                offset=offset,
                fit_intercept=fit_intercept,
                feature_names=feature_names,
            )
    matrix = as_matrix(X)
    n, p = matrix.shape
    if n == 0:
        raise DataError("X has no rows: a fit needs data")
    names = checked_names(X, p, feature_names, fit_intercept)
    squares = None if _is_sparse(matrix) else block_square_sums(matrix)
    check_finite_matrix(matrix, names, squares=squares)
    successes, trials, classes = (response or binary_response)(y, n)
    w = None if weights is None else as_vector(weights, n, "weights")
    off = None if offset is None else as_vector(offset, n, "offset")
    check_magnitudes(matrix, names, w, trials, squares)
    return finish_design(
        np, matrix, names, successes, trials, classes, w, off, fit_intercept
    )


def check_information(info: np.ndarray, names) -> None:
    """Refuse data whose information matrix overflows float64, naming the
    coefficients (``names``, one per row of ``info``) whose sums overflowed."""
    if np.isfinite(info).all():
        return
    bad = ~np.isfinite(info).all(axis=1)
    _refuse_overflow(list(dict.fromkeys(names[j] for j in np.flatnonzero(bad))))


def _refuse_overflow(columns: list) -> None:
    raise DataError(
        f"the sums of squares of column(s) {columns} overflow float64 (values "
        "near 1e154 or above, or huge weights): rescale them (e.g. divide by "
        "a power of ten; the fit's predictions do not change)"
    )


# The largest weighted sum of squares of a column taken (float64 ends at 1.8e308;
# the information adds up ``w n p (1 - p) x^2`` and the Gram's bordering terms).
MAX_SUM_OF_SQUARES = 1e300


def check_magnitudes(X, names, w, trials, squares=None) -> None:
    """Refuse columns whose sums of squares could overflow the information:
    ``max |x|^2`` times the total case weight, checked before any pass (the
    information's own check, :func:`check_information`, is the backstop).

    ``squares``, the :func:`~newtonlogit.data.checks.block_square_sums` of a
    dense ``X``, bound every ``|x|^2`` from above: where their largest times
    the total is safe, no column needs a look of its own."""
    total = float(X.shape[0] if trials is None else np.sum(trials))
    if w is not None:
        total = float(np.sum(w if trials is None else w * trials))
    if (
        squares is not None
        and np.max(squares, initial=0.0) * total <= MAX_SUM_OF_SQUARES
    ):
        return
    if _is_sparse(X):  # (from the stored values: SciPy's max would sum
        # duplicate entries in place, changing the user's matrix)
        largest = np.zeros(X.shape[1])
        columns = X.indices
        if X.format == "csc":
            columns = np.repeat(np.arange(X.shape[1]), np.diff(X.indptr))
        np.maximum.at(largest, columns, np.abs(X.data))
    else:
        largest = np.zeros(X.shape[1])
        for _, block in _row_blocks(X):
            largest = np.maximum(largest, np.abs(block).max(axis=0, initial=0.0))
    with np.errstate(over="ignore"):
        bad = largest.astype(np.float64) ** 2 * total > MAX_SUM_OF_SQUARES
    if bad.any():
        _refuse_overflow([names[j] for j in np.flatnonzero(bad)])


def finish_design(
    xp, matrix, names, successes, trials, classes, w, off, fit_intercept
) -> Design:
    """The checks shared by in-memory and array-API designs, in the data's
    namespace ``xp``: weights non-negative and not all zero, some trials;
    then the binomial constant ``sum w log C(n, y)`` (on the host: n values)."""
    if w is not None:
        row = first_bad_row(xp, w < 0)
        if row is not None:
            raise DataError(
                f"weights must be non-negative; row {row} has {float(w[row])}"
            )
        if not bool(xp.any(w > 0)):
            raise DataError("weights are all zero: nothing to fit")
    constant = 0.0
    if trials is not None:
        s, t = to_numpy(successes), to_numpy(trials)
        if not (t > 0).any():
            raise DataError("every row has zero trials: nothing to fit")
        log_choose = gammaln(t + 1) - gammaln(s + 1) - gammaln(t - s + 1)
        if w is not None:
            log_choose = to_numpy(w) * log_choose
        constant = float(np.sum(log_choose))
    return Design(
        matrix, successes, trials, w, off, names, fit_intercept, classes, constant
    )
