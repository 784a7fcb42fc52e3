"""Statistics that need the data once more, computed at fit time.

The results never hold data, so whatever inference needs from the rows is
summed here, right after the fit, through kernels mapped over the backend's
blocks: the intercept-only (null) fit, the saturated log-likelihood, the
sums behind marginal effects, and the chosen covariance. Each is a handful of
numbers; the passes cost O(n) or O(n p), less than one Newton step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import optimize, special

from ...backends.namespace import namespace_of
from ...inference.covariance import CovarianceInputs, covariance
from ...solver.newton import Evaluation, SingularInformation, newton
from . import kernels


@dataclass(frozen=True)
class MarginSums:
    """Case-weighted means at the estimate, for marginal effects.

    ``f = p (1 - p)``; ``grad_f = mean of f (1 - 2 p) x`` (the derivative of
    the mean of ``f`` with respect to beta); ``x_mean`` and ``offset_mean`` the
    means of the rows (intercept entry 1). All over the *full* coefficient
    vector, aliased entries included.
    """

    f_mean: float
    grad_f: np.ndarray
    x_mean: np.ndarray
    offset_mean: float


@dataclass(frozen=True)
class _NullLikelihood:
    """The log-likelihood of ``eta = b0 + offset``, a one-parameter objective."""

    backend: Any
    constant: float
    unit: float = 1.0  # the mean case weight (see newtonlogit.solver.newton)

    def __call__(self, beta: np.ndarray, derivatives: bool = True) -> Evaluation:
        ll, score, info, weight_sum = self.backend.map_sum(kernels.null_sums, beta)
        value = float(ll) + self.constant
        if not derivatives:
            return Evaluation(value, unit=self.unit)
        return Evaluation(value, score, info, float(weight_sum), unit=self.unit)


def null_loglik(
    backend: Any, design: Any, start: float, tol: float, max_iter: int
) -> float:
    """Log-likelihood of the intercept-only model (R's ``null.deviance`` model).

    Without an offset it has a closed form in the (weighted) numbers of
    successes ``S`` and trials ``N``: ``S log(S / N) + (N - S) log(1 - S / N)``
    with an intercept, ``-N log 2`` without one (``eta = 0``, as in R). With an
    offset the intercept has no closed form: it is a one-dimensional Newton
    fit whose passes never touch ``X``.
    """
    if design.offset is None:
        events, trials = design.outcome_totals()
        if not design.fit_intercept:
            return -trials * np.log(2.0) + design.loglik_constant
        share = events / trials
        return float(
            special.xlogy(events, share)
            + special.xlogy(trials - events, 1.0 - share)
            + design.loglik_constant
        )
    objective = _NullLikelihood(backend, design.loglik_constant, design.weight_unit())
    if not design.fit_intercept:
        return objective(np.zeros(1), False).value
    try:
        fit = newton(objective, np.array([start]), tol=tol, max_iter=max_iter)
    except SingularInformation:  # every row saturated at the start
        return _null_by_bisection(objective, design.offset)
    return fit.evaluation.value


def _null_by_bisection(objective, offset) -> float:
    """The intercept-only fit as the root of its score, which falls in the
    intercept from ``sum w y`` to ``-sum w (n - y)``: bracketed where every row
    is certain (``|eta| > 50`` at the offset's extremes), found by Brent's
    method. For offsets that leave no row uncertain at any start."""
    xp = namespace_of(offset)
    low, high = -float(xp.max(offset)) - 50.0, -float(xp.min(offset)) + 50.0

    def score(c: float) -> float:
        return float(objective(np.array([c]), True).score[0])

    if score(low) <= 0 or score(high) >= 0:  # one outcome only: at the bracket
        c = low if score(low) <= 0 else high
    else:
        c = optimize.brentq(score, low, high, xtol=1e-12, rtol=1e-14)
    return objective(np.array([c]), False).value


def saturated_loglik(backend: Any, design: Any) -> float:
    """Log-likelihood of the saturated model (0 for binary rows)."""
    if design.trials is None:
        return 0.0
    (ll,) = backend.map_sum(kernels.saturated_loglik)
    return float(ll) + design.loglik_constant


def margin_sums(
    backend: Any, beta: np.ndarray, fit_intercept: bool, at_estimate: Any = None
) -> MarginSums:
    """The :class:`MarginSums` at ``beta``: by-products of a Newton pass there
    (``kernels.newton_sums``), from ``at_estimate``, the evaluation of the
    likelihood at ``beta``, when the caller has it; else from one more pass."""
    if at_estimate is not None and at_estimate.margin_parts is not None:
        cf, parts = at_estimate.weight_sum, at_estimate.margin_parts
    else:
        *_, cf, _, parts = backend.map_sum(kernels.newton_sums, beta, fit_intercept)
    k = beta.size
    total, offset, gx, cx = parts[0], parts[1], parts[2 : 2 + k], parts[2 + k :]
    return MarginSums(float(cf) / total, gx / total, cx / total, float(offset) / total)


def fit_statistics(
    res: Any,
    design: Any,
    backend: Any,
    *,
    cov_type: str,
    n_groups: int,
    tol: float,
    max_iter: int,
    start: float,
    at_estimate: Any = None,
) -> dict:
    """Extra fields of :class:`~newtonlogit.LogitResults` (see its docs).

    ``at_estimate`` is the likelihood's evaluation at ``res.coef``, if the
    caller has it: its pass's by-products then save one over the data.
    """
    estimated = np.array([name not in res.aliased for name in design.coef_names])
    beta = np.zeros(len(estimated))
    beta[estimated] = res.coef
    inputs = CovarianceInputs(
        backend,
        kernels,
        beta,
        estimated,
        res.cov_array,
        design.fit_intercept,
        res.n_obs,
        n_groups,
    )
    return dict(
        cov_array=covariance(cov_type, inputs),
        cov_type=cov_type,
        n_groups=n_groups,
        loglik_null=null_loglik(backend, design, start, tol, max_iter),
        loglik_saturated=saturated_loglik(backend, design),
        margins=margin_sums(backend, beta, design.fit_intercept, at_estimate),
    )
