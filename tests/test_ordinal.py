"""The ordinal fit against R: ordinal::clm, MASS::polr and sandwich on the
MASS ``housing`` and ordinal ``wine`` data, and Brant's test computed from
his formula. The numbers come from tests/reference/ordinal.R (which also
wrote the CSV files in tests/data); see that script for every call."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

HERE = Path(__file__).parent
REF = json.loads((HERE / "reference" / "ordinal_values.json").read_text())

HOUSING_LEVELS = dict(
    Sat=["Low", "Medium", "High"],
    Infl=["Low", "Medium", "High"],
    Type=["Tower", "Apartment", "Atrium", "Terrace"],
    Cont=["Low", "High"],
)


def load_housing() -> pd.DataFrame:
    """MASS::housing (Madsen 1976), factors in R's level order."""
    h = pd.read_csv(HERE / "data" / "housing.csv")
    for column, levels in HOUSING_LEVELS.items():
        h[column] = pd.Categorical(h[column], categories=levels, ordered=True)
    return h


def load_wine() -> pd.DataFrame:
    """ordinal::wine (Randall 1989): bitterness ratings 1..5 of 72 wines."""
    w = pd.read_csv(HERE / "data" / "wine.csv")
    w["temp"] = pd.Categorical(w["temp"], ["cold", "warm"])
    w["contact"] = pd.Categorical(w["contact"], ["no", "yes"])
    return w


@pytest.fixture(scope="module")
def housing_fit():
    return nl.ologit("Sat ~ Infl + Type + Cont", data=load_housing(), weights="Freq")


@pytest.fixture(scope="module")
def wine_fit():
    return nl.ologit("rating ~ temp + contact", data=load_wine())


def test_housing_equals_clm_and_polr(housing_fit):
    ref = REF["housing"]
    res = housing_fit
    assert res.converged
    assert list(res.thresholds.index) == ["Low|Medium", "Medium|High"]
    np.testing.assert_allclose(res.coef, ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(res.std_errors, ref["se"], rtol=1e-6)
    np.testing.assert_allclose(res.cov_array, ref["cov"], rtol=1e-6)
    # polr stops its BFGS at a looser tolerance
    np.testing.assert_allclose(res.coef, ref["polr_coef"], rtol=1e-5)
    np.testing.assert_allclose(res.std_errors, ref["polr_se"], rtol=1e-5)
    assert res.loglik == pytest.approx(ref["loglik"], rel=1e-10)
    assert res.aic == pytest.approx(ref["aic"], rel=1e-10)
    assert res.bic == pytest.approx(ref["bic"], rel=1e-10)
    assert res.loglik_null == pytest.approx(ref["null_loglik"], rel=1e-10)
    assert res.n_obs == 1681


def test_housing_profile_intervals_equal_clm(housing_fit):
    # clm's confint interpolates the profile by a spline: agreement ~1e-6
    limits = housing_fit.conf_int(method="profile").iloc[2:]
    np.testing.assert_allclose(limits, REF["housing"]["profile"], rtol=1e-5)
    wald = housing_fit.conf_int().iloc[2:]
    assert not np.allclose(limits, wald, rtol=1e-3)  # a different interval


def test_housing_predictions_equal_polr(housing_fit):
    ref = REF["housing"]
    new = pd.DataFrame(ref["newdata"])
    for column in new:
        new[column] = pd.Categorical(new[column], HOUSING_LEVELS[column])
    probabilities = housing_fit.predict(new)
    np.testing.assert_allclose(probabilities, ref["predict"], rtol=1e-5)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-12)


def test_housing_brant_equals_the_formula_in_r(housing_fit):
    ref = REF["housing"]["brant"]
    table = housing_fit.brant_test()
    assert list(table.index) == ["Omnibus", *housing_fit.feature_names]
    np.testing.assert_allclose(table["chi2"], ref["chi2"], rtol=1e-6)
    np.testing.assert_array_equal(table["df"], ref["df"])
    np.testing.assert_allclose(table["p_value"], ref["p"], rtol=1e-5)


def test_wine_equals_clm(wine_fit):
    ref = REF["wine"]
    assert wine_fit.levels == (1, 2, 3, 4, 5)
    np.testing.assert_allclose(wine_fit.coef, ref["coef"], rtol=1e-6)
    np.testing.assert_allclose(wine_fit.std_errors, ref["se"], rtol=1e-6)
    # (polr: same parameterization, its BFGS stopped ~1e-5 short)
    np.testing.assert_allclose(wine_fit.coef, ref["polr_coef"], rtol=5e-5)
    assert wine_fit.loglik == pytest.approx(ref["loglik"], rel=1e-10)
    limits = wine_fit.conf_int(method="profile").iloc[4:]
    # exact roots of the profile (uniroot on clm refits), and clm's confint,
    # which interpolates the profile by a spline
    np.testing.assert_allclose(limits, ref["profile_exact"], rtol=1e-8)
    np.testing.assert_allclose(limits, ref["profile"], rtol=2e-5)


@pytest.mark.parametrize(
    "cov_type, key", [("HC0", "hc0"), ("HC1", "hc1"), ("cluster", "cluster")]
)
def test_wine_robust_covariance_equals_sandwich(cov_type, key):
    groups = "judge" if cov_type == "cluster" else None
    res = nl.ologit(
        "rating ~ temp + contact", data=load_wine(), cov_type=cov_type, groups=groups
    )
    np.testing.assert_allclose(res.cov_array, REF["wine"][key], rtol=1e-6)
    assert res.cov_type == cov_type
    assert "robust" in res.summary().as_text()


def test_wine_lr_test_equals_anova_clm(wine_fit):
    small = nl.ologit("rating ~ temp", data=load_wine())
    test = wine_fit.lr_test(small)
    statistic, df, p = REF["wine"]["lr_contact"]
    assert test.statistic == pytest.approx(statistic, rel=1e-7)
    assert test.df == df
    assert test.p_value == pytest.approx(p, rel=1e-6)


def test_wine_offset_equals_clm():
    wine = load_wine()
    wine["off"] = 0.5 * (wine["contact"] == "yes")
    res = nl.ologit("rating ~ temp", data=wine, offset="off")
    np.testing.assert_allclose(res.coef, REF["wine"]["offset_coef"], rtol=1e-6)
    np.testing.assert_allclose(res.std_errors, REF["wine"]["offset_se"], rtol=1e-6)
    assert res.loglik == pytest.approx(REF["wine"]["offset_loglik"], rel=1e-10)


def test_wine_brant_refuses_a_separated_binary_split(wine_fit):
    # no rating of 1 at temp == "warm": the fit of rating > 1 has no MLE
    with pytest.raises(ValueError, match="Y > 1 did not converge.*separation"):
        wine_fit.brant_test()


def test_summary_has_a_threshold_block(housing_fit):
    text = housing_fit.summary().as_text()
    assert "thresholds" in text and "coefficients" in text
    assert text.index("coefficients") < text.index("thresholds")
    assert "Low|Medium" in text.split("thresholds")[1]
    frame = housing_fit.summary().to_frame()
    assert frame.loc[("thresholds", "Low|Medium"), "coef"] == pytest.approx(
        housing_fit.thresholds["Low|Medium"]
    )
    assert "polr" in text


def test_wald_and_lr_tests(housing_fit):
    names = ["Infl[T.Medium]", "Infl[T.High]"]
    wald = housing_fit.wald_test(names)
    b = housing_fit.params[names].to_numpy()
    V = housing_fit.cov.loc[names, names].to_numpy()
    assert wald.statistic == pytest.approx(b @ np.linalg.solve(V, b), rel=1e-12)
    assert wald.df == 2
    null = housing_fit.lr_test()
    assert null.df == 6
    assert null.statistic == pytest.approx(
        2 * (housing_fit.loglik - housing_fit.loglik_null)
    )
    p = housing_fit.lr_p_values()
    assert list(p.index) == list(housing_fit.slopes.index)
    # one coefficient held at 0 = the model without that column
    small = nl.ologit("Sat ~ Infl + Type", data=load_housing(), weights="Freq")
    assert p["Cont[T.High]"] == pytest.approx(
        housing_fit.lr_test(small).p_value, rel=1e-6
    )
