"""Steps steered by held information (score passes), certified exactly.

Large fits start from a subsample's estimate and step with its information,
evaluating only the value and score at each iterate; the information is
evaluated where the steering stops paying, and always at the reported
estimate. These tests check the certificate against a fresh pass at the
estimate, and hard cases where the steering must give way against plain
Newton-Raphson (no warm start: every pass evaluates the information).
"""

import numpy as np
import pytest

import newtonlogit as nl
from newtonlogit.backends.numpy import NumpyBackend
from newtonlogit.data.design import make_design
from newtonlogit.families.binary import kernels as _kernels
from newtonlogit.families.binary.objective import Firth, LogLikelihood
from newtonlogit.solver import warmstart
from newtonlogit.solver.newton import Evaluation, newton
from newtonlogit.solver.objective import Ridge
from newtonlogit.solver.steering import NEWTON_PASS, SCORE_PASS, STEER_PASS, next_pass

from .conftest import make_logit_data


def _certificate(res, X, y, **kwargs):
    """The decrement and log-likelihood at ``res.coef`` from a fresh pass."""
    backend = NumpyBackend(make_design(X, y, **kwargs))
    ll, score, info, *_ = backend.map_sum(
        _kernels.newton_sums, np.asarray(res.coef), True
    )
    return float(score @ np.linalg.solve(info, score)), float(ll)


def _same_fit(steered, plain, rtol=1e-8):
    assert steered.converged and plain.converged
    a, b = np.asarray(steered.coef), np.asarray(plain.coef)
    assert np.max(np.abs(a - b)) <= rtol * np.max(np.abs(b)), np.abs(a - b).max()
    np.testing.assert_allclose(steered.std_errors, plain.std_errors, rtol=rtol)
    assert steered.loglik == pytest.approx(plain.loglik, rel=1e-12)


def _kinds(res):
    return list(res.history["pass"])


@pytest.mark.parametrize("tol", [1e-8, 1e-10])
def test_the_certificate_is_the_exact_decrement_at_the_estimate(tol, passes):
    X, y, _ = make_logit_data(n=200_000, p=20, seed=11)
    res = nl.logit(X, y, tol=tol)
    kinds = _kinds(res)
    assert res.converged and kinds[0] == SCORE_PASS and kinds[-1] == NEWTON_PASS
    # every iterate of the history is one full-data pass of its kind, and the
    # marginal-effect sums came from the last one (no extra pass)
    full = [name for rows, name in passes if rows == X.shape[0]]
    assert full.count("score_sums") == kinds.count(SCORE_PASS)
    assert full.count("newton_sums") == kinds.count(NEWTON_PASS)
    assert full.count("steering_sums") == kinds.count(STEER_PASS)
    assert kinds.count(NEWTON_PASS) == 1  # (the certificate's)
    decrement, ll = _certificate(res, X, y)
    # the last row's decrement is the one a fresh pass at the estimate gives,
    # below the bound tol**2 (|loglik| + 0.1) that convergence is declared at
    last = res.history["decrement"].iloc[-1]
    assert decrement == pytest.approx(last, rel=1e-6, abs=1e-18)
    assert decrement / 2 <= tol**2 * (abs(ll) + 0.1)


def test_steered_fit_takes_fewer_information_passes_than_plain_newton(passes):
    X, y, _ = make_logit_data(n=400_000, p=10, seed=3)
    steered = nl.logit(X, y, tol=1e-10)
    plain = nl.logit(X, y, tol=1e-10, subsample_start=False)
    _same_fit(steered, plain)
    assert set(_kinds(plain)) == {NEWTON_PASS} and len(plain.history) >= 3
    assert _kinds(steered).count(NEWTON_PASS) < len(plain.history)


def _hard_case(name, rng):
    n, p = 200_000, 5
    X = rng.standard_normal((n, p))
    beta = np.linspace(-0.5, 0.5, p)
    kwargs = {}
    intercept = -0.5
    if name == "rare events":  # 1% positives
        intercept = -5.4
    elif name == "strong signal":  # |b| about 1 at p = 100
        n, p = 120_000, 100
        X = rng.standard_normal((n, p))
        beta = rng.choice([-1, 1], p) * rng.uniform(0.8, 1.2, p)
    elif name == "near separation":  # one column almost decides the outcome
        beta = np.array([12.0, 0.5, -0.5, 0.3, 0.0])
    elif name == "weights over six orders of magnitude":
        kwargs["weights"] = 10.0 ** rng.uniform(-3, 3, n)
    eta = intercept + X @ beta
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y, kwargs


HARD_CASES = [
    "rare events",
    "strong signal",
    "near separation",
    "weights over six orders of magnitude",
]


@pytest.mark.parametrize("name", HARD_CASES)
def test_hard_cases_give_the_plain_newton_fit(name):
    X, y, kwargs = _hard_case(name, np.random.default_rng(7))
    steered = nl.logit(X, y, tol=1e-10, **kwargs)
    plain = nl.logit(X, y, tol=1e-10, subsample_start=False, **kwargs)
    _same_fit(steered, plain)
    assert _kinds(steered)[0] == SCORE_PASS and _kinds(steered)[-1] == NEWTON_PASS
    decrement, ll = _certificate(steered, X, y, **kwargs)
    assert decrement / 2 <= 1e-20 * (abs(ll) + 0.1) or (
        steered.history["pass"].iloc[-2] == NEWTON_PASS  # round-off: plain test
    )


def test_rare_events_start_from_a_case_control_subsample():
    # 0.6% events: a uniform subsample of 10,000 rows would hold about 60.
    # The warm start takes every event and a stratified sample of the rest,
    # weighted by the inverse sampling rate: its weighted totals are the
    # data's, and its information estimates the full-data one unscaled.
    X, y, _ = _hard_case("rare events", np.random.default_rng(7))
    design = make_design(X, y)
    m = warmstart.subsample_rows(X.shape[0], 6)
    rows, scale = warmstart.case_control_rows(design, m, 6)
    assert rows.size == m and np.all(np.diff(rows) > 0)
    assert np.all(y[rows][scale == 1] == 1) and y[rows].sum() == y.sum()
    assert scale @ (1 - y[rows]) == pytest.approx((1 - y).sum())
    likelihood = LogLikelihood(NumpyBackend(design), True)
    warm = warmstart.subsample_start(likelihood, np.zeros(6))
    exact = NumpyBackend(design).map_sum(_kernels.newton_sums, warm.beta, True)[2]
    assert np.linalg.norm(warm.info - exact) < 0.1 * np.linalg.norm(exact)


def test_strong_signal_refreshes_the_information():
    # The subsample's information steers badly where the linear predictor has
    # a standard deviation near 10: the safeguard evaluates it again (a
    # steering pass) after the one planned.
    X, y, kwargs = _hard_case("strong signal", np.random.default_rng(7))
    kinds = _kinds(nl.logit(X, y, tol=1e-10, **kwargs))
    assert kinds[:-1].count(NEWTON_PASS) + kinds.count(STEER_PASS) >= 2


def test_a_level_missing_from_the_subsample_gives_the_plain_fit():
    # A level seen on 6 rows of 200,000: the stratified subsample misses it,
    # its information is singular in that direction, and the fit is the plain
    # one from the start.
    rng = np.random.default_rng(5)
    n = 200_000
    X = np.column_stack([rng.standard_normal((n, 3)), np.zeros(n)])
    rare = np.array([1_001, 40_017, 77_777, 123_456, 150_003, 199_990])
    X[rare, 3] = 1.0
    y = (rng.random(n) < 1 / (1 + np.exp(-(X[:, :3] @ [0.5, -0.3, 0.2])))) * 1.0
    y[rare] = [1, 0, 1, 0, 0, 1]
    m = warmstart.subsample_rows(n, 5)
    assert not np.isin(rare, warmstart.stratified_rows(n, m)).any()
    steered = nl.logit(X, y, tol=1e-10)
    plain = nl.logit(X, y, tol=1e-10, subsample_start=False)
    _same_fit(steered, plain)
    assert set(_kinds(steered)) == {NEWTON_PASS}


def test_a_misleading_held_information_is_replaced():
    # Held information a hundred times too large: steps a hundredth of the
    # way. The safeguard evaluates the information and the fit is the plain
    # one, certified.
    X, y, _ = make_logit_data(n=5_000, p=4, seed=2)
    likelihood = LogLikelihood(NumpyBackend(make_design(X, y)), True)
    start = np.zeros(5)
    exact = likelihood(start, True)
    fit = newton(likelihood, start, tol=1e-10, held=100 * exact.info)
    plain = newton(likelihood, start, tol=1e-10)
    assert fit.converged
    np.testing.assert_allclose(fit.beta, plain.beta, rtol=1e-9)
    kinds = list(fit.history["pass"])
    assert kinds[0] == SCORE_PASS and NEWTON_PASS in kinds[1:3]
    assert fit.history["decrement"].iloc[-1] / 2 <= 1e-20 * (
        abs(fit.evaluation.value) + 0.1
    )


def test_objectives_without_score_passes_are_not_steered():
    X, y, _ = make_logit_data(n=3_000, p=3, seed=4)
    likelihood = LogLikelihood(NumpyBackend(make_design(X, y)), True)
    firth = Firth(likelihood, np.ones(4, dtype=bool))
    ridge = Ridge(likelihood, 1.0, np.array([False, True, True, True]))
    assert likelihood.score_passes and ridge.score_passes
    assert not firth.score_passes
    held = likelihood(np.zeros(4), True).info
    fit = newton(firth, np.zeros(4), tol=1e-10, held=held)
    assert set(fit.history["pass"]) == {NEWTON_PASS}
    steered = newton(ridge, np.zeros(4), tol=1e-10, held=held)
    assert steered.converged and list(steered.history["pass"])[0] == SCORE_PASS
    np.testing.assert_allclose(
        steered.beta, newton(ridge, np.zeros(4), tol=1e-10).beta, rtol=1e-9
    )


def test_an_l2_fit_is_steered_and_equals_the_plain_one(passes):
    X, y, _ = make_logit_data(n=200_000, p=8, seed=12)
    steered = nl.logit(X, y, penalty="l2", alpha=50.0, tol=1e-10)
    plain = nl.logit(X, y, penalty="l2", alpha=50.0, tol=1e-10, subsample_start=False)
    _same_fit(steered, plain)
    kinds = _kinds(steered)
    assert kinds[0] == SCORE_PASS and kinds[-1] == NEWTON_PASS
    assert kinds.count(NEWTON_PASS) < len(plain.history)


@pytest.mark.parametrize("scale", [1e-6, 1e3])
def test_scaling_every_weight_changes_no_decision_of_a_steered_fit(scale):
    # the warm start's thresholds and the certificate are in units of the
    # mean case weight: the same passes, the same estimate
    X, y, _ = make_logit_data(n=250_000, p=5, seed=8)
    plain = nl.logit(X, y)
    scaled = nl.logit(X, y, weights=np.full(y.size, scale))
    assert _kinds(scaled) == _kinds(plain) and _kinds(plain)[0] == SCORE_PASS
    np.testing.assert_allclose(scaled.coef, plain.coef, rtol=1e-10)


def test_the_estimator_fit_leaves_the_certificate_to_results(passes):
    # LogisticRegression.fit stops at the score pass whose decrement, with
    # the information it steered by, is below the bound: no pass of its own
    # evaluates the information at the estimate. Reading results_ does, and
    # gives the certificate and the covariance of the function API's fit.
    X, y, _ = make_logit_data(n=200_000, p=20, seed=11)
    est = nl.LogisticRegression().fit(X, y)
    fitted = [name for rows, name in passes if rows == X.shape[0]]
    assert fitted[-1] == "score_sums"
    coef = est.coef_.copy()
    del passes[:]
    res = est.results_
    assert [name for rows, name in passes if rows == X.shape[0]] == ["newton_sums"]
    assert _kinds(res)[-2:] == [SCORE_PASS, NEWTON_PASS]
    assert res.history["iteration"].iloc[-1] == res.history["iteration"].iloc[-2]
    decrement, ll = _certificate(res, X, y)
    assert decrement / 2 <= 1e-2 * 1e-16 * (abs(ll) + 0.1)
    ref = nl.logit(X, y)
    se = np.asarray(ref.std_errors)
    assert np.max(np.abs(np.asarray(res.coef) - np.asarray(ref.coef)) / se) < 1e-6
    np.testing.assert_allclose(res.std_errors, ref.std_errors, rtol=1e-8)
    np.testing.assert_array_equal(est.coef_, coef)  # (certified where it stood)
    assert est.results_ is res  # made once


def test_a_deferred_certificate_that_fails_takes_the_exact_steps(monkeypatch):
    # Where the held information misjudged the decrement, reading results_
    # goes on with exact Newton steps from the estimate, and coef_ follows.
    import newtonlogit.solver.newton as solver

    X, y, _ = make_logit_data(n=200_000, p=20, seed=11)
    ref = nl.logit(X, y)
    monkeypatch.setattr(solver, "HELD_MARGIN", 1e12)  # stops far too early
    est = nl.LogisticRegression().fit(X, y)
    early = est.coef_.copy()
    res = est.results_
    assert res.converged and _kinds(res)[-1] == NEWTON_PASS
    assert np.max(np.abs(early.ravel() - np.asarray(ref.coef)[1:])) > 1e-6
    np.testing.assert_allclose(est.coef_.ravel(), res.coef[1:])
    se = np.asarray(ref.std_errors)
    assert np.max(np.abs(np.asarray(res.coef) - np.asarray(ref.coef)) / se) < 1e-6


def test_a_pickled_estimator_carries_its_results():
    # (made before pickling: the pending fit is a closure over the data)
    import pickle

    X, y, _ = make_logit_data(n=200_000, p=5, seed=2)
    est = nl.LogisticRegression().fit(X, y)
    back = pickle.loads(pickle.dumps(est))
    assert back.__dict__["_results"] is not None
    np.testing.assert_array_equal(back.results_.coef, est.results_.coef)
    np.testing.assert_array_equal(back.predict_proba(X[:5]), est.predict_proba(X[:5]))


def test_multinomial_fits_are_steered_too(passes):
    # K = 4 classes: the warm start checks every class's rows in the
    # subsample, steps are steered by its information from score passes
    # (products of X with K - 1 vectors, no Gram), and the estimate carries
    # the exact certificate; the fit equals exact Newton from the
    # intercept-only start.
    rng = np.random.default_rng(5)
    n, p, K = 200_000, 6, 4
    X = rng.standard_normal((n, p))
    B = rng.uniform(-0.6, 0.6, size=(K - 1, p + 1))
    eta = np.column_stack([np.zeros(n), B[:, 0] + X @ B[:, 1:].T])
    P = np.exp(eta - eta.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)
    steered = nl.mnlogit(X, y, tol=1e-10)
    kinds = _kinds(steered)
    assert kinds[0] == SCORE_PASS and kinds[-1] == NEWTON_PASS
    full = [name for rows, name in passes if rows == n]
    assert full.count("multinomial_score_sums") == kinds.count(SCORE_PASS)
    assert full.count("multinomial_sums") == kinds.count(NEWTON_PASS)
    plain = nl.mnlogit(X, y, tol=1e-10, subsample_start=False)
    assert set(_kinds(plain)) == {NEWTON_PASS}
    assert kinds.count(NEWTON_PASS) < len(plain.history)
    se = np.asarray(plain.std_errors).reshape(plain.coef.shape)
    assert np.max(np.abs(steered.coef - plain.coef) / se) < 1e-6
    np.testing.assert_allclose(steered.std_errors, plain.std_errors, rtol=1e-7)
    assert steered.loglik == pytest.approx(plain.loglik, rel=1e-12)
    # the last decrement is the exact one at the estimate, below the bound
    assert steered.history["decrement"].iloc[-1] / 2 <= 1e-2 * 1e-20 * (
        abs(steered.loglik) + 0.1
    )


def test_a_class_too_rare_for_the_subsample_gets_no_warm_start():
    rng = np.random.default_rng(6)
    n = 200_000
    X = rng.standard_normal((n, 3))
    y = rng.integers(0, 3, n)
    y[rng.choice(n, 300, replace=False)] = 3  # 15 rows of class 3 in 10,000
    res = nl.mnlogit(X, y)
    assert set(_kinds(res)) == {NEWTON_PASS}


def test_a_steering_pass_is_a_newton_pass_with_float32_information():
    # the value and score are those of the exact pass; the information is
    # within float32 rounding of the exact one, returned as float64
    X, y, _ = make_logit_data(n=20_000, p=30, seed=3)
    backend = NumpyBackend(make_design(X, y, weights=np.linspace(0.5, 2, 20_000)))
    beta = np.linspace(-0.3, 0.3, 31)
    ll, score, info, weight_sum, saturated, _ = backend.map_sum(
        _kernels.newton_sums, beta, True
    )
    steer = backend.map_sum(_kernels.steering_sums, beta, True)
    assert steer[0] == pytest.approx(ll, rel=1e-13)
    np.testing.assert_allclose(steer[1], score, rtol=1e-10, atol=1e-9)
    assert steer[2].dtype == np.float64 and steer[2].shape == info.shape
    assert 0 < np.linalg.norm(steer[2] - info) < 1e-5 * np.linalg.norm(info)
    assert float(steer[3]) == pytest.approx(float(weight_sum), rel=1e-13)
    assert float(steer[4]) == float(saturated)


def test_steering_passes_change_no_estimate(monkeypatch):
    # The same fit with the held information refreshed by exact passes only
    # (a backend without a cheaper pass): the same estimate and covariance,
    # the same number of evaluations, one Newton pass against none but the last
    X, y, _ = make_logit_data(n=200_000, p=20, seed=11)
    steered = nl.logit(X, y, tol=1e-10)
    monkeypatch.setattr(NumpyBackend, "steer_pass_cost", None)
    exact = nl.logit(X, y, tol=1e-10)
    assert STEER_PASS in _kinds(steered) and STEER_PASS not in _kinds(exact)
    assert [k if k != STEER_PASS else NEWTON_PASS for k in _kinds(steered)] == (
        _kinds(exact)
    )
    _same_fit(steered, exact)


class _BrokenSteering:
    """The log-likelihood, its steering information not positive definite
    (as float32 rounding may leave it on badly scaled columns)."""

    score_passes = steer_passes = True

    def __init__(self, likelihood):
        self.likelihood = likelihood
        self.unit = 1.0

    def __call__(self, beta, derivatives=True):
        base = self.likelihood(beta, derivatives)
        if base.steering_info is None:
            return base
        return Evaluation(
            base.value,
            base.score,
            weight_sum=base.weight_sum,
            steering_info=-np.eye(beta.size),
        )


def test_a_steering_information_that_fails_is_evaluated_exactly():
    X, y, _ = make_logit_data(n=100_000, p=6, seed=9)
    likelihood = LogLikelihood(NumpyBackend(make_design(X, y)), True)
    warm = warmstart.subsample_start(likelihood, np.zeros(7))
    fit = newton(
        _BrokenSteering(likelihood),
        warm.beta,
        tol=1e-10,
        held=warm.info,
        steer_pass_cost=0.6,
    )
    plain = newton(likelihood, np.zeros(7), tol=1e-10)
    kinds = list(fit.history["pass"])
    assert fit.converged and STEER_PASS not in kinds and NEWTON_PASS in kinds[1:-1]
    np.testing.assert_allclose(fit.beta, plain.beta, rtol=1e-8)


@pytest.mark.parametrize(
    ("decrements", "kinds", "costs", "expected"),
    [
        # a rate of 0.002 from 1,000 to 1e-12: 5 score passes (1.5) cost
        # more than a steering pass and one score pass (0.9), not more than
        # an exact one and one score pass (1.3) ... at 4 passes
        ([1e3, 2.0], [SCORE_PASS] * 2, (0.3, 0.6), STEER_PASS),
        ([1e3, 2.0], [SCORE_PASS] * 2, (0.3, 1.0), True),
        ([1e-3, 2e-6], [SCORE_PASS] * 2, (0.3, 1.0), "score"),
        # the next decrement predicted below a tenth of the bound: exact
        ([1e-3, 1e-9], [SCORE_PASS] * 2, (0.3, 0.6), True),
        # a step that shrank the decrement by less than a quarter: refresh
        ([1.0, 0.5], [SCORE_PASS] * 2, (0.3, 0.6), STEER_PASS),
        # after a fresh information: a score pass (quadratic step)
        ([1e3, 2.0], [SCORE_PASS, STEER_PASS], (0.3, 0.6), "score"),
        # one row: the rate of a subsample's steering is assumed
        ([1e2], [SCORE_PASS], (0.3, 0.6), STEER_PASS),
        # a refresh waits for an iterate predicted near enough (decrement <= 1)
        ([1e3], [SCORE_PASS], (0.3, 0.6), "score"),
        ([1e5, 1e3], [SCORE_PASS] * 2, (0.3, 0.6), "score"),
        ([1e-9], [SCORE_PASS], (0.3, 0.6), "score"),
        ([1e-13], [SCORE_PASS], (0.3, 0.6), True),
    ],
)
def test_the_next_pass_is_the_cheapest_way_to_the_certificate(
    decrements, kinds, costs, expected
):
    rows = [{"decrement": d, "pass": k} for d, k in zip(decrements, kinds)]
    refresh = STEER_PASS if costs[1] < 1 else True
    assert next_pass(rows, 1e-12, True, costs, refresh) == expected


def test_wide_data_without_a_subsample_is_steered_from_the_start(passes):
    # 60,000 x 300: too few rows per coefficient for a subsample (50 each),
    # but a score pass costs a tenth of a Newton pass: the steps after the
    # first exact pass are steered by its information, the same fit.
    from newtonlogit.backends.numpy import pass_costs

    rng = np.random.default_rng(4)
    n, p = 60_000, 300
    assert warmstart.subsample_rows(n, p + 1) is None and pass_costs(p)[0] < 0.1
    X = rng.standard_normal((n, p))
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ rng.normal(0, 0.06, p))))) * 1.0
    steered = nl.logit(X, y, tol=1e-10)
    plain = nl.logit(X, y, tol=1e-10, subsample_start=False)
    _same_fit(steered, plain)
    kinds = _kinds(steered)
    assert kinds[0] == NEWTON_PASS and kinds[-1] == NEWTON_PASS
    assert kinds.count(NEWTON_PASS) == 2 and SCORE_PASS in kinds
    assert set(_kinds(plain)) == {NEWTON_PASS} and len(plain.history) > 2
