"""Profile-likelihood intervals: R's exact limits, near separation, cost."""

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats

import newtonlogit as nl
from newtonlogit.inference import profile
from newtonlogit.solver.refit import Refitter

from .conftest import load_iris_pair
from .reference import values as ref


def _check(ci, lower, upper, rtol=1e-6):
    np.testing.assert_allclose(ci["lower"], lower, rtol=rtol)
    np.testing.assert_allclose(ci["upper"], upper, rtol=rtol)


def test_spector_matches_r_exact_profile_limits(spector):
    # R 4.2.2: exact profile-likelihood limits by root finding (profile_ci_*)
    res = nl.logit(spector.X, spector.y)
    block = ref.R_SPECTOR_LOGIT
    _check(
        res.conf_int(method="profile"),
        block["profile_ci_lower"],
        block["profile_ci_upper"],
    )
    _check(
        res.conf_int(0.90, method="profile"),
        ref.R_SPECTOR_PROFILE_CI90_lower,
        ref.R_SPECTOR_PROFILE_CI90_upper,
    )


def test_lbw_matches_r_exact_profile_limits(lbw):
    res = nl.logit(lbw.X, lbw.y)
    block = ref.R_LBW_LOGIT
    ci = res.conf_int(method="profile")
    _check(ci, block["profile_ci_lower"], block["profile_ci_upper"])


def test_profile_odds_ratios(spector):
    res = nl.logit(spector.X, spector.y)
    odds = res.odds_ratios(method="profile")
    np.testing.assert_allclose(
        odds["upper"], np.exp(ref.R_SPECTOR_LOGIT["profile_ci_upper"]), rtol=1e-6
    )


def _lr_at(X, y, j, value, top):
    """2 (top - max loglik with coefficient ``j`` held at ``value``), maximized
    independently: L-BFGS from the unconstrained estimate (plain Newton or IRLS
    restarts diverge here)."""
    from scipy import optimize

    Xt = np.column_stack([np.ones(len(y)), X])
    rest = np.delete(np.arange(Xt.shape[1]), j)

    def negloglik(b):
        eta = Xt[:, rest] @ b + value * Xt[:, j]
        p = 1 / (1 + np.exp(-eta))
        return np.sum(np.logaddexp(0, eta) - y * eta), Xt[:, rest].T @ (p - y)

    start = np.delete(top, j)
    fit = optimize.minimize(
        negloglik,
        start,
        jac=True,
        method="L-BFGS-B",
        options=dict(ftol=1e-15, gtol=1e-10, maxiter=10_000),
    )
    b = top
    eta = Xt @ b
    best = np.sum(np.logaddexp(0, eta) - y * eta)
    return 2 * (fit.fun - best)


def test_nearly_separated_iris_limits_are_roots(recwarn):
    # virginica vs versicolor: large SEs, a profile far from quadratic; each
    # limit must be where the LR statistic equals z^2 (checked independently)
    data = load_iris_pair(1, 2)
    res = nl.logit(data.X, data.y)
    ci = res.conf_int(method="profile")
    assert np.isfinite(ci.to_numpy()).all()
    z2 = stats.norm.isf(0.025) ** 2
    X = data.X.to_numpy()
    for j in (0, 4):  # Intercept, Petal.Width
        for side in ("lower", "upper"):
            lr = _lr_at(X, data.y, j, ci.iloc[j][side], res.coef)
            assert lr == pytest.approx(z2, rel=1e-6), (j, side)
    # asymmetric, unlike the Wald interval
    wald = res.conf_int()
    assert ci.loc["Petal.Width", "lower"] > wald.loc["Petal.Width", "lower"] + 1
    assert not [w for w in recwarn if issubclass(w.category, nl.ConvergenceWarning)]


def test_refits_are_warm_started(spector, monkeypatch):
    res = nl.logit(spector.X, spector.y)
    iterations = []
    original = Refitter.fit_with_fixed

    def counting(self, fixed, start=None):
        fit = original(self, fixed, start)
        iterations.append(fit.n_iter)
        return fit

    monkeypatch.setattr(Refitter, "fit_with_fixed", counting)
    res.conf_int(method="profile")
    # a cold start from the estimate takes 7-9 iterations at these points
    assert np.mean(iterations) < 3
    assert len(iterations) < 16 * len(res.coef)


def test_penalized_fit_profiles_its_own_objective(spector):
    # The profile is of the objective that was fitted (here loglik - alpha/2
    # ||b||^2): at each limit the drop of that objective is z^2 / 2.
    res = nl.logit(spector.X, spector.y, penalty="l2", alpha=0.5)
    ci = res.conf_int(0.9, method="profile")
    top = res.refit.value(res.coef)
    z = stats.norm.isf(0.05)
    for j in range(len(res.coef)):
        for side in ("lower", "upper"):
            fit = res.refit.fit_with_fixed({j: ci.iloc[j][side]})
            assert 2 * (top - fit.evaluation.value) == pytest.approx(z**2, rel=1e-7)


def test_profile_needs_the_refit_handle(spector):
    loaded = replace(nl.logit(spector.X, spector.y), refit=None)
    with pytest.raises(ValueError, match="method='wald'"):
        loaded.conf_int(method="profile")
    assert np.isfinite(loaded.conf_int().to_numpy()).all()


def test_limit_is_infinite_where_the_profile_flattens():
    class Flat:
        coef = np.array([0.0])
        j = 0

        def root(self, value):  # |r| -> 1 < z: the level is never reached
            return 1 - np.exp(-abs(value))

    assert profile._limit(Flat(), +1, 1.96, 1.0) == np.inf
    assert profile._limit(Flat(), -1, 1.96, 1.0) == -np.inf


def test_weighted_fit_profiles_like_repeated_rows(spector):
    w = np.arange(32) % 3 + 1
    offset = np.linspace(-1, 1, 32)
    weighted = nl.logit(spector.X, spector.y, weights=w.astype(float), offset=offset)
    repeated = nl.logit(
        spector.X.loc[spector.X.index.repeat(w)],
        np.repeat(spector.y, w),
        offset=np.repeat(offset, w),
    )
    np.testing.assert_allclose(
        weighted.conf_int(method="profile"),
        repeated.conf_int(method="profile"),
        rtol=1e-8,
    )
