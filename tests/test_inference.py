"""Tests, intervals and fit statistics of LogitResults against R, Stata and
statsmodels (sources next to each number in tests/reference/values.py)."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import newtonlogit as nl

from .reference import values as ref


@pytest.fixture(scope="module")
def spector_res(spector):
    return nl.logit(spector.X, spector.y)


@pytest.fixture(scope="module")
def lbw_res(lbw):
    return nl.logit(lbw.X, lbw.y)


@pytest.fixture(scope="module")
def star98_res(star98):
    return nl.logit(star98.X, star98.y)


def _check_inference(res, block, llnull=None, p_rtol=1e-6):
    # R 4.2.2: glm(..., binomial, epsilon = 1e-14); summary(), confint.default()
    np.testing.assert_allclose(res.z_values.to_numpy(), block["zvalues"], rtol=1e-6)
    np.testing.assert_allclose(res.p_values.to_numpy(), block["pvalues"], rtol=p_rtol)
    ci = res.conf_int()
    assert list(ci.columns) == ["lower", "upper"]
    # limits near 0 lose relative accuracy to cancellation: also allow 1e-6 SE
    se = np.asarray(block["bse"])
    for side in ("lower", "upper"):
        expected = np.asarray(block[f"wald_ci_{side}"])
        error = np.abs(ci[side].to_numpy() - expected)
        assert np.all(error <= 1e-6 * (np.abs(expected) + se)), side
    assert res.deviance == pytest.approx(block["deviance"], rel=1e-9)
    assert res.null_deviance == pytest.approx(block["null_deviance"], rel=1e-9)
    assert res.df_resid == block["df_resid"]
    assert res.df_model == block["df_null"] - block["df_resid"]
    assert res.n_obs == block["nobs"]
    assert res.aic == pytest.approx(block["aic"], rel=1e-9)
    assert res.bic == pytest.approx(block["bic"], rel=1e-9)
    if llnull is not None:
        assert res.loglik_null == pytest.approx(llnull, rel=1e-9)


def test_spector_matches_r(spector_res):
    _check_inference(spector_res, ref.R_SPECTOR_LOGIT, ref.R_SPECTOR_LLNULL)


def test_lbw_matches_r(lbw_res):
    _check_inference(lbw_res, ref.R_LBW_LOGIT, ref.R_LBW_LLNULL)


def test_star98_grouped_matches_r(star98_res):
    # grouped counts: the deviance is against the saturated model, not -2 loglik
    # p-values far in the tail magnify R's last-IRLS-weight SE error (~1e-7) by
    # about z^2 (z up to 30 here): compare those to 1e-5
    _check_inference(star98_res, ref.R_STAR98_BINOM, p_rtol=1e-5)
    assert star98_res.deviance != pytest.approx(-2 * star98_res.loglik)


def test_spector_matches_stata(spector_res):
    # Stata 11: logit grade gpa tuce psi (constant last in Stata's order)
    block = ref.STATA_SPECTOR_LOGIT
    assert spector_res.pseudo_r2("mcfadden") == pytest.approx(
        block["prsquared"], rel=1e-7
    )
    lr = spector_res.lr_test()
    assert lr.statistic == pytest.approx(block["llr"], rel=1e-7)
    assert lr.df == block["df_model"] == spector_res.df_model
    assert lr.p_value == pytest.approx(block["llr_pvalue"], rel=1e-6)
    assert spector_res.aic == pytest.approx(block["aic"], rel=1e-7)
    assert spector_res.bic == pytest.approx(block["bic"], rel=1e-7)


def test_lbw_matches_stata_r(lbw_res):
    block = ref.STATA_R_LBW
    assert lbw_res.aic == pytest.approx(block["aic_R"], rel=1e-9)
    assert lbw_res.null_deviance == pytest.approx(block["null_deviance"], rel=1e-9)
    assert lbw_res.df_model == block["df_model"]


def test_pseudo_r2_kinds(spector, spector_res):
    import statsmodels.api as sm

    glm = sm.GLM(
        spector.y, sm.add_constant(spector.X), family=sm.families.Binomial()
    ).fit(tol=1e-12)
    assert spector_res.pseudo_r2("cox-snell") == pytest.approx(
        glm.pseudo_rsquared("cs"), rel=1e-8
    )
    # Nagelkerke from R's log-likelihoods: CS / (1 - exp(2 l0 / n))
    ll, l0, n = ref.R_SPECTOR_LOGIT["llf"], ref.R_SPECTOR_LLNULL, 32
    nagelkerke = (1 - np.exp(2 * (l0 - ll) / n)) / (1 - np.exp(2 * l0 / n))
    assert spector_res.pseudo_r2("nagelkerke") == pytest.approx(nagelkerke, rel=1e-9)
    with pytest.raises(ValueError, match="kind must be one of"):
        spector_res.pseudo_r2("efron")


def test_conf_int_level(spector_res):
    ci90 = spector_res.conf_int(0.90)
    half = stats.norm.ppf(0.95) * spector_res.std_errors
    np.testing.assert_allclose(ci90["upper"], spector_res.params + half)
    for bad in (0, 1, 1.5, -0.1, 95, "high"):
        with pytest.raises(ValueError, match="level must be"):
            spector_res.conf_int(bad)
    with pytest.raises(ValueError, match="method must be"):
        spector_res.conf_int(method="bootstrap")


def test_odds_ratios(spector_res):
    odds = spector_res.odds_ratios()
    assert list(odds.columns) == ["odds_ratio", "lower", "upper"]
    np.testing.assert_allclose(
        odds["odds_ratio"], np.exp(ref.R_SPECTOR_LOGIT["params"]), rtol=1e-7
    )
    np.testing.assert_allclose(
        odds["lower"], np.exp(ref.R_SPECTOR_LOGIT["wald_ci_lower"]), rtol=1e-6
    )


def test_wald_test_matches_statsmodels(spector, spector_res):
    import statsmodels.api as sm

    sm_res = sm.Logit(spector.y, sm.add_constant(spector.X)).fit(disp=0, tol=1e-12)
    expected = sm_res.wald_test("GPA = 0, PSI = 0", scalar=True)
    test = spector_res.wald_test(["GPA", "PSI"])
    assert test.statistic == pytest.approx(float(expected.statistic), rel=1e-6)
    assert test.p_value == pytest.approx(float(expected.pvalue), rel=1e-6)
    assert test.df == 2
    # one coefficient: W = z^2
    single = spector_res.wald_test("TUCE")
    assert single.statistic == pytest.approx(spector_res.z_values["TUCE"] ** 2)
    assert "chi2(1)" in str(single)


def test_wald_test_bad_names(spector_res):
    with pytest.raises(ValueError, match=r"unknown coefficient name\(s\) \['gpa'\]"):
        spector_res.wald_test(["gpa", "PSI"])
    with pytest.raises(ValueError, match="at least one"):
        spector_res.wald_test([])
    with pytest.raises(ValueError, match="repeated"):
        spector_res.wald_test(["PSI", "PSI"])


def test_lr_test_nested(spector, spector_res):
    small = nl.logit(spector.X[["GPA"]], spector.y)
    test = spector_res.lr_test(small)
    assert test.df == 2
    assert test.statistic == pytest.approx(
        2 * (spector_res.loglik - small.loglik), rel=1e-12
    )
    assert test.p_value == pytest.approx(stats.chi2.sf(test.statistic, 2))
    # order does not matter
    assert small.lr_test(spector_res).statistic == pytest.approx(test.statistic)


def test_lr_test_refuses_non_nested(spector, spector_res):
    other = nl.logit(spector.X[["GPA"]].rename(columns={"GPA": "gpa2"}), spector.y)
    with pytest.raises(ValueError, match=r"not nested.*\['gpa2'\]"):
        spector_res.lr_test(other)
    with pytest.raises(ValueError, match="same coefficients"):
        spector_res.lr_test(spector_res)
    half = nl.logit(spector.X[["GPA"]].iloc[:20], spector.y[:20])
    with pytest.raises(ValueError, match="not fitted to the same data"):
        spector_res.lr_test(half)


def test_null_model_with_offset_and_weights():
    # The intercept-only model is a real fit when there is an offset: compare
    # with statsmodels GLM(y ~ 1, offset, freq_weights).
    import statsmodels.api as sm

    rng = np.random.default_rng(5)
    n = 300
    X = rng.normal(size=(n, 2))
    offset = rng.normal(size=n)
    w = rng.integers(1, 4, size=n).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.3 + X[:, 0] + offset)))).astype(float)
    res = nl.logit(X, y, offset=offset, weights=w)
    null = sm.GLM(
        y,
        np.ones((n, 1)),
        family=sm.families.Binomial(),
        offset=offset,
        freq_weights=w,
    ).fit(tol=1e-12)
    assert res.loglik_null == pytest.approx(null.llf, rel=1e-10)
    assert res.null_deviance == pytest.approx(null.deviance, rel=1e-9)


def test_null_model_without_intercept_uses_offset_only(spector):
    res = nl.logit(spector.X, spector.y, fit_intercept=False)
    # eta = 0 for every row: loglik = n log(1/2), as R's null deviance
    assert res.loglik_null == pytest.approx(32 * np.log(0.5))
    assert res.df_model == 3


def test_derived_values_are_series(spector_res):
    assert isinstance(spector_res.z_values, pd.Series)
    assert list(spector_res.p_values.index) == list(spector_res.coef_names)


def test_star98_null_and_pseudo_r2_match_statsmodels(star98, star98_res):
    import statsmodels.api as sm

    glm = sm.GLM(
        star98.y, sm.add_constant(star98.X), family=sm.families.Binomial()
    ).fit(tol=1e-13)
    assert star98_res.loglik_null == pytest.approx(glm.llnull, rel=1e-10)
    assert star98_res.pseudo_r2() == pytest.approx(glm.pseudo_rsquared("mcf"), 1e-9)
    lr = star98_res.lr_test()
    assert lr.statistic == pytest.approx(2 * (glm.llf - glm.llnull), rel=1e-9)
    assert lr.df == 20 and lr.p_value == 0.0


def test_summary_p_value_below_resolution_reads_like_r(star98_res):
    import re

    text = star98_res.summary().as_text()
    assert re.search(r"Prob > chi2: +<2e-16\n", text)
