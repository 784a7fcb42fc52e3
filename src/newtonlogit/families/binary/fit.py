"""The function API: ``logit(X, y, ...)`` -> :class:`LogitResults`."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
from scipy.special import logit as _logit

from ...backends import backend_for
from ...backends.threads import with_one_blas_thread
from ...data.design import Design, check_information, make_design
from ...data.inputs import check_solver_options, resolve_inputs
from ...exceptions import (
    CollinearityError,
    CollinearityWarning,
)
from ...inference.covariance import check_cov_type, group_codes
from ...solver import warmstart
from ...solver.certificate import certify as certify_fit
from ...solver.newton import (
    NewtonResult,
    cho_inverse,
    newton,
    warn_if_not_converged,
)
from ...solver.objective import Restricted, Ridge, aliased_columns
from ...solver.refit import Refitter
from .firth import FIRTH_PENALTIES, finish_firth
from .fitstats import fit_statistics
from .objective import Firth, LogLikelihood
from .results import LogitResults
from .separation import SeparationMonitor, separation_note, unbounded_sides

PENALTIES = (None, "l2", *FIRTH_PENALTIES)


@with_one_blas_thread
def logit(
    X: Any,
    y: Any = None,
    *,
    data: Any = None,
    missing: str = "raise",
    weights: Any = None,
    offset: Any = None,
    fit_intercept: bool = True,
    penalty: str | None = None,
    alpha: float = 0.0,
    tol: float = 1e-8,
    max_iter: int = 100,
    drop_collinear: bool = False,
    start: Any = None,
    feature_names: Any = None,
    callback: Callable[[dict], None] | None = None,
    cov_type: str = "nonrobust",
    groups: Any = None,
    subsample_start: bool = True,
) -> LogitResults:
    """Fit a binary logistic regression by exact Newton-Raphson.

    Parameters
    ----------
    X : array-like or DataFrame, shape (n, p), or str
        Features; the intercept is added by ``fit_intercept``, never as a column.
        Any DataFrame narwhals knows (pandas, polars, ...) gives its column
        names to the coefficients. A string is a formula (formulaic), e.g.
        ``"admit ~ gre + gpa + C(rank)"`` or ``"cbind(s, f) ~ x"``, evaluated
        on ``data``; see :mod:`newtonlogit.data.formula`. Its Python parts
        (``I(...)``, ``np.log(x)``) run through ``eval`` with Python's builtins
        in reach, so a formula passed here is code, as trusted as the caller:
        never pass one from an untrusted source. A model file's formula, and
        one given to the command line, are held to a grammar instead
        (:mod:`newtonlogit.data.safe_formula`), and ``LogitResults.save``
        refuses a formula outside it.
    y : array-like or Series
        0/1, bool or two distinct labels (the larger is the event), or a
        two-column array of (successes, failures) counts per row. Omitted
        with a formula.
    data : DataFrame, optional
        The data a formula is evaluated on.
    missing : {"raise", "drop"}
        Rows with missing values (NaN/null) are refused with a message that
        counts them and names the columns, or dropped (``res.n_dropped``).
    weights : array-like, optional
        Frequency weights: a weighted fit equals the fit on repeated rows.
        With a formula, also the name of a column of ``data``.
    offset : array-like, optional
        Added to the linear predictor (with a formula, also a column name).
    penalty : {None, "l2", "firth", "flic", "flac"}
        ``"l2"`` maximizes ``loglik - alpha / 2 * ||b||^2`` (intercept unpenalized).
        ``"firth"`` maximizes Firth's ``loglik + 1/2 log|X'WX|``: finite,
        bias-reduced estimates even on separated data (R's logistf, brglm2).
        ``"flic"`` and ``"flac"`` are Puhr et al.'s (2017) corrections of it
        for predicted probabilities; see :mod:`newtonlogit.families.binary.firth`.
    tol, max_iter : float, int
        Convergence tolerance (see :func:`newtonlogit.solver.newton.newton`) and most
        Newton steps.
    drop_collinear : bool
        If False (default), aliased columns raise :class:`CollinearityError`
        naming them; if True they are dropped with a warning.
    start : array-like, optional
        Starting coefficients (intercept first). Default: the intercept-only fit.
    feature_names : sequence of str, optional
        Names for the columns of X (default: a DataFrame's columns, else x1..xp).
    callback : callable, optional
        Called with each history row as it happens (used by ``-v`` in the CLI).
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}
        Covariance of the estimates; everything derived from it (standard
        errors, z, p, Wald intervals, the summary) follows. See
        :mod:`newtonlogit.inference.covariance`.
    groups : array-like, optional
        One cluster label per row, for ``cov_type="cluster"`` (CR1). With a
        formula, also the name of a column of ``data``.
    subsample_start : bool
        For large unpenalized or L2 fits without ``start``, start from a fit on
        a random subsample of rows (:mod:`newtonlogit.solver.warmstart`) and
        steer the steps with its information from score passes: fewer passes
        that evaluate the information, the same estimate. False starts from
        the intercept-only fit and takes plain Newton steps.

    Returns
    -------
    LogitResults

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(
    ...     {"x": rng.normal(size=200), "g": rng.choice(["a", "b"], 200)}
    ... )
    >>> eta = -0.5 + 1.5 * df["x"] + (df["g"] == "b")
    >>> df["y"] = (rng.random(200) < 1 / (1 + np.exp(-eta))).astype(int)
    >>> res = nl.logit(df[["x"]], df["y"])
    >>> res.params.round(3)
    Intercept   -0.234
    x            1.455
    Name: coef, dtype: float64
    >>> res.converged, res.n_iter
    (True, 5)

    A formula names the coefficients after the levels of a category, and
    ``predict`` applies the same encoding to new rows:

    >>> res = nl.logit("y ~ x + C(g)", data=df)
    >>> res.std_errors.round(3)
    Intercept    0.261
    x            0.239
    C(g)[T.b]    0.356
    Name: std_err, dtype: float64
    >>> res.predict(df.head(3)).round(3)
    array([0.617, 0.263, 0.782])

    Firth's penalized fit, and robust standard errors:

    >>> nl.logit("y ~ x", data=df, penalty="firth").params.round(3)
    Intercept   -0.230
    x            1.425
    Name: coef, dtype: float64
    >>> nl.logit("y ~ x", data=df, cov_type="HC3").std_errors.round(3)
    Intercept    0.171
    x            0.232
    Name: std_err, dtype: float64
    """
    return fit_logit(
        X,
        y,
        data=data,
        missing=missing,
        weights=weights,
        offset=offset,
        fit_intercept=fit_intercept,
        penalty=penalty,
        alpha=alpha,
        tol=tol,
        max_iter=max_iter,
        drop_collinear=drop_collinear,
        start=start,
        feature_names=feature_names,
        callback=callback,
        cov_type=cov_type,
        groups=groups,
        subsample_start=subsample_start,
    ).finish()


@dataclass(frozen=True)
class PendingLogit:
    """A fit whose results are still to be made: ``coef`` (every coefficient,
    intercept first, 0 for dropped ones) and ``n_iter`` as the solver left
    them, and ``finish() -> LogitResults``."""

    coef: np.ndarray
    n_iter: int
    finish: Callable[[], LogitResults]


def fit_logit(
    X,
    y=None,
    *,
    data=None,
    missing="raise",
    weights=None,
    offset=None,
    fit_intercept=True,
    penalty=None,
    alpha=0.0,
    tol=1e-8,
    max_iter=100,
    drop_collinear=False,
    start=None,
    feature_names=None,
    callback=None,
    cov_type="nonrobust",
    groups=None,
    subsample_start=True,
    certify=True,
):
    """:func:`logit` in two parts: the fit, and a :class:`PendingLogit`
    whose ``finish()`` makes the results (covariance, fit statistics).

    ``certify=False`` (unpenalized and L2 fits) lets a steered fit stop
    before the certificate's pass (:func:`newtonlogit.solver.newton.newton`):
    ``coef`` is then the estimate a caller that only predicts needs
    (:class:`~newtonlogit.LogisticRegression`), and ``finish`` evaluates the
    certificate first, going on from there in the rare case it asks for
    more (the results' coefficients are then the final ones). Until
    ``finish`` is called, the pending fit holds the data.
    """
    if penalty not in PENALTIES:
        raise ValueError(f"penalty must be one of {PENALTIES}; got {penalty!r}")
    alpha, tol, max_iter = check_solver_options(alpha, tol, max_iter)
    if penalty == "flic" and not fit_intercept:
        raise ValueError(
            "penalty='flic' refits the intercept: it needs fit_intercept=True"
        )
    if penalty == "l2" and alpha == 0:
        penalty = None
    check_cov_type(cov_type, groups)
    inputs = resolve_inputs(
        X,
        y,
        data=data,
        weights=weights,
        offset=offset,
        missing=missing,
        fit_intercept=fit_intercept,
        feature_names=feature_names,
        groups=groups,
    )
    design = make_design(
        inputs.X,
        inputs.y,
        weights=inputs.weights,
        offset=inputs.offset,
        fit_intercept=inputs.fit_intercept,
        feature_names=inputs.feature_names,
    )
    fit_intercept = design.fit_intercept
    n_groups = 0
    if inputs.groups is not None:
        codes, n_groups = group_codes(inputs.groups, design.n_rows)
        design = replace(design, groups=codes)
    backend = backend_for(design.X)(design)
    likelihood = LogLikelihood(
        backend, fit_intercept, design.loglik_constant, design.weight_unit()
    )
    beta0 = _start(design, start)
    first = aliased = held = None
    penalized = np.ones(len(design.coef_names), dtype=bool)
    penalized[0] = not fit_intercept
    ridge = (float(alpha), penalized) if penalty == "l2" else None
    if subsample_start and start is None and penalty in (None, "l2") and max_iter > 0:
        warm = warmstart.subsample_start(likelihood, beta0, ridge=ridge)
        if warm is not None and not (aliased := aliased_columns(warm.info)).size:
            # steps steered by the subsample's information, from score passes
            # (see warmstart and newton); the estimate's information is exact
            beta0, held = warm.beta, warm.info
    if held is None:
        first, aliased = likelihood(beta0, True), None
    check_information(held if first is None else first.info, design.coef_names)

    names = design.coef_names
    free = np.ones(len(names), dtype=bool)
    if penalty != "l2":
        if aliased is None:  # (the warm start's information was checked above)
            aliased = aliased_columns(first.info)
        if aliased.size:
            _refuse_or_warn(design, aliased, drop_collinear)
            free[aliased] = False
    if held is None and penalty is None and free.all() and start is None:
        if subsample_start and warmstart.steers_from_start(backend):
            held = first.info  # (no subsample: steered by the start's information)
    objective = likelihood
    if penalty == "l2":
        objective = Ridge(likelihood, float(alpha), penalized)
        first = None
    elif penalty in FIRTH_PENALTIES:
        objective = Firth(likelihood, free)
        first = None
    # Firth's Newton-Raphson falls back to the Fisher information where the
    # penalized likelihood's Hessian is not positive definite, and then
    # converges only linearly: asking for a decrement below tol**2 leaves an
    # error of about tol whichever matrix was used near the end.
    solver_tol = tol**2 if penalty in FIRTH_PENALTIES else tol
    refit = Refitter(objective, free, np.zeros(len(names)), solver_tol, max_iter)
    if not free.all():
        objective = Restricted(objective, free, np.zeros(len(names)))
        first = None
    # Only the plain likelihood can run off to infinity; penalties keep it finite.
    monitor = SeparationMonitor(design, free) if penalty is None else None
    fit = newton(
        objective,
        beta0[free],
        tol=solver_tol,
        max_iter=max_iter,
        first=first,
        callback=callback,
        monitor=monitor,
        held=held,
        certify=certify or penalty in FIRTH_PENALTIES,
        score_pass_cost=getattr(backend, "score_pass_cost", None),
        steer_pass_cost=getattr(backend, "steer_pass_cost", None),
    )
    warn_if_not_converged(fit, _separation_found(monitor), "penalty='firth'")
    options = dict(
        tol=solver_tol, max_iter=max_iter, callback=callback, monitor=monitor
    )

    def finish(fit: NewtonResult = fit) -> LogitResults:
        if not fit.certified:  # (converged, as far as the held information saw)
            fit = certify_fit(objective, fit, **options)
            warn_if_not_converged(fit, _separation_found(monitor), "penalty='firth'")
        return _finish(
            fit,
            design,
            likelihood,
            backend,
            inputs,
            monitor,
            free,
            refit,
            penalty=penalty,
            alpha=alpha,
            cov_type=cov_type,
            n_groups=n_groups,
            tol=tol,
            max_iter=max_iter,
        )

    coef = np.zeros(len(names))
    coef[free] = fit.beta
    return PendingLogit(coef, fit.n_iter, finish)


def _finish(
    fit,
    design,
    likelihood,
    backend,
    inputs,
    monitor,
    free,
    refit,
    *,
    penalty,
    alpha,
    cov_type,
    n_groups,
    tol,
    max_iter,
) -> LogitResults:
    """The results of a certified fit: warnings, covariance, statistics."""
    names = design.coef_names
    separation = _separation_found(monitor)
    beta = np.zeros(len(names))
    beta[free] = fit.beta
    refit = replace(refit, beta=beta)
    if separation is not None and separation.kind != "suspected":
        refit = replace(refit, unbounded=partial(unbounded_sides, design, free))
    res = _results(design, fit, free, penalty, alpha, refit)
    if penalty in FIRTH_PENALTIES:
        res = finish_firth(res, likelihood, penalty)
    if separation is not None:
        res = replace(
            res, separation=separation, fit_notes=(separation_note(separation),)
        )
    res = replace(
        res,
        **fit_statistics(
            res,
            design,
            backend,
            cov_type=cov_type,
            n_groups=n_groups,
            tol=tol,
            max_iter=max_iter,
            start=float(_start(design, None)[0]),
            # (FLIC and FLAC moved the estimate after the fit)
            at_estimate=fit.evaluation if np.array_equal(res.coef, fit.beta) else None,
        ),
    )
    res = replace(res, passes=backend.passes.as_dict())
    getattr(backend, "release", lambda: None)()  # drop data cached for the fit
    return inputs.attach(res)


def _separation_found(monitor):
    if monitor is None or monitor.separation is None:
        return None
    return monitor.separation if monitor.separation.separated else None


def _start(design: Design, start: Any) -> np.ndarray:
    k = len(design.coef_names)
    if start is not None:
        beta = np.asarray(start, dtype=np.float64).ravel()
        if beta.shape != (k,) or not np.isfinite(beta).all():
            raise ValueError(f"start must be {k} finite numbers (intercept first)")
        return beta
    beta = np.zeros(k)
    if design.fit_intercept:
        events, trials = design.outcome_totals()
        beta[0] = _logit(np.clip(events / trials, 1e-10, 1 - 1e-10))
        beta[0] -= design.mean_offset()  # (an offset of 800 would saturate every row)
    return beta


def _refuse_or_warn(design: Design, aliased: np.ndarray, drop: bool) -> None:
    names = [design.coef_names[j] for j in aliased]
    if not drop:
        raise CollinearityError(
            f"column(s) {names} are constant or linear combinations of other "
            "columns (aliased); remove them or pass drop_collinear=True",
            tuple(names),
        )
    warnings.warn(
        f"dropped aliased column(s) {names}", CollinearityWarning, stacklevel=3
    )


def _results(
    design: Design,
    fit: NewtonResult,
    free: np.ndarray,
    penalty,
    alpha,
    refit: Refitter,
) -> LogitResults:
    names = [n for n, f in zip(design.coef_names, free) if f]
    if fit.cho:
        cov = cho_inverse(fit.cho)
    else:
        cov = np.full((len(names), len(names)), np.nan)
    n_obs = design.n_positive()
    return LogitResults(
        coef_names=tuple(names),
        coef=fit.beta,
        cov_array=cov,
        loglik=_unpenalized_loglik(fit, penalty, alpha, design.fit_intercept),
        converged=fit.converged,
        n_iter=fit.n_iter,
        history_table=fit.history,
        feature_names=design.feature_names,
        fit_intercept=design.fit_intercept,
        aliased=tuple(n for n, f in zip(design.coef_names, free) if not f),
        n_obs=n_obs,
        penalty=penalty,
        alpha=float(alpha) if penalty else 0.0,
        classes=design.classes,
        message=fit.message,
        refit=refit,
    )


def _unpenalized_loglik(fit: NewtonResult, penalty, alpha, fit_intercept) -> float:
    if penalty in FIRTH_PENALTIES:
        return np.nan  # filled in by finish_firth
    if penalty != "l2":
        return fit.evaluation.value
    b = fit.beta[1:] if fit_intercept else fit.beta
    return fit.evaluation.value + 0.5 * alpha * float(b @ b)


__all__ = ["logit"]
