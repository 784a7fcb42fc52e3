"""Prediction intervals and marginal effects against statsmodels and Stata."""

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

from .reference import values as ref


@pytest.fixture(scope="module")
def spector_res(spector):
    return nl.logit(spector.X, spector.y)


@pytest.fixture(scope="module")
def sm_logit(spector):
    import statsmodels.api as sm

    return sm.Logit(spector.y, sm.add_constant(spector.X)).fit(disp=0, tol=1e-12)


def test_prediction_interval_matches_statsmodels_glm(spector, spector_res):
    # statsmodels GLM get_prediction: delta-method se, interval by transforming
    # the linear predictor's Wald interval (the same endpoint transformation)
    import statsmodels.api as sm

    glm = sm.GLM(
        spector.y, sm.add_constant(spector.X), family=sm.families.Binomial()
    ).fit(tol=1e-12)
    for level in (0.95, 0.8):
        expected = glm.get_prediction(sm.add_constant(spector.X)).summary_frame(
            alpha=1 - level
        )
        frame = spector_res.predict(spector.X, interval=True, level=level)
        assert list(frame.columns) == ["probability", "lower", "upper", "se"]
        assert frame.index.equals(spector.X.index)
        np.testing.assert_allclose(frame["probability"], expected["mean"], rtol=1e-7)
        np.testing.assert_allclose(frame["se"], expected["mean_se"], rtol=1e-6)
        np.testing.assert_allclose(frame["lower"], expected["mean_ci_lower"], 1e-6)
        np.testing.assert_allclose(frame["upper"], expected["mean_ci_upper"], 1e-6)


def test_prediction_interval_stays_in_unit_interval(spector_res):
    far = pd.DataFrame({"GPA": [0.0, 8.0], "TUCE": [0.0, 40.0], "PSI": [0.0, 1.0]})
    frame = spector_res.predict(far, interval=True)
    assert ((frame["lower"] >= 0) & (frame["upper"] <= 1)).all()
    assert (frame["lower"] <= frame["probability"]).all()
    assert isinstance(spector_res.predict(far), np.ndarray)  # default: as before
    with pytest.raises(ValueError, match="level must be"):
        spector_res.predict(far, interval=True, level=1.0)


def test_prediction_interval_uses_robust_covariance(spector):
    res = nl.logit(spector.X, spector.y, cov_type="HC1")
    frame = res.predict(spector.X.iloc[:3], interval=True)
    x = np.column_stack([np.ones(3), spector.X.iloc[:3]])
    se_eta = np.sqrt(np.einsum("ij,jk,ik->i", x, res.cov.to_numpy(), x))
    p = frame["probability"].to_numpy()
    np.testing.assert_allclose(frame["se"], p * (1 - p) * se_eta, rtol=1e-10)


@pytest.mark.parametrize("at", ["overall", "mean"])
def test_marginal_effects_match_statsmodels(spector_res, sm_logit, at):
    expected = sm_logit.get_margeff(at=at).summary_frame()
    effects = spector_res.marginal_effects(at=at)
    assert list(effects.index) == ["GPA", "TUCE", "PSI"]
    np.testing.assert_allclose(effects["dydx"], expected["dy/dx"], rtol=1e-7)
    np.testing.assert_allclose(effects["std_err"], expected["Std. Err."], rtol=1e-6)
    np.testing.assert_allclose(effects["p_value"], expected["Pr(>|z|)"], rtol=1e-6)
    np.testing.assert_allclose(effects["lower"], expected["Conf. Int. Low"], 1e-6)


def test_marginal_effects_match_stata(spector_res):
    # Stata: margins, dydx(*) and margins, dydx(*) atmeans (psi as continuous)
    block = ref.STATA_SPECTOR_LOGIT
    overall = spector_res.marginal_effects()
    np.testing.assert_allclose(overall["dydx"], block["margeff_dydx_overall"], 1e-6)
    np.testing.assert_allclose(
        overall["std_err"], block["margeff_dydx_overall_se"], rtol=1e-5
    )
    at_mean = spector_res.marginal_effects(at="mean")
    np.testing.assert_allclose(at_mean["dydx"], block["margeff_dydx_atmean"], 1e-6)
    np.testing.assert_allclose(
        at_mean["std_err"], block["margeff_dydx_atmean_se"], rtol=1e-5
    )


def test_marginal_effects_weighted_equal_repeated_rows(spector):
    w = np.random.default_rng(1).integers(1, 4, size=32)
    weighted = nl.logit(spector.X, spector.y, weights=w.astype(float))
    repeated = nl.logit(
        spector.X.loc[spector.X.index.repeat(w)], np.repeat(spector.y, w)
    )
    for at in ("overall", "mean"):
        np.testing.assert_allclose(
            weighted.marginal_effects(at=at)["dydx"],
            repeated.marginal_effects(at=at)["dydx"],
            rtol=1e-8,
        )


def test_marginal_effects_bad_input(spector_res):
    with pytest.raises(ValueError, match="at must be"):
        spector_res.marginal_effects(at="median")
    with pytest.raises(ValueError, match="level must be"):
        spector_res.marginal_effects(level=0)
