"""Ordinal logistic regression: ``ologit(X, y, ...)`` -> :class:`OLogitResults`.

The same path as the other fits (inputs -> design -> backend -> objective ->
newton -> results); the objective is the cumulative-logit likelihood
(:class:`~.objective.CumulativeLikelihood`).

Parameterization
----------------
With ``J`` ordered levels and ``F`` the logistic function,
``P(Y <= j | x) = F(zeta_j - x'b - offset)`` for ``j = 1..J-1``,
``zeta_1 < ... < zeta_{J-1}``. These are ``MASS::polr``'s ``zeta`` and
``coefficients``, ``ordinal::clm``'s thresholds ``theta`` and ``beta``, and
Stata ``ologit``'s cut points ``/cut1 ...`` and coefficients, with the same
signs: a positive ``b_k`` moves the mass toward the higher levels. (SAS
``PROC LOGISTIC`` models ``F(alpha_j + x'b)``: its slopes have the opposite
sign.) There is no intercept: the thresholds are the intercepts.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any

import numpy as np
from scipy.special import logit as _logit

from ...backends import backend_for, is_dask, is_device_array
from ...backends.namespace import device_of, namespace_of
from ...backends.threads import with_one_blas_thread
from ...data.design import Design, make_design
from ...data.inputs import check_solver_options, resolve_inputs
from ...data.ordered import ordinal_response
from ...exceptions import CollinearityError, CollinearityWarning, DataError
from ...inference.covariance import (
    CovarianceInputs,
    check_cov_type,
    covariance,
    group_codes,
)
from ...solver.newton import cho_inverse, newton, warn_if_not_converged
from ...solver.objective import Restricted, aliased_columns
from ...solver.refit import Refitter
from . import kernels
from .objective import CumulativeLikelihood
from .results import OLogitResults
from .separation import OrdinalSeparationMonitor, separation_note

COV_TYPES = ("nonrobust", "HC0", "HC1", "cluster")


@with_one_blas_thread
def ologit(
    X: Any,
    y: Any = None,
    *,
    data: Any = None,
    missing: str = "raise",
    weights: Any = None,
    offset: Any = None,
    levels: Any = None,
    tol: float = 1e-8,
    max_iter: int = 100,
    drop_collinear: bool = False,
    start: Any = None,
    feature_names: Any = None,
    callback: Callable[[dict], None] | None = None,
    cov_type: str = "nonrobust",
    groups: Any = None,
) -> OLogitResults:
    """Fit an ordinal logistic regression (proportional odds) by Newton-Raphson.

    Parameters
    ----------
    X : array-like, DataFrame or str, shape (n, p)
        Features, without an intercept (the thresholds are the intercepts).
        A string is a formula on ``data``, e.g. ``"Sat ~ Infl + Type + Cont"``;
        its categorical terms are coded as with an intercept, as in ``polr``.
    y : array-like, shape (n,)
        The ordered response: a pandas ordered ``Categorical`` (or Series of
        one), a polars ``Enum``, numbers (in increasing order), or any labels
        with ``levels``. Omitted with a formula.
    data : DataFrame, optional
        The data a formula is evaluated on.
    missing : {"raise", "drop"}
    weights : array-like, optional
        Frequency weights (R's ``weights = Freq`` for a table of counts).
    offset : array-like, optional
        Added to the linear predictor ``x'b``.
    levels : sequence, optional
        The levels of ``y`` from lowest to highest; overrides the order of an
        ordered categorical.
    tol, max_iter : float, int
        As in :func:`newtonlogit.logit`.
    drop_collinear : bool
        Raise on aliased columns (default), or drop them with a warning.
    start : array-like, optional
        ``J - 1`` increasing thresholds then ``p`` slopes. Default: the
        thresholds of the model without covariates, slopes 0.
    feature_names : sequence of str, optional
    callback : callable, optional
        Called with each history row.
    cov_type : {"nonrobust", "HC0", "HC1", "cluster"}
        Covariance of the estimates (a sandwich of the rows' scores for the
        robust ones; GLM leverages, hence HC2 and HC3, do not apply).
    groups : array-like, optional
        Cluster labels for ``cov_type="cluster"``.

    Returns
    -------
    OLogitResults

    Examples
    --------
    Three ordered levels; ``logit P(y <= j) = threshold_j - x'b``, as polr:

    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 1))
    >>> y = np.digitize(x[:, 0] + rng.logistic(size=500), [-1.0, 1.0])
    >>> res = nl.ologit(x, y)
    >>> res.params.round(2)
    0|1   -0.93
    1|2    0.97
    x1     0.99
    Name: coef, dtype: float64
    >>> res.predict([[0.0]]).round(3)
    array([[0.284, 0.441, 0.275]])

    Labels without an order of their own take ``levels``:

    >>> labels = np.array(["low", "mid", "high"])[y]
    >>> nl.ologit(x, labels, levels=["low", "mid", "high"]).thresholds.round(2)
    low|mid    -0.93
    mid|high    0.97
    Name: coef, dtype: float64
    """
    _, tol, max_iter = check_solver_options(0.0, tol, max_iter)
    if cov_type not in COV_TYPES:
        raise ValueError(f"cov_type must be one of {COV_TYPES}; got {cov_type!r}")
    check_cov_type(cov_type, groups)
    inputs = resolve_inputs(
        X,
        y,
        data=data,
        weights=weights,
        offset=offset,
        missing=missing,
        fit_intercept=True,  # (a formula's intercept is the thresholds')
        feature_names=feature_names,
        groups=groups,
    )
    make = make_design
    if is_dask(inputs.X):  # checked without computing X, codes mapped lazily
        from ...data.dask import make_dask_design as make
    elif any(is_device_array(a) for a in (inputs.X, inputs.y)):  # e.g. CuPy
        from ...data.array_api import make_array_api_design as make
    design = make(
        inputs.X,
        inputs.y,
        weights=inputs.weights,
        offset=inputs.offset,
        fit_intercept=False,
        feature_names=inputs.feature_names,
        response=partial(ordinal_response, levels=levels),
    )
    n_groups = 0
    if inputs.groups is not None:
        codes, n_groups = group_codes(inputs.groups, design.n_rows)
        design = replace(design, groups=codes)
    counts = _level_counts(design)
    n_cuts = len(design.classes) - 1
    backend = backend_for(design.X)(design)
    likelihood = CumulativeLikelihood(backend, n_cuts, design.weight_unit())
    names = threshold_names(design.classes) + list(design.feature_names)
    theta0 = _start(design, start, counts)
    first = likelihood(theta0, True)
    if not np.isfinite(first.value):
        raise DataError("the starting values give rows of probability 0")

    free = np.ones(len(names), dtype=bool)
    aliased = aliased_columns(first.info)
    if aliased.size:
        _refuse_or_warn(names, aliased, drop_collinear)
        free[aliased] = False
    objective = likelihood
    refit = Refitter(objective, free, np.zeros(len(names)), tol, max_iter)
    if not free.all():
        objective = Restricted(objective, free, np.zeros(len(names)))
        first = None
    monitor = OrdinalSeparationMonitor(design, free)
    fit = newton(
        objective,
        theta0[free],
        tol=tol,
        max_iter=max_iter,
        first=first,
        callback=callback,
        monitor=monitor,
    )
    separation = monitor.separation if monitor.separation else None
    warn_if_not_converged(fit, separation, "merged levels or fewer covariates")
    theta = np.zeros(len(names))
    theta[free] = fit.beta
    refit = replace(refit, beta=theta)
    bread = cho_inverse(fit.cho) if fit.cho else np.full((free.sum(),) * 2, np.nan)
    n_rows = design.n_rows
    if design.weights is not None:
        n_rows = int(_sum(design.weights > 0))
    cov_inputs = CovarianceInputs(
        backend, kernels, theta, free, bread, False, n_rows, n_groups
    )
    res = OLogitResults(
        coef_names=tuple(n for n, f in zip(names, free) if f),
        coef=fit.beta,
        cov_array=covariance(cov_type, cov_inputs),
        loglik=fit.evaluation.value,
        loglik_null=_loglik_null(design, likelihood, counts, tol, max_iter),
        converged=fit.converged,
        n_iter=fit.n_iter,
        history_table=fit.history,
        feature_names=design.feature_names,
        levels=design.classes,
        aliased=tuple(n for n, f in zip(names, free) if not f),
        n_obs=float(counts.sum()),
        n_rows=n_rows,
        cov_type=cov_type,
        n_groups=n_groups,
        message=fit.message,
        refit=refit,
        margins=_margin_sums(backend, theta),
        separation=separation,
        fit_notes=(separation_note(separation),) if separation is not None else (),
    )
    getattr(backend, "release", lambda: None)()
    return inputs.attach(res)


def threshold_names(levels) -> list[str]:
    """``"a|b"`` for the threshold between levels ``a`` and ``b`` (as polr)."""
    return [f"{lo}|{hi}" for lo, hi in zip(levels[:-1], levels[1:])]


def _level_counts(design: Design) -> np.ndarray:
    """Weighted count of each level; refuses levels without positive weight."""
    n_levels = len(design.classes)
    if is_dask(design.y):  # one pass over y and the weights, not X
        import dask.array as da

        codes = design.y.astype(np.intp)
        counts = da.bincount(codes, weights=design.weights, minlength=n_levels)
        counts = counts.compute()
    else:  # in the data's namespace: J sums come back
        xp = namespace_of(design.y)
        levels = xp.arange(n_levels, dtype=xp.float64, device=device_of(design.y))
        hits = xp.astype(design.y[:, None] == levels[None, :], xp.float64)
        if design.weights is not None:
            hits = hits * design.weights[:, None]
        counts = np.asarray([float(c) for c in xp.sum(hits, axis=0)])
    empty = [c for c, count in zip(design.classes, counts) if not count > 0]
    if empty:
        raise DataError(f"level(s) (classes) {empty} have no rows with positive weight")
    return counts


def _start(design: Design, start: Any, counts: np.ndarray) -> np.ndarray:
    n_cuts, p = len(design.classes) - 1, len(design.feature_names)
    if start is not None:
        theta = np.asarray(start, dtype=np.float64).ravel()
        if (
            theta.shape != (n_cuts + p,)
            or not np.isfinite(theta).all()
            or not np.all(np.diff(theta[:n_cuts]) > 0)
        ):
            raise ValueError(
                f"start must be {n_cuts + p} finite numbers: {n_cuts} increasing "
                f"thresholds, then {p} coefficients"
            )
        return theta
    share = np.cumsum(counts)[:-1] / counts.sum()
    zeta = _logit(share)
    if design.offset is not None:
        weighted = design.offset
        if design.weights is not None:
            weighted = design.weights * weighted
        zeta = zeta + float(_sum(weighted)) / counts.sum()
    return np.concatenate([zeta, np.zeros(p)])


def _sum(a):
    """The sum of a NumPy, Dask or array-API array (computed)."""
    if is_dask(a):
        return a.sum().compute()
    xp = namespace_of(a)
    return xp.sum(xp.astype(a, xp.float64))


def _refuse_or_warn(names: list[str], aliased: np.ndarray, drop: bool) -> None:
    bad = [names[j] for j in aliased]
    if not drop:
        raise CollinearityError(
            f"column(s) {bad} are constant or linear combinations of other "
            "columns (aliased; a constant is aliased with the thresholds); "
            "remove them or pass drop_collinear=True",
            tuple(bad),
        )
    warnings.warn(f"dropped aliased column(s) {bad}", CollinearityWarning, stacklevel=3)


def _loglik_null(design, likelihood, counts, tol, max_iter) -> float:
    """Log-likelihood of the thresholds-only model: ``sum_j n_j log(n_j / n)``
    without an offset; with one, the thresholds are fitted (slopes at 0)."""
    if design.offset is None:
        return float(np.sum(counts * np.log(counts / counts.sum())))
    n_cuts = len(counts) - 1
    k = n_cuts + len(design.feature_names)
    free = np.zeros(k, dtype=bool)
    free[:n_cuts] = True
    null = Restricted(likelihood, free, np.zeros(k))
    start = _start(design, None, counts)[:n_cuts]
    return newton(null, start, tol=tol, max_iter=max_iter).evaluation.value


def _margin_sums(backend, theta: np.ndarray) -> dict:
    """The sums of :func:`.kernels.margin_sums` at the estimate, as means."""
    total, x, offset, density, slope, slope_x = backend.map_sum(
        kernels.margin_sums, theta
    )
    return dict(
        x_mean=x / total,
        offset_mean=float(offset) / total,
        density=density / total,
        slope=slope / total,
        slope_x=slope_x / total,
    )


__all__ = ["ologit", "threshold_names"]
