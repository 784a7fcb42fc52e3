"""Conditional logistic regression: ``clogit(X, y, strata=...)`` ->
:class:`ConditionalResults`.

The path of every family (inputs -> design -> backend -> objective -> newton
-> results). What is particular: the rows are grouped by stratum once (a
stable sort, which copies the data only when they are not grouped already),
and the design's ``segments`` carry the strata so that the backend never
splits a matched set across row blocks. There is no intercept: it cancels
from the conditional likelihood.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from types import SimpleNamespace
from typing import Any

import numpy as np

from ...backends import backend_for, is_device_array
from ...data.design import make_design
from ...data.inputs import check_solver_options, resolve_inputs
from ...exceptions import CollinearityError, CollinearityWarning, DataError
from ...inference.covariance import CovarianceInputs, check_cov_type, covariance
from ...solver.newton import cho_inverse, newton, warn_if_not_converged
from ...solver.objective import Restricted, aliased_columns
from ...solver.refit import Refitter
from ..binary.separation import SeparationMonitor
from . import kernels
from .objective import ConditionalLikelihood, Firth
from .results import COV_TYPES, ConditionalResults
from .separation import conditional_separation, strata_note
from .strata import check_cov, group_rows, strata_counts

METHODS = kernels.METHODS
PENALTIES = (None, "firth")


def clogit(
    X: Any,
    y: Any = None,
    *,
    strata: Any,
    data: Any = None,
    method: str = "exact",
    missing: str = "raise",
    weights: Any = None,
    offset: Any = None,
    penalty: str | None = None,
    tol: float = 1e-8,
    max_iter: int = 100,
    drop_collinear: bool = False,
    start: Any = None,
    feature_names: Any = None,
    callback: Callable[[dict], None] | None = None,
    cov_type: str = "nonrobust",
    groups: Any = None,
) -> ConditionalResults:
    """Fit a conditional logistic regression (matched sets) by exact Newton.

    Parameters
    ----------
    X : array-like, DataFrame or str
        Features (no intercept: it cancels within each stratum). A string is
        a formula on ``data``, e.g. ``"case ~ spontaneous + induced"``; its
        intercept is dropped.
    y : array-like
        1 for a case, 0 for a control (or two labels, the larger the case).
    strata : array-like or str
        The matched set of every row (any labels); with a formula, also the
        name of a column of ``data``. On Dask each set must lie in one
        partition, its rows together (``df.set_index(strata)`` does both).
    method : {"exact", "efron", "breslow"}
        The conditional likelihood computed exactly (Gail, Lubin and
        Rubinstein's recursion), or Efron's or Breslow's approximation of it,
        as ``survival::clogit`` names them. All three agree on 1:M sets.
    weights : array-like or str, optional
        Weights constant within each stratum: a matched set counted that many
        times. Weights that vary within a set are refused.
    offset : array-like or str, optional
        Added to the linear predictor.
    penalty : {None, "firth"}
        ``"firth"`` maximizes ``loglik + 1/2 log|I(b)|`` (Heinze and Puhr
        2010): finite, bias-reduced estimates on sparse or separated matched
        data. Standard errors are from ``I(b)^-1`` at the estimate, profile
        intervals from the penalized likelihood (as logistf and coxphf).
    cov_type : {"nonrobust", "HC0", "HC1", "cluster"}
        ``"HC0"`` is survival's ``robust = TRUE`` (one score residual per row,
        Efron and Breslow); ``"cluster"`` sums them by ``groups`` (CR1 scale:
        survival's ``cluster()`` variance times ``G / (G - 1) (n - 1) / (n - k)``).
        With ``method="exact"`` and sets of several cases, clusters must hold
        whole strata.
    tol, max_iter, drop_collinear, start, feature_names, callback, missing
        As in :func:`newtonlogit.logit`.

    Returns
    -------
    ConditionalResults

    Examples
    --------
    Two hundred matched sets of three rows, one case each, drawn from the
    model with a log odds ratio of 1 per unit of ``x``:

    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> sets = np.repeat(np.arange(200), 3)
    >>> x = rng.normal(size=(600, 1))
    >>> gumbel = rng.gumbel(size=(200, 3))
    >>> case = np.argmax(x.reshape(200, 3) + gumbel, axis=1)
    >>> y = (np.arange(3) == case[:, None]).ravel().astype(int)
    >>> res = nl.clogit(x, y, strata=sets)
    >>> res.params.round(2)
    x1    0.87
    Name: coef, dtype: float64
    >>> res.conf_int(method="profile").round(2)
        lower  upper
    x1   0.65   1.11

    With a formula, ``strata`` names a column:
    ``nl.clogit("case ~ spontaneous + induced", data=infert, strata="stratum")``.
    """
    _check_options(method, penalty, tol, max_iter, cov_type, groups)
    if isinstance(X, str) and isinstance(strata, str) and data is None:
        raise ValueError("a formula needs data=")
    inputs = resolve_inputs(
        X,
        y,
        data=data,
        weights=weights,
        offset=offset,
        missing=missing,
        fit_intercept=True,
        feature_names=feature_names,
        groups=groups,
        segments=strata,
    )
    for value in (inputs.X, inputs.y, inputs.weights, inputs.offset):
        if value is not None and is_device_array(value):
            raise DataError(
                "clogit takes NumPy, pandas, polars or Dask data for now; move "
                "device arrays to the host first"
            )
    design = make_design(
        inputs.X,
        inputs.y,
        weights=inputs.weights,
        offset=inputs.offset,
        fit_intercept=False,
        feature_names=inputs.feature_names,
    )
    if design.trials is not None:
        raise DataError("y must be a 0/1 case indicator, one value per row")
    if hasattr(design.X, "tocsr"):
        raise DataError("clogit takes dense X; convert sparse X with .toarray()")
    design, host, n_groups = group_rows(design, inputs.segments, inputs.groups)
    check_cov(cov_type, method, host)
    backend = backend_for(design.X)(design)
    likelihood = ConditionalLikelihood(backend, method, design.weight_unit())
    names = list(design.feature_names)
    k = len(names)
    if k == 0:
        raise DataError("clogit needs at least one predictor")
    beta0 = _start(start, k)
    first = likelihood(beta0, True)
    free = np.ones(k, dtype=bool)
    aliased = aliased_columns(first.info)
    if aliased.size:
        _refuse_or_warn(names, aliased, drop_collinear)
        free[aliased] = False
    objective = likelihood if penalty is None else Firth(likelihood, free)
    solver_tol = tol**2 if penalty == "firth" else tol
    refit = Refitter(objective, free, np.zeros(k), solver_tol, max_iter)
    if penalty is not None or not free.all():
        first = None
    if not free.all():
        objective = Restricted(objective, free, np.zeros(k))
    monitor = None
    if penalty is None:  # a penalty keeps the estimates finite
        monitor = SeparationMonitor(design, free, check=conditional_separation)
    fit = newton(
        objective,
        beta0[free],
        tol=solver_tol,
        max_iter=max_iter,
        first=first,
        callback=callback,
        monitor=monitor,
    )
    separation = getattr(monitor, "separation", None)
    if separation is not None and not separation.separated:
        separation = None
    warn_if_not_converged(fit, separation, "penalty='firth'")
    beta = np.zeros(k)
    beta[free] = fit.beta
    refit = replace(refit, beta=beta)
    at_estimate = likelihood(beta, True) if penalty is not None else None
    info = (at_estimate or fit.evaluation).info
    if fit.cho and penalty is None:
        bread = cho_inverse(fit.cho)
    else:
        try:
            bread = np.linalg.inv(info[np.ix_(free, free)])
        except np.linalg.LinAlgError:
            bread = np.full((int(free.sum()),) * 2, np.nan)
    strata_summary = strata_counts(host)
    n_obs = design.n_rows
    if host.weights is not None:
        n_obs = int(np.count_nonzero(host.weights > 0))
    cov_inputs = CovarianceInputs(
        backend,
        SimpleNamespace(
            robust_meat=partial(kernels.robust_meat, method=method),
            cluster_scores=partial(kernels.cluster_scores, method=method),
        ),
        beta,
        free,
        bread,
        False,
        n_obs,
        n_groups,
    )
    cov = covariance(cov_type, cov_inputs)
    loglik = fit.evaluation.value if penalty is None else at_estimate.value
    res = ConditionalResults(
        coef_names=tuple(n for n, f in zip(names, free) if f),
        coef=fit.beta,
        cov_array=cov,
        loglik=loglik,
        loglik_null=likelihood(np.zeros(k), False).value,
        converged=fit.converged,
        n_iter=fit.n_iter,
        history_table=fit.history,
        feature_names=tuple(names),
        method=method,
        aliased=tuple(n for n, f in zip(names, free) if not f),
        n_obs=n_obs,
        penalty=penalty,
        penalized_loglik=fit.evaluation.value if penalty is not None else None,
        message=fit.message,
        refit=refit,
        cov_type=cov_type,
        n_groups=n_groups,
        separation=separation,
        fit_notes=() if separation is None else (strata_note(separation),),
        **strata_summary,
    )
    getattr(backend, "release", lambda: None)()  # drop data cached for the fit
    return inputs.attach(res)


def _check_options(method, penalty, tol, max_iter, cov_type, groups) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}; got {method!r}")
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {PENALTIES}; got {penalty!r}")
    check_solver_options(0.0, tol, max_iter)
    check_cov_type(cov_type, groups)
    if cov_type not in COV_TYPES:
        raise ValueError(
            f"cov_type {cov_type!r} needs leverages, which the conditional "
            f"likelihood does not define; use one of {COV_TYPES}"
        )


def _start(start: Any, k: int) -> np.ndarray:
    if start is None:
        return np.zeros(k)
    beta = np.asarray(start, dtype=np.float64).ravel()
    if beta.shape != (k,) or not np.isfinite(beta).all():
        raise ValueError(f"start must be {k} finite numbers (no intercept)")
    return beta


def _refuse_or_warn(names: list[str], aliased: np.ndarray, drop: bool) -> None:
    bad = [names[j] for j in aliased]
    if not drop:
        raise CollinearityError(
            f"column(s) {bad} are constant within every matched set or linear "
            "combinations of other columns (aliased); remove them or pass "
            "drop_collinear=True",
            tuple(bad),
        )
    warnings.warn(f"dropped aliased column(s) {bad}", CollinearityWarning, stacklevel=3)


__all__ = ["clogit"]
