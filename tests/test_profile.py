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


def _brute_profile_limit(signed_rows_of, level_stat, bracket):
    """The root of ``2 (sup l - l_j(t)) = chi2`` by brute force: the profile
    ``l_j(t)`` maximized over the other coefficient by a bounded scalar search
    (SciPy, not this package's solver); ``sup l`` is 0 on these separated data."""
    from scipy import optimize, special

    def profile_at(t):
        def loss(b):
            return -np.sum(special.log_expit(signed_rows_of(t, b)))

        return -optimize.minimize_scalar(
            loss, bounds=(-500, 500), method="bounded", options={"xatol": 1e-12}
        ).fun

    return optimize.brentq(lambda t: -2 * profile_at(t) - level_stat, *bracket)


def test_complete_separation_gives_infinite_limits_where_the_likelihood_never_turns():
    """x = 0..9, y = x > 4.5: the intercept runs off to -inf and the slope to
    +inf. Each has one infinite limit; the other limit is finite and equals a
    brute-force profile (whose supremum is 0), not the +-928 a step-out search
    invents, nor measured from where Newton-Raphson stopped."""
    x = np.arange(10.0)
    y = (x > 4.5).astype(float)
    s = 2 * y - 1
    with pytest.warns(nl.SeparationWarning):
        res = nl.logit(x.reshape(-1, 1), y)
    with pytest.warns(UserWarning, match="infinite"):
        ci = res.conf_int(method="profile")
    chi2 = stats.chi2.ppf(0.95, 1)
    upper0 = _brute_profile_limit(lambda t, b: s * (t + b * x), chi2, (-10, 5))
    lower1 = _brute_profile_limit(lambda t, b: s * (b + t * x), chi2, (0.01, 3))
    assert ci.loc["Intercept", "lower"] == -np.inf
    assert ci.loc["x1", "upper"] == np.inf
    assert ci.loc["Intercept", "upper"] == pytest.approx(upper0, abs=1e-6)
    assert ci.loc["x1", "lower"] == pytest.approx(lower1, abs=1e-6)


def test_symmetric_separation_leaves_the_intercept_unbounded_both_ways():
    """x symmetric about 0, y = x > 0: any intercept is compensated by a
    steeper slope, so both of its limits are infinite (were about +-950); the
    slope's lower limit lies above the estimate, where the fit stopped."""
    x = np.linspace(-3, 3, 100)
    y = (x > 0).astype(float)
    with pytest.warns(nl.SeparationWarning):
        res = nl.logit(x.reshape(-1, 1), y)
    with pytest.warns(UserWarning, match="infinite"):
        ci = res.conf_int(method="profile")
    assert ci.loc["Intercept"].tolist() == [-np.inf, np.inf]
    chi2 = stats.chi2.ppf(0.95, 1)
    # the intercept's profile is flat at 0: profile over the slope, intercept free
    lower = _brute_profile_limit(lambda t, b: (2 * y - 1) * (b + t * x), chi2, (1, 100))
    assert ci.loc["x1", "lower"] == pytest.approx(lower, abs=1e-6)
    assert ci.loc["x1", "lower"] > res.coef[1]
    assert ci.loc["x1", "upper"] == np.inf


def test_quasi_separation_profile_has_no_lapack_error():
    """A quasi-separated fit with a second column: refits that start where
    the information is singular start again elsewhere (was SingularInformation)."""
    rng = np.random.default_rng(1)
    x = np.arange(11.0)
    y = (x >= 5).astype(float)
    y[5] = 0.0
    X = np.column_stack([x, rng.normal(size=11)])
    with pytest.warns(nl.SeparationWarning):
        res = nl.logit(X, y)
    with pytest.warns(UserWarning, match="infinite"):
        ci = res.conf_int(method="profile")
    inf = res.separation.directions
    for name in res.coef_names:
        if inf[name] > 0:
            assert ci.loc[name, "upper"] == np.inf
        if inf[name] < 0:
            assert ci.loc[name, "lower"] == -np.inf
    assert np.isfinite(ci.loc["x1", "lower"])


def test_multinomial_profile_on_separated_classes():
    """Two classes: the multinomial profile equals the binary one, infinite
    sides included; three ordered, separated classes: the finite limit of the
    class-2 intercept is where a brute-force profile (L-BFGS-B over the other
    three coefficients, from several starts) reaches the level."""
    from scipy import optimize, special

    x = np.arange(10.0)
    y = (x > 4.5).astype(int)
    with pytest.warns(nl.SeparationWarning):
        binary = nl.logit(x.reshape(-1, 1), y)
        multi = nl.mnlogit(x.reshape(-1, 1), y)
    with pytest.warns(UserWarning, match="infinite"):
        np.testing.assert_allclose(
            multi.conf_int(method="profile").to_numpy(),
            binary.conf_int(method="profile").to_numpy(),
            rtol=1e-7,
        )
    y3 = np.digitize(x, [3.5, 6.5])
    with pytest.warns(nl.SeparationWarning):
        res = nl.mnlogit(x.reshape(-1, 1), y3)
    with pytest.warns(UserWarning, match="infinite"):
        ci = res.conf_int(method="profile")
    assert ci.loc[(2, "Intercept"), "lower"] == -np.inf
    assert ci.loc[(2, "x1"), "upper"] == np.inf
    limit = ci.loc[(2, "Intercept"), "upper"]

    def profile_at(t):
        def loss(q):
            eta = np.column_stack([np.zeros(10), q[0] + q[1] * x, t + q[2] * x])
            return -np.sum(eta[np.arange(10), y3] - special.logsumexp(eta, axis=1))

        return -min(
            optimize.minimize(
                loss,
                s0,
                method="L-BFGS-B",
                bounds=[(-400, 400)] * 3,
                options={"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000},
            ).fun
            for s0 in (np.zeros(3), np.array([-20, 5, 8.0]), np.array([-50, 10, 20.0]))
        )

    assert -2 * profile_at(limit) == pytest.approx(stats.chi2.ppf(0.95, 1), abs=1e-4)
