"""Discrimination and calibration against pROC and R (numbers written by
tests/reference/diagnostics.R; see tests/test_checking.py for the sources)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl
from newtonlogit.inference.discrimination import ROC

from .conftest import load_lbw, load_spector
from .test_checking import reference

SMALLER = {"spector": ["GPA"], "lbw": ["lwt", "smoke"]}


def _fits(name):
    data = load_spector() if name == "spector" else load_lbw()
    big = nl.logit(data.X, data.y, tol=1e-12)
    X_small = data.X[SMALLER[name]]
    small = nl.logit(X_small, data.y, tol=1e-12)
    return data, big, small, X_small


@pytest.mark.parametrize("name", ["spector", "lbw"])
def test_roc_and_delong_match_proc(name):
    data, big, small, X_small = _fits(name)
    ref = reference(name)["discrimination"]
    roc = big.roc(data.X, data.y)
    assert roc.auc == pytest.approx(ref["auc"], rel=1e-12)
    assert roc.se**2 == pytest.approx(ref["var"], rel=1e-10)
    np.testing.assert_allclose(roc.conf_int(), ref["ci"], rtol=1e-10)
    curve = roc.curve
    # pROC lists thresholds from low to high
    np.testing.assert_allclose(curve.sensitivity[::-1], ref["sensitivity"], 1e-12)
    np.testing.assert_allclose(curve.specificity[::-1], ref["specificity"], 1e-12)
    test = nl.roc_test(roc, small.roc(X_small, data.y))
    assert test.auc_2 == pytest.approx(ref["auc_small"], rel=1e-12)
    assert test.z == pytest.approx(ref["z"], rel=1e-9)
    assert test.p_value == pytest.approx(ref["p_value"], rel=1e-9)


@pytest.mark.parametrize("name", ["spector", "lbw"])
def test_classification_brier_and_calibration_match_r(name):
    data, big, _, _ = _fits(name)
    ref = reference(name)["discrimination"]
    table = big.classification_table(data.X, data.y, cutoff=0.5)
    for key, value in zip(
        ["sensitivity", "specificity", "ppv", "npv", "correctly_classified"],
        ref["classification"],
    ):
        assert table[key] == pytest.approx(value, rel=1e-12), key
    assert table[["true_positive", "false_negative"]].sum() == data.y.sum()
    cal = big.calibration(data.X, data.y)
    assert cal.brier == pytest.approx(ref["brier"], rel=1e-10)
    # on the training rows a maximum-likelihood fit is calibrated: 0, 1, 0
    np.testing.assert_allclose(
        cal[["intercept", "slope", "in_the_large"]], ref["calibration"], atol=1e-7
    )


def test_calibration_sees_a_miscalibrated_model():
    # the maximum-likelihood fit regressed on its own linear predictor has
    # intercept 0 and slope 1; with every coefficient doubled, slope 1/2
    data = load_lbw()
    res = nl.logit(data.X, data.y, tol=1e-12)
    steep = replace(res, coef=2 * res.coef)
    cal = steep.calibration(data.X, data.y)
    assert cal.slope == pytest.approx(0.5, rel=1e-8)
    assert cal.intercept == pytest.approx(0.0, abs=1e-8)
    assert cal.brier > res.calibration(data.X, data.y).brier


def test_weighted_rows_equal_repeated_rows(spector):
    w = (1 + np.arange(32) % 3).astype(float)
    res = nl.logit(spector.X, spector.y, weights=w)
    repeat = np.repeat(np.arange(32), w.astype(int))
    X_rep, y_rep = spector.X.iloc[repeat], spector.y[repeat]
    weighted, repeated = res.roc(spector.X, spector.y, weights=w), res.roc(X_rep, y_rep)
    assert weighted.auc == pytest.approx(repeated.auc, rel=1e-12)
    assert weighted.se == pytest.approx(repeated.se, rel=1e-12)
    a = res.classification_table(spector.X, spector.y, weights=w)
    b = res.classification_table(X_rep, y_rep)
    pd.testing.assert_series_equal(a, b)


def test_grouped_rows_count_their_trials(spector):
    # each binary row as a one-trial grouped row gives the same ROC
    res = nl.logit(spector.X, spector.y)
    counts = np.column_stack([spector.y, 1 - spector.y])
    grouped = nl.logit(spector.X, counts)
    assert grouped.roc().auc == pytest.approx(res.roc().auc, rel=1e-12)
    assert grouped.calibration().brier == pytest.approx(res.calibration().brier)


def test_roc_needs_both_outcomes():
    with pytest.raises(ValueError, match="both events and non-events"):
        ROC(np.array([0.1, 0.2]), np.array([1.0, 1.0]), np.zeros(2))


def test_roc_test_refuses_different_rows(spector):
    res = nl.logit(spector.X, spector.y)
    whole = res.roc(spector.X, spector.y)
    part = res.roc(spector.X.iloc[:20], spector.y[:20])
    with pytest.raises(ValueError, match="same rows"):
        nl.roc_test(whole, part)


def test_cutoff_is_a_probability(spector):
    res = nl.logit(spector.X, spector.y)
    with pytest.raises(ValueError, match="cutoff"):
        res.classification_table(cutoff=1.5)
