"""Conditional logistic regression: survival::clogit's numbers, the kernels
against brute-force enumeration, strata kept whole, weights, prediction, files.

Reference numbers: tests/reference/clogit.R (R survival::clogit on R's
``infert``, written to tests/reference/clogit_survival.json).
"""

import itertools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl
from newtonlogit.backends.numpy import NumpyBackend
from newtonlogit.data.design import Design
from newtonlogit.families.conditional import kernels
from newtonlogit.families.conditional.objective import ConditionalLikelihood
from newtonlogit.kernels.block import Block

HERE = Path(__file__).parent / "reference"
REF = json.loads((HERE / "clogit_survival.json").read_text())
FORMULA = "case ~ spontaneous + induced"
METHODS = ("exact", "efron", "breslow")


@pytest.fixture(scope="module")
def infert():
    return pd.read_csv(HERE / "infert.csv")


@pytest.mark.parametrize("strata", ["stratum", "pooled.stratum"])
@pytest.mark.parametrize("method", METHODS)
def test_equals_survival_clogit(infert, strata, method):
    ref = REF[f"{strata}:{method}"]
    res = nl.clogit(FORMULA, data=infert, strata=strata, method=method)
    assert res.converged and res.coef_names == ("spontaneous", "induced")
    np.testing.assert_allclose(res.coef, ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(res.cov_array, ref["cov"], rtol=1e-6)
    assert res.loglik == pytest.approx(ref["loglik"], rel=1e-9)
    assert res.loglik_null == pytest.approx(ref["loglik_null"], rel=1e-9)
    assert res.lr_test().statistic == pytest.approx(ref["lr"], rel=1e-7)
    profile = res.conf_int(method="profile").to_numpy()
    expected = [ref["profile_spontaneous"], ref["profile_induced"]]
    np.testing.assert_allclose(profile, expected, rtol=1e-6)


@pytest.mark.parametrize("strata", ["stratum", "pooled.stratum"])
@pytest.mark.parametrize("method", ["efron", "breslow"])
def test_robust_equals_survival(infert, strata, method):
    """HC0 is survival's robust = TRUE: one score residual per row."""
    res = nl.clogit(FORMULA, data=infert, strata=strata, method=method, cov_type="HC0")
    np.testing.assert_allclose(
        res.cov_array, REF[f"{strata}:{method}"]["cov_robust"], rtol=1e-6
    )


@pytest.mark.parametrize("method", ["efron", "breslow", "exact"])
def test_cluster_is_survival_times_cr1(infert, method):
    """survival's cluster() variance has no small-sample factor; ours is CR1.
    (On 1:M sets the exact likelihood is Breslow's, so exact may cluster too.)"""
    res = nl.clogit(
        FORMULA, data=infert, strata="stratum", method=method,
        cov_type="cluster", groups="pooled.stratum",
    )  # fmt: skip
    ref = np.array(REF[f"cluster:{'efron' if method == 'exact' else method}"]["cov"])
    g, n, k = res.n_groups, res.n_obs, 2
    assert g == 63 and n == 248
    np.testing.assert_allclose(
        res.cov_array, ref * g / (g - 1) * (n - 1) / (n - k), rtol=1e-6
    )


def test_exact_robust_on_several_cases_needs_whole_strata(infert):
    with pytest.raises(nl.DataError, match="clusters that hold whole strata"):
        nl.clogit(FORMULA, data=infert, strata="pooled.stratum", cov_type="HC0")
    # clusters that hold whole sets: well defined (sums of the sets' scores)
    res = nl.clogit(
        FORMULA, data=infert, strata="pooled.stratum", cov_type="cluster",
        groups="pooled.stratum",
    )  # fmt: skip
    assert np.all(np.isfinite(res.std_errors))


# -- the kernels against enumeration ---------------------------------------------
def _random_sets(seed, sizes, cases, p=3):
    rng = np.random.default_rng(seed)
    segments = np.repeat(np.arange(len(sizes)), sizes)
    X = rng.normal(size=(len(segments), p))
    y = np.zeros(len(segments))
    starts = np.r_[0, np.cumsum(sizes)[:-1]]
    for start, size, m in zip(starts, sizes, cases):
        y[start + rng.choice(size, m, replace=False)] = 1
    return X, y, segments, starts


def _enumerated(X, y, starts, sizes, beta, method):
    eta, total = X @ beta, 0.0
    for start, size in zip(starts, sizes):
        e, c = eta[start : start + size], y[start : start + size]
        m = int(c.sum())
        if m in (0, size):
            continue
        if method == "exact":
            subsets = itertools.combinations(range(size), m)
            log_den = np.log(sum(np.exp(e[list(s)].sum()) for s in subsets))
        else:
            r = np.exp(e)
            f = np.arange(m) / m if method == "efron" else np.zeros(m)
            log_den = np.sum(np.log(r.sum() - f * r[c == 1].sum()))
        total += c @ e - log_den
    return total


@pytest.mark.parametrize("method", METHODS)
def test_kernel_equals_enumeration(method):
    """Sets with more cases than controls (computed with the roles swapped),
    sets without cases or without controls (no information), 1:1 pairs."""
    sizes, cases = [2, 3, 5, 6, 4, 7, 3, 2], [1, 1, 2, 4, 0, 3, 3, 1]
    X, y, segments, starts = _random_sets(1, sizes, cases)
    beta = np.array([0.7, -1.2, 0.4])
    block = Block(X, y, segments=segments)
    ll, score, info, _ = kernels.conditional_sums(np, block, beta, method)
    assert ll == pytest.approx(
        _enumerated(X, y, starts, sizes, beta, method), rel=1e-12
    )

    def f(b):
        return _enumerated(X, y, starts, sizes, b, method)

    h = 1e-6
    numeric = [(f(beta + h * e) - f(beta - h * e)) / (2 * h) for e in np.eye(3)]
    np.testing.assert_allclose(score, numeric, atol=1e-7)
    jacobian = [
        (kernels.conditional_sums(np, block, beta + h * e, method)[1]
         - kernels.conditional_sums(np, block, beta - h * e, method)[1]) / (2 * h)
        for e in np.eye(3)
    ]  # fmt: skip
    np.testing.assert_allclose(info, -np.array(jacobian), atol=1e-7)
    assert np.all(np.linalg.eigvalsh(info) > 0)


def test_exact_stays_finite_on_large_sets():
    """A set of 400 rows with 200 cases and linear predictors spread over
    hundreds of units: e_200 overflows any float, its logarithm does not."""
    X, y, segments, _ = _random_sets(2, [400, 30], [200, 1], p=2)
    X *= 40.0
    block = Block(X, y, segments=segments)
    beta = np.array([3.0, -2.0])
    ll, score, info, trace = kernels.conditional_sums(np, block, beta, "exact")
    assert np.isfinite(ll) and np.all(np.isfinite(score)) and np.all(np.isfinite(info))
    h = 1e-7
    up = kernels.conditional_loglik(np, block, beta + [h, 0], "exact")[0]
    down = kernels.conditional_loglik(np, block, beta - [h, 0], "exact")[0]
    assert score[0] == pytest.approx((up - down) / (2 * h), rel=1e-4)


def test_blocks_never_split_strata():
    """Tiny blocks: every cut is moved to a stratum boundary, and the sums equal
    one block's."""
    sizes = [3, 7, 2, 9, 4, 5, 6, 2, 8, 3] * 5
    cases = [1, 2, 1, 4, 1, 2, 3, 1, 5, 1] * 5
    X, y, segments, starts = _random_sets(3, sizes, cases)
    design = Design(X, y, None, None, None, ("a", "b", "c"), False, None, 0.0)
    design = Design(**{**design.__dict__, "segments": segments})
    small = NumpyBackend(design, block_rows=5, n_threads=2)
    assert set(small.cuts()) <= {0, *np.cumsum(sizes).tolist()}
    assert len(small.cuts()) > 10
    whole = NumpyBackend(design, block_rows=10_000, n_threads=1)
    beta = np.array([0.3, -0.5, 0.2])
    for method in METHODS:
        a = ConditionalLikelihood(small, method)(beta)
        b = ConditionalLikelihood(whole, method)(beta)
        assert a.value == pytest.approx(b.value, rel=1e-12)
        np.testing.assert_allclose(a.info, b.info, rtol=1e-10)


# -- the fit -----------------------------------------------------------------------
def test_row_order_does_not_matter(infert):
    shuffled = infert.sample(frac=1.0, random_state=0).reset_index(drop=True)
    a = nl.clogit(FORMULA, data=infert, strata="pooled.stratum")
    b = nl.clogit(FORMULA, data=shuffled, strata="pooled.stratum")
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10)
    X = shuffled[["spontaneous", "induced"]]
    c = nl.clogit(X, shuffled["case"], strata=shuffled["pooled.stratum"])
    np.testing.assert_allclose(c.coef, a.coef, rtol=1e-10)


@pytest.mark.parametrize("method", METHODS)
def test_weights_count_whole_sets(infert, method):
    """A weight of 2 on a set is the set twice."""
    weights = np.where(infert["pooled.stratum"] % 3 == 0, 2.0, 1.0)
    doubled = infert[weights == 2].assign(
        **{"pooled.stratum": lambda d: d["pooled.stratum"] + 1000}
    )
    twice = pd.concat([infert, doubled], ignore_index=True)
    a = nl.clogit(
        FORMULA,
        data=infert.assign(w=weights),
        strata="pooled.stratum",
        weights="w",
        method=method,
    )
    b = nl.clogit(FORMULA, data=twice, strata="pooled.stratum", method=method)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-9)
    np.testing.assert_allclose(a.cov_array, b.cov_array, rtol=1e-9)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-10)


def test_weights_varying_within_a_set_are_refused(infert):
    w = np.ones(len(infert))
    w[0] = 2.0
    with pytest.raises(nl.DataError, match="constant within each stratum"):
        nl.clogit(FORMULA, data=infert.assign(w=w), strata="stratum", weights="w")


def test_predict_within_sets(infert):
    res = nl.clogit(FORMULA, data=infert, strata="stratum")
    p = res.predict(infert, infert["stratum"])
    eta = infert[["spontaneous", "induced"]].to_numpy() @ res.coef
    softmax = np.exp(eta) / pd.Series(np.exp(eta)).groupby(infert["stratum"]).transform(
        "sum"
    )
    np.testing.assert_allclose(p, softmax, rtol=1e-12)
    # two cases per set: exact inclusion probabilities, summing to 2
    sets = infert["pooled.stratum"]
    p2 = res.predict(infert, sets, n_cases=2)
    np.testing.assert_allclose(pd.Series(p2).groupby(sets).sum(), 2.0, rtol=1e-12)
    one = infert[sets == sets.iloc[0]]
    e = one[["spontaneous", "induced"]].to_numpy() @ res.coef
    pairs = list(itertools.combinations(range(len(one)), 2))
    weight = np.array([np.exp(e[list(s)].sum()) for s in pairs])
    brute = [
        weight[[i in s for s in pairs]].sum() / weight.sum() for i in range(len(one))
    ]
    np.testing.assert_allclose(p2[(sets == sets.iloc[0]).to_numpy()], brute, rtol=1e-12)


def test_model_file_round_trip(infert, tmp_path):
    res = nl.clogit(FORMULA, data=infert, strata="pooled.stratum", method="efron")
    res.save(tmp_path / "m.json")
    back = nl.load(tmp_path / "m.json")
    assert isinstance(back, nl.ConditionalResults) and back.method == "efron"
    np.testing.assert_array_equal(back.coef, res.coef)
    assert back.summary().as_text() == res.summary().as_text()
    np.testing.assert_allclose(
        back.predict(infert, infert["stratum"]), res.predict(infert, infert["stratum"])
    )
    with pytest.raises(ValueError, match="training data"):
        back.conf_int(method="profile")


def test_lr_test_of_nested_models(infert):
    big = nl.clogit(FORMULA, data=infert, strata="stratum")
    small = nl.clogit("case ~ spontaneous", data=infert, strata="stratum")
    test = big.lr_test(small)
    assert test.df == 1
    assert test.statistic == pytest.approx(2 * (big.loglik - small.loglik))


def test_bad_input_is_named(infert):
    with pytest.raises(ValueError, match="method must be one of"):
        nl.clogit(FORMULA, data=infert, strata="stratum", method="approximate")
    with pytest.raises(ValueError, match="leverages"):
        nl.clogit(FORMULA, data=infert, strata="stratum", cov_type="HC3")
    with pytest.raises(nl.DataError, match="strata must have one label per row"):
        nl.clogit(infert[["spontaneous"]], infert["case"], strata=[1, 2])
    with pytest.raises(nl.CollinearityError, match="constant within every matched set"):
        nl.clogit("case ~ spontaneous + age", data=infert, strata="stratum")
    missing = infert.assign(s=infert["stratum"].astype(float))
    missing.loc[3, "s"] = np.nan
    with pytest.raises(nl.DataError, match="missing"):
        nl.clogit(FORMULA, data=missing, strata="s")
    dropped = nl.clogit(FORMULA, data=missing, strata="s", missing="drop")
    assert dropped.n_dropped == 1 and dropped.n_obs == 247


# -- separation and Firth's penalty ---------------------------------------------
def _separated_sets(n_sets=30, size=4, seed=0):
    """The case of every set has the largest x1: the MLE of x1 is +inf."""
    rng = np.random.default_rng(seed)
    strata = np.repeat(np.arange(n_sets), size)
    X = rng.normal(size=(n_sets * size, 2))
    y = np.zeros(n_sets * size)
    for s in range(n_sets):
        rows = np.arange(s * size, (s + 1) * size)
        y[rows[np.argmax(X[rows, 0])]] = 1
    return X, y, strata


def test_separation_is_named_not_converged():
    X, y, strata = _separated_sets()
    with pytest.warns(nl.SeparationWarning, match="x1 -> \\+inf"):
        res = nl.clogit(X, y, strata=strata)
    assert not res.converged and res.separation.separated
    assert any("penalty='firth'" in note for note in res.notes())


@pytest.mark.parametrize("method", METHODS)
def test_firth_gives_finite_estimates_at_the_penalized_maximum(method):
    """No R reference is at hand (coxphf is not installed): the estimate is
    checked as the maximum of l(b) + 1/2 log|I(b)| computed independently,
    by a numerical gradient of the kernels' log-likelihood and information."""
    X, y, strata = _separated_sets(size=5 if method == "exact" else 4)
    if method != "exact":  # sets with two cases: the approximations differ
        y[np.arange(0, len(y), 4) + 1] = 1
    res = nl.clogit(X, y, strata=strata, method=method, penalty="firth")
    assert res.converged and np.all(np.isfinite(res.coef))
    assert np.all(np.abs(res.coef) < 30) and np.all(np.isfinite(res.std_errors))
    block = Block(X, y, segments=strata)

    def penalized(b):
        ll, _, info, _ = kernels.conditional_sums(np, block, b, method)
        return ll + 0.5 * np.linalg.slogdet(info)[1]

    h = 1e-5
    gradient = [
        (penalized(res.coef + h * e) - penalized(res.coef - h * e)) / (2 * h)
        for e in np.eye(2)
    ]
    np.testing.assert_allclose(gradient, 0.0, atol=1e-6)
    assert res.penalized_loglik == pytest.approx(penalized(res.coef), rel=1e-10)
    profile = res.conf_int(method="profile")
    assert np.all(np.isfinite(profile.to_numpy()))


def test_firth_agrees_with_the_mle_in_large_samples():
    """Firth's correction is O(1/n): with 3,000 sets it moves the estimates by
    a small fraction of their standard errors (and by much more in 60 sets)."""
    rng = np.random.default_rng(5)
    n_sets, size = 3000, 4
    strata = np.repeat(np.arange(n_sets), size)
    X = rng.normal(size=(n_sets * size, 2))
    eta = (X @ np.array([0.8, -0.5])).reshape(n_sets, size)
    chance = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    case = (rng.random((n_sets, 1)) > np.cumsum(chance, axis=1)).sum(axis=1)
    y = (np.arange(size)[None, :] == case[:, None]).astype(float).ravel()
    mle = nl.clogit(X, y, strata=strata)
    firth = nl.clogit(X, y, strata=strata, penalty="firth")
    shift = np.abs(firth.coef - mle.coef) / mle.std_errors.to_numpy()
    assert np.all(shift < 0.02)
    few = strata < 60
    small = nl.clogit(X[few], y[few], strata=strata[few])
    small_firth = nl.clogit(X[few], y[few], strata=strata[few], penalty="firth")
    small_shift = np.abs(small_firth.coef - small.coef) / small.std_errors.to_numpy()
    assert small_shift.max() > 5 * shift.max()
    # shrinks towards 0, as Firth's bias correction does for logistic models
    assert np.all(np.abs(small_firth.coef) < np.abs(small.coef))


def test_firth_model_file_round_trip(tmp_path):
    X, y, strata = _separated_sets()
    res = nl.clogit(X, y, strata=strata, penalty="firth")
    res.save(tmp_path / "f.json")
    back = nl.load(tmp_path / "f.json")
    assert back.penalty == "firth" and back.penalized_loglik == res.penalized_loglik
    assert back.summary().as_text() == res.summary().as_text()
