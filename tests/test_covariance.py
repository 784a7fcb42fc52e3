"""Robust and cluster covariance against R sandwich 3.0-2, and its kernels."""

import numpy as np
import pytest

import newtonlogit as nl
from newtonlogit.backends.numpy import NumpyBackend
from newtonlogit.data.design import make_design
from newtonlogit.families.binary import kernels as _kernels
from newtonlogit.inference.covariance import COVARIANCE_ESTIMATORS
from newtonlogit.kernels.block import Block

from .conftest import make_logit_data
from .reference import values as ref

HC = ["HC0", "HC1", "HC2", "HC3"]


@pytest.mark.parametrize("cov_type", HC)
def test_spector_matches_r_sandwich(spector, cov_type):
    # R: sqrt(diag(sandwich::vcovHC(glm(GRADE ~ GPA + TUCE + PSI), type = cov_type)))
    res = nl.logit(spector.X, spector.y, cov_type=cov_type)
    expected = ref.SANDWICH_SPECTOR[f"se_{cov_type}"]
    np.testing.assert_allclose(res.std_errors.to_numpy(), expected, rtol=1e-6)
    assert res.cov_type == cov_type
    # everything downstream uses the chosen covariance
    np.testing.assert_allclose(res.z_values, res.params / np.asarray(expected), 1e-6)
    assert f"({cov_type})" in res.summary().as_text()


@pytest.mark.parametrize("cov_type", HC)
def test_lbw_matches_r_sandwich(lbw, cov_type):
    res = nl.logit(lbw.X, lbw.y, cov_type=cov_type)
    expected = ref.SANDWICH_LBW[f"se_{cov_type}"]
    np.testing.assert_allclose(res.std_errors.to_numpy(), expected, rtol=1e-6)


def test_lbw_cluster_matches_r_vcovcl(lbw):
    # R: vcovCL(m, cluster = (row - 1) %/% 5, type = "HC1")
    groups = np.arange(len(lbw.y)) // 5
    res = nl.logit(lbw.X, lbw.y, cov_type="cluster", groups=groups)
    expected = ref.SANDWICH_LBW["se_cluster_CR1_groups_of_5_rows"]
    np.testing.assert_allclose(res.std_errors.to_numpy(), expected, rtol=1e-6)
    assert res.n_groups == 38
    assert "38 clusters" in res.summary().as_text()
    # labels of any type, in any order, give the same clusters
    labels = np.array([f"g{g}" for g in groups])[::-1][::-1]
    again = nl.logit(lbw.X, lbw.y, cov_type="cluster", groups=list(labels))
    np.testing.assert_allclose(again.cov, res.cov, rtol=1e-12)


def test_robust_covariance_matches_statsmodels_hc0(spector):
    import statsmodels.api as sm

    sm_res = sm.Logit(spector.y, sm.add_constant(spector.X)).fit(
        disp=0, tol=1e-12, cov_type="HC0"
    )
    res = nl.logit(spector.X, spector.y, cov_type="HC0")
    np.testing.assert_allclose(res.cov.to_numpy(), sm_res.cov_params(), rtol=1e-6)


@pytest.mark.parametrize("cov_type", ["HC0", "HC2", "HC3", "cluster"])
def test_frequency_weights_equal_repeated_rows(cov_type):
    X, y, _ = make_logit_data(n=120, p=3, seed=4)
    w = np.random.default_rng(0).integers(1, 4, size=120)
    groups = np.arange(120) % 7
    kw = dict(cov_type=cov_type)
    rep = dict(kw)
    if cov_type == "cluster":
        kw["groups"], rep["groups"] = groups, np.repeat(groups, w)
    weighted = nl.logit(X, y, weights=w.astype(float), **kw)
    repeated = nl.logit(np.repeat(X, w, axis=0), np.repeat(y, w), **rep)
    expected = repeated.cov.to_numpy()
    if cov_type == "cluster":
        # the small-sample factor (n - 1) / (n - k) counts rows, as R does
        n, big_n, k = 120, w.sum(), 4
        expected = expected * ((n - 1) / (n - k)) / ((big_n - 1) / (big_n - k))
    np.testing.assert_allclose(weighted.cov, expected, rtol=1e-8)


def test_grouped_counts_hc0_matches_statsmodels(star98):
    import statsmodels.api as sm

    sm_res = sm.GLM(
        star98.y, sm.add_constant(star98.X), family=sm.families.Binomial()
    ).fit(tol=1e-13, cov_type="HC0")
    res = nl.logit(star98.X, star98.y, cov_type="HC0")
    np.testing.assert_allclose(res.std_errors, sm_res.bse, rtol=1e-5)


def test_cluster_scores_span_blocks():
    # Clusters cut across row blocks: the per-group sums still add up.
    X, y, beta = make_logit_data(n=500, p=3, seed=2)
    groups = np.arange(500) % 9
    design = make_design(X, y)
    from dataclasses import replace

    design = replace(design, groups=groups)
    one = NumpyBackend(design, block_rows=500)
    many = NumpyBackend(design, block_rows=37)
    (a,) = one.map_sum(_kernels.cluster_scores, beta, True, 9)
    (b,) = many.map_sum(_kernels.cluster_scores, beta, True, 9)
    np.testing.assert_allclose(a, b, atol=1e-12)
    # each group's sum is the sum of its rows' scores
    p = 1 / (1 + np.exp(-(beta[0] + X @ beta[1:])))
    rows = groups == 4
    expected = np.concatenate([[np.sum(y[rows] - p[rows])], (y - p)[rows] @ X[rows]])
    np.testing.assert_allclose(a[4], expected, atol=1e-12)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_leverages_sum_to_k_and_match_the_hat_matrix(fit_intercept):
    X, y, beta = make_logit_data(n=60, p=3, seed=7)
    if not fit_intercept:
        beta = beta[1:]
    Xt = np.column_stack([np.ones(60), X]) if fit_intercept else X
    v = 1 / (1 + np.exp(-Xt @ beta))
    v = v * (1 - v)
    bread = np.linalg.inv(Xt.T @ (v[:, None] * Xt))
    h = _kernels.leverages(np, Block(X, y), beta, fit_intercept, bread)
    W = np.sqrt(v)[:, None] * Xt
    np.testing.assert_allclose(h, np.diag(W @ bread @ W.T), rtol=1e-10)
    assert h.sum() == pytest.approx(Xt.shape[1])


def test_registry_and_bad_input(spector):
    assert set(COVARIANCE_ESTIMATORS) == {"nonrobust", *HC, "cluster"}
    with pytest.raises(ValueError, match="cov_type must be one of"):
        nl.logit(spector.X, spector.y, cov_type="HC4")
    with pytest.raises(ValueError, match="needs groups"):
        nl.logit(spector.X, spector.y, cov_type="cluster")
    with pytest.raises(ValueError, match="only used with cov_type='cluster'"):
        nl.logit(spector.X, spector.y, groups=np.arange(32))
    with pytest.raises(ValueError, match="groups has 31 rows but X has 32"):
        nl.logit(spector.X, spector.y, cov_type="cluster", groups=np.arange(31))
    with pytest.raises(ValueError, match="missing label at row 3"):
        g = np.arange(32.0)
        g[3] = np.nan
        nl.logit(spector.X, spector.y, cov_type="cluster", groups=g)
    with pytest.raises(ValueError, match="at least two distinct groups"):
        nl.logit(spector.X, spector.y, cov_type="cluster", groups=np.zeros(32))


def test_estimator_accepts_cov_type_and_groups(lbw):
    groups = np.arange(len(lbw.y)) // 5
    est = nl.LogisticRegression(cov_type="cluster").fit(lbw.X, lbw.y, groups=groups)
    np.testing.assert_allclose(
        est.results_.std_errors,
        ref.SANDWICH_LBW["se_cluster_CR1_groups_of_5_rows"],
        rtol=1e-6,
    )
    est = nl.LogisticRegression(cov_type="HC3").fit(lbw.X, lbw.y)
    np.testing.assert_allclose(
        est.results_.std_errors, ref.SANDWICH_LBW["se_HC3"], rtol=1e-6
    )
