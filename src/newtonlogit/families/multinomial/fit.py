"""Multinomial logistic regression: ``mnlogit(X, y, ...)`` -> :class:`MNLogitResults`.

The same path as the binary fit (design -> backend -> objective -> newton ->
results); only the objective differs. Its kernel
(:func:`newtonlogit.kernels.multinomial_sums`) returns the whole
``(K - 1) k`` square block information in one pass over each row block.

Conventions
-----------
- Classes are kept in *fit order*: the base class first, then the others in
  sorted order. The coefficient vector is class-major (see the kernel's
  conventions): block ``j`` holds the log-odds coefficients of non-base class
  ``j + 1`` against the base.
- Aliased columns are the same in every class block (at the intercept-only
  start every block of the information is a multiple of ``X~^T W X~``), so
  they are dropped from all blocks together.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ...backends import backend_for
from ...backends.numpy import default_block_rows, streaming_block_rows
from ...data.checks import multiclass_response
from ...data.design import Design, check_information, make_design
from ...data.inputs import check_solver_options, resolve_inputs
from ...exceptions import CollinearityError, CollinearityWarning, DataError
from ...solver import warmstart
from ...solver.newton import (
    Evaluation,
    NewtonResult,
    cho_inverse,
    newton,
    warn_if_not_converged,
)
from ...solver.objective import Restricted, Ridge, aliased_columns
from ...solver.refit import Refitter
from . import kernels
from .results import MNLogitResults
from .separation import MultinomialSeparationMonitor, unbounded_sides

PENALTIES = (None, "l2")


@dataclass(frozen=True)
class MultinomialLikelihood:
    """Multinomial log-likelihood of the data held by ``backend``; ``unit``
    is the mean case weight (:meth:`Design.weight_unit`)."""

    backend: object
    fit_intercept: bool
    n_classes: int
    unit: float = 1.0
    score_passes: ClassVar[bool] = True

    def __call__(self, beta: np.ndarray, derivatives: bool | str = True) -> Evaluation:
        args = (beta, self.fit_intercept, self.n_classes)
        if not derivatives:
            (ll,) = self.backend.map_sum(kernels.multinomial_loglik, *args)
            return Evaluation(float(ll), unit=self.unit)
        if derivatives == "score":
            ll, score, weight_sum = self.backend.map_sum(
                kernels.multinomial_score_sums, *args
            )
            return Evaluation(float(ll), score, None, float(weight_sum), unit=self.unit)
        ll, score, info, weight_sum = self.backend.map_sum(
            kernels.multinomial_sums, *args
        )
        return Evaluation(float(ll), score, info, float(weight_sum), unit=self.unit)

    def outcome_counts(self, design: Design) -> np.ndarray:
        """The (weighted) rows of each class, for the warm start's check
        that a subsample holds enough of every class."""
        codes = design.y.astype(np.intp)
        return np.bincount(codes, weights=design.weights, minlength=self.n_classes)


def mnlogit(
    X: Any,
    y: Any = None,
    *,
    data: Any = None,
    missing: str = "raise",
    weights: Any = None,
    offset: Any = None,
    base: Any = None,
    fit_intercept: bool = True,
    penalty: str | None = None,
    alpha: float = 0.0,
    tol: float = 1e-8,
    max_iter: int = 100,
    drop_collinear: bool = False,
    start: Any = None,
    feature_names: Any = None,
    callback: Callable[[dict], None] | None = None,
    subsample_start: bool = True,
) -> MNLogitResults:
    """Fit a multinomial (baseline-category) logistic regression by Newton-Raphson.

    Parameters
    ----------
    X : array-like, DataFrame or str, shape (n, p)
        Features; the intercept is added by ``fit_intercept``, never as a column.
        A string is a formula evaluated on ``data`` (as in
        :func:`newtonlogit.logit`), e.g. ``"PID ~ selfLR + C(educ)"``. Its
        Python parts run through ``eval``: a formula passed here is code, as
        trusted as the caller; a model file's formula is held to the grammar
        of :mod:`newtonlogit.data.safe_formula` instead.
    y : array-like, shape (n,)
        Class labels, at least two classes. The categories of a pandas
        categorical are its classes (an unused category is an error). Omitted
        with a formula.
    data : DataFrame, optional
        The data a formula is evaluated on.
    missing : {"raise", "drop"}
        Rows with missing values are refused, or dropped and counted.
    weights : array-like, optional
        Frequency weights (e.g. one row per cell of a contingency table with its
        count): a weighted fit equals the fit on repeated rows.
    offset : array-like, shape (n,) or (n, K - 1), optional
        Added to the linear predictor of every non-base class (1-D) or of each
        non-base class in fit order (2-D).
    base : label, optional
        The reference class; default: the first class in sorted order.
    penalty : {None, "l2"}
        ``"l2"`` maximizes ``loglik - alpha / 2 * ||B||^2`` over the ``K - 1``
        non-base coefficient vectors (intercepts unpenalized). The penalized
        estimates therefore depend on the choice of base, unlike
        scikit-learn's penalty on all ``K`` centred rows.
    tol, max_iter : float, int
        As in :func:`newtonlogit.logit`.
    drop_collinear : bool
        If False (default), aliased columns raise ``CollinearityError``; if True
        they are dropped (from every class) with a warning.
    start : array-like, optional
        Starting coefficients, shape ``(K - 1, k)`` or flat class-major.
        Default: the intercept-only fit (``log(n_j / n_base)``), slopes 0.
    feature_names : sequence of str, optional
    callback : callable, optional
        Called with each history row as it happens.
    subsample_start : bool
        For large fits without ``start``, start from a fit on a random
        subsample of rows and steer the steps with its information from
        score passes (:mod:`newtonlogit.solver.warmstart`), as
        :func:`~newtonlogit.logit` does; False starts from the
        intercept-only fit with exact Newton steps.

    Returns
    -------
    MNLogitResults

    Notes
    -----
    With ``K`` classes and base class 0 the model is
    ``log(P(y = j | x) / P(y = 0 | x)) = b_j0 + x^T b_j`` for ``j = 1..K-1``.
    Each Newton step solves the ``(K - 1) k`` square system with the full
    block information ``sum_i w_i (diag(p_i) - p_i p_i^T) (x) x~_i x~_i^T``.

    Examples
    --------
    Three classes, ``"a"`` the base; each column of ``params`` holds the
    log-odds coefficients of a class against it:

    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 1))
    >>> scores = np.column_stack([np.zeros(300), 0.5 + x[:, 0], -0.5 - x[:, 0]])
    >>> noise = rng.gumbel(size=(300, 3))
    >>> y = np.array(["a", "b", "c"])[np.argmax(scores + noise, axis=1)]
    >>> mn = nl.mnlogit(x, y)
    >>> mn.params.round(2)
    class         b     c
    Intercept  0.51 -0.37
    x1         0.99 -0.72
    >>> mn.predict(np.array([[-1.0], [1.0]])).round(2)
    array([[0.33, 0.2 , 0.47],
           [0.17, 0.77, 0.06]])
    >>> print(mn.wald_test(["x1"]))
    Wald test of ['x1'] = 0: chi2(2) = 63.0227, p = 2.064e-14
    """
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {PENALTIES}; got {penalty!r}")
    alpha, tol, max_iter = check_solver_options(alpha, tol, max_iter)
    if penalty == "l2" and alpha == 0:
        penalty = None
    inputs = resolve_inputs(
        X,
        y,
        data=data,
        weights=weights,
        offset=offset,
        missing=missing,
        fit_intercept=fit_intercept,
        feature_names=feature_names,
    )
    fit_intercept = inputs.fit_intercept
    design = make_design(
        inputs.X,
        inputs.y,
        weights=inputs.weights,
        fit_intercept=fit_intercept,
        feature_names=inputs.feature_names,
        response=partial(multiclass_response, base=base),
    )
    n_classes = len(design.classes)
    _check_size(design)
    off = _offset(inputs.offset, design.n_rows, n_classes)
    design = replace(design, offset=off)
    counts = _class_counts(design)
    # row blocks sized by the (K - 1) k columns of the kernel's temporaries
    # (score passes: by the p columns they read, as in the binary fit)
    n_coef = (n_classes - 1) * len(design.coef_names)
    backend = backend_for(design.X)(
        design,
        block_rows=default_block_rows(n_coef),
        streaming_rows=streaming_block_rows(design.X.shape[1]),
    )
    likelihood = MultinomialLikelihood(
        backend, fit_intercept, n_classes, design.weight_unit()
    )
    names = design.coef_names
    k, n_coef = len(names), (n_classes - 1) * len(names)
    beta0 = _start(design, start, counts)
    mask = np.ones((n_classes - 1, k), dtype=bool)
    mask[:, 0] = not fit_intercept  # (the penalized coefficients of L2)
    held = first = None
    if subsample_start and start is None and max_iter > 0:
        ridge = (float(alpha), mask.ravel()) if penalty == "l2" else None
        warm = warmstart.subsample_start(likelihood, beta0, ridge=ridge)
        if warm is not None and not aliased_columns(warm.info).size:
            # steps steered by the subsample's information, from score passes
            beta0, held = warm.beta, warm.info
    if held is None:
        first = likelihood(beta0, True)
    check_information(held if first is None else first.info, names * (n_classes - 1))

    free = np.ones(n_coef, dtype=bool)
    if penalty is None and first is not None:
        aliased = np.unique(aliased_columns(first.info) % k)
        if aliased.size:
            _refuse_or_warn(names, aliased, drop_collinear)
            free.reshape(n_classes - 1, k)[:, aliased] = False
    objective = likelihood
    if penalty == "l2":
        objective = Ridge(likelihood, float(alpha), mask.ravel())
        first = None
    refit = Refitter(objective, free, np.zeros(n_coef), tol, max_iter)
    if not free.all():
        objective = Restricted(objective, free, np.zeros(n_coef))
        first = None
    classes = _natural_order(inputs.y, design.classes)
    # Only the plain likelihood can run off to infinity; a penalty keeps it finite.
    monitor = None
    if penalty is None:
        columns = free.reshape(n_classes - 1, k)[0]
        monitor = MultinomialSeparationMonitor(design, columns, classes)
    fit = newton(
        objective,
        beta0[free],
        tol=tol,
        max_iter=max_iter,
        first=first,
        callback=callback,
        monitor=monitor,
        held=held,
    )
    separation = None
    if monitor is not None and monitor.separation is not None:
        separation = monitor.separation if monitor.separation.separated else None
    warn_if_not_converged(fit, separation, "penalty='l2'")
    beta = np.zeros(n_coef)
    beta[free] = fit.beta
    refit = replace(refit, beta=beta)
    if separation is not None and not separation.unchecked:
        sides = partial(unbounded_sides, design, free)
        refit = replace(refit, unbounded=sides)
    null = _loglik_null(design, likelihood, counts, tol, max_iter)
    res = _results(design, fit, free, penalty, alpha, refit, null, counts, classes)
    if separation is not None:
        res = replace(res, separation=separation, fit_notes=(separation.note(),))
    return inputs.attach(res)


# The most coefficients a multinomial fit takes: its information matrix is
# ((K - 1) k)^2 floats (128 MiB at the limit) and each Newton step solves it.
MAX_COEFFICIENTS = 4096


def _check_size(design: Design) -> None:
    """Refuse a response with so many classes that the model cannot be held."""
    n_classes, k = len(design.classes), len(design.coef_names)
    n_coef = (n_classes - 1) * k
    if n_coef > MAX_COEFFICIENTS:
        raise DataError(
            f"y has {n_classes:,} distinct values (classes) in {design.n_rows:,} "
            f"rows: a multinomial model of them has {n_coef:,} coefficients "
            f"({n_classes - 1:,} x {k}), more than the {MAX_COEFFICIENTS:,} "
            "that fit in memory. Is y a continuous variable? Group it into "
            "fewer classes (e.g. with pandas.cut)"
        )


def _offset(offset: Any, n: int, n_classes: int) -> np.ndarray | None:
    if offset is None:
        return None
    arr = (
        np.asarray(offset, dtype=np.float64)
        if not hasattr(offset, "to_numpy")
        else offset.to_numpy(dtype=np.float64)
    )
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if (
        arr.ndim not in (1, 2)
        or arr.shape[0] != n
        or (arr.ndim == 2 and arr.shape[1] != n_classes - 1)
    ):
        raise DataError(
            f"offset must have shape ({n},) or ({n}, {n_classes - 1}) "
            f"(one column per non-base class); got {arr.shape}"
        )
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr.reshape(n, -1)).all(axis=1))[0])
        raise DataError(f"offset has a non-finite value at row {row}")
    return arr


def _class_counts(design: Design) -> np.ndarray:
    """Weighted count of each class (fit order); refuses classes with none."""
    codes = design.y.astype(np.intp)
    counts = np.bincount(codes, weights=design.weights, minlength=len(design.classes))
    empty = [c for c, count in zip(design.classes, counts) if not count > 0]
    if empty:
        raise DataError(f"class(es) {empty} have no rows with positive weight")
    return counts


def _start(design: Design, start: Any, counts: np.ndarray) -> np.ndarray:
    k, n_classes = len(design.coef_names), len(design.classes)
    if start is not None:
        beta = np.asarray(start, dtype=np.float64).ravel()
        if beta.shape != ((n_classes - 1) * k,) or not np.isfinite(beta).all():
            raise ValueError(
                f"start must be {(n_classes - 1) * k} finite numbers: "
                f"({n_classes - 1}, {k}), one row per non-base class, intercept first"
            )
        return beta
    beta = np.zeros((n_classes - 1, k))
    if design.fit_intercept:
        beta[:, 0] = np.log(counts[1:] / counts[0])
        if design.offset is not None:  # (each class's mean offset)
            off = design.offset.reshape(design.n_rows, -1)
            beta[:, 0] -= np.mean(off, axis=0)
    return beta.ravel()


def _refuse_or_warn(names: list[str], aliased: np.ndarray, drop: bool) -> None:
    bad = [names[j] for j in aliased]
    if not drop:
        raise CollinearityError(
            f"column(s) {bad} are constant or linear combinations of other "
            "columns (aliased); remove them or pass drop_collinear=True",
            tuple(bad),
        )
    warnings.warn(f"dropped aliased column(s) {bad}", CollinearityWarning, stacklevel=3)


def _loglik_null(design, likelihood, counts, tol, max_iter) -> float:
    """Log-likelihood of the model with intercepts (if any) only.

    Closed form ``sum_j n_j log(n_j / n)`` without an offset; otherwise the
    intercept-only model is fitted (slopes held at 0).
    """
    if design.offset is None:
        if design.fit_intercept:
            return float(np.sum(counts * np.log(counts / counts.sum())))
        return float(-counts.sum() * np.log(len(counts)))
    k, n_classes = len(design.coef_names), len(design.classes)
    n_coef = (n_classes - 1) * k
    if not design.fit_intercept:
        return likelihood(np.zeros(n_coef), False).value
    free = np.zeros((n_classes - 1, k), dtype=bool)
    free[:, 0] = True
    null = Restricted(likelihood, free.ravel(), np.zeros(n_coef))
    start = _start(design, None, counts).reshape(n_classes - 1, k)[:, 0]
    return newton(null, start, tol=tol, max_iter=max_iter).evaluation.value


def _natural_order(y: Any, fit_classes: tuple) -> tuple:
    """The classes in their natural order: a categorical's, else sorted."""
    categories = getattr(getattr(y, "cat", None), "categories", None)
    if isinstance(y, pd.Categorical):
        categories = y.categories
    if categories is not None:
        return tuple(categories.tolist())
    return tuple(sorted(fit_classes))


def _results(
    design, fit: NewtonResult, free, penalty, alpha, refit, null, counts, classes
):
    k, n_classes = len(design.coef_names), len(design.classes)
    kept = free.reshape(n_classes - 1, k)[0]
    names = [n for n, f in zip(design.coef_names, kept) if f]
    n_free = len(fit.beta)
    if fit.cho:
        cov = cho_inverse(fit.cho)
    else:
        cov = np.full((n_free, n_free), np.nan)
    coef = fit.beta.reshape(n_classes - 1, len(names))
    loglik = fit.evaluation.value
    if penalty == "l2":
        slopes = coef[:, 1:] if design.fit_intercept else coef
        loglik += 0.5 * alpha * float(np.sum(slopes * slopes))
    return MNLogitResults(
        coef_names=tuple(names),
        coef=coef,
        cov_array=cov,
        loglik=loglik,
        loglik_null=null,
        converged=fit.converged,
        n_iter=fit.n_iter,
        history_table=fit.history,
        feature_names=design.feature_names,
        fit_intercept=design.fit_intercept,
        classes=classes,
        base=design.classes[0],
        aliased=tuple(n for n, f in zip(design.coef_names, kept) if not f),
        n_obs=float(counts.sum()),
        n_rows=int(
            design.n_rows if design.weights is None else np.sum(design.weights > 0)
        ),
        penalty=penalty,
        alpha=float(alpha) if penalty else 0.0,
        message=fit.message,
        refit=refit,
    )


__all__ = ["mnlogit", "MultinomialLikelihood"]
