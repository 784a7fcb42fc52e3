"""Model checking of binary fits against R.

The numbers in tests/reference/diagnostics/*.json were written by
tests/reference/diagnostics.R (R 4.2.2: stats' residuals.glm, rstandard,
rstudent, hatvalues, cooks.distance, dfbeta, dfbetas; ResourceSelection's
hoslem.test and rms' residuals.lrm(type = "gof") as written out in the script;
pROC 1.18 for the ROC, DeLong's interval and test). Each block of the script
names the model and the data; the data come from the statsmodels package.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

from .conftest import load_lbw, load_spector, load_star98

REFERENCE = Path(__file__).parent / "reference" / "diagnostics"
ROW_MEASURES = (
    "fitted",
    "hat",
    "response",
    "working",
    "pearson",
    "deviance",
    "std_pearson",
    "std_deviance",
    "studentized",
    "cooks_distance",
)


def reference(name: str) -> dict:
    return json.loads((REFERENCE / f"{name}.json").read_text())


def _spector_weights() -> np.ndarray:
    return 1.0 + np.arange(1, 33) % 3  # the R script's 1 + (OBS mod 3)


CASES = {
    "spector": lambda: (load_spector(), None),
    "spector_weighted": lambda: (load_spector(), _spector_weights()),
    "lbw": lambda: (load_lbw(), None),
    "star98": lambda: (load_star98(), None),
}


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    data, weights = CASES[request.param]()
    res = nl.logit(data.X, data.y, weights=weights, tol=1e-12)
    frame = res.influence(data.X, data.y, weights=weights)
    return request.param, data, weights, res, frame


def test_row_measures_match_r(case):
    name, _, _, res, frame = case
    ref = reference(name)
    np.testing.assert_allclose(res.coef, ref["coef"], rtol=1e-9)
    for measure in ROW_MEASURES:
        np.testing.assert_allclose(
            frame[measure], ref[measure], rtol=1e-8, atol=1e-13, err_msg=measure
        )
    for kind in ("dfbeta", "dfbetas"):
        ours = frame[[f"{kind}_{n}" for n in res.coef_names]].to_numpy()
        expected = np.array(ref[kind])
        scale = np.abs(expected).max(axis=0)  # per coefficient
        np.testing.assert_allclose(ours / scale, expected / scale, atol=1e-9)


def test_delta_measures_are_the_book_formulas(case):
    _, _, _, res, f = case
    leave = 1 - f.hat
    np.testing.assert_allclose(f.delta_chi2, f.std_pearson**2, rtol=1e-12)
    np.testing.assert_allclose(f.delta_deviance, f.deviance**2 / leave, rtol=1e-12)
    k = len(res.coef)
    np.testing.assert_allclose(f.delta_beta, k * f.cooks_distance, rtol=1e-12)


def test_training_rows_are_the_default(spector):
    res = nl.logit(spector.X, spector.y)
    pd.testing.assert_frame_equal(res.influence(), res.influence(spector.X, spector.y))
    assert res.influence().index.equals(spector.X.index)


def test_residuals_by_kind(spector):
    res = nl.logit(spector.X, spector.y, tol=1e-12)
    ref = reference("spector")
    for kind in ("response", "working", "pearson", "deviance", "studentized"):
        r = res.residuals(spector.X, spector.y, kind=kind)
        np.testing.assert_allclose(r, ref[kind], rtol=1e-8, atol=1e-13)
    with pytest.raises(ValueError, match="kind must be one of"):
        res.residuals(spector.X, spector.y, kind="raw")


@pytest.mark.parametrize("name", ["spector", "lbw"])
def test_covariate_patterns_match_the_pooled_fit(name):
    data = load_spector() if name == "spector" else load_lbw()
    ref = reference(name)["patterns"]
    res = nl.logit(data.X, data.y, tol=1e-12)
    f = res.influence(data.X, data.y, patterns=True)
    assert f.pattern.nunique() == ref["n_patterns"]
    for ours, theirs in [
        ("pattern_hat", "hat"),
        ("pattern_delta_chi2", "delta_chi2"),
        ("pattern_delta_deviance", "delta_deviance"),
        ("pattern_delta_beta", "delta_beta"),
    ]:
        np.testing.assert_allclose(f[ours], ref[theirs], rtol=1e-7, err_msg=ours)
    table = res.gof(data.X, data.y).table
    assert table.loc["Pearson chi2 (patterns)", "statistic"] == pytest.approx(
        ref["pearson_chi2"], rel=1e-8
    )
    assert table.loc["deviance (patterns)", "statistic"] == pytest.approx(
        ref["deviance"], rel=1e-8
    )
    assert table.loc["deviance (patterns)", "df"] == ref["df"]


def test_lbw_has_repeated_patterns():
    # the pooled measures differ from the per-row ones where patterns repeat
    data = load_lbw()
    res = nl.logit(data.X, data.y)
    f = res.influence(data.X, data.y, patterns=True)
    repeated = f.pattern.duplicated(keep=False).to_numpy()
    assert repeated.any()
    assert not np.allclose(f.hat[repeated], f.pattern_hat[repeated])
    np.testing.assert_allclose(f.hat[~repeated], f.pattern_hat[~repeated])


@pytest.mark.parametrize(
    "name, groups, key",
    [
        ("spector", 10, "hosmer_lemeshow"),
        ("lbw", 10, "hosmer_lemeshow"),
        ("lbw", 5, "hosmer_lemeshow_5"),
    ],
)
def test_hosmer_lemeshow_matches_hoslem_test(name, groups, key):
    data = load_spector() if name == "spector" else load_lbw()
    ref = reference(name)[key]
    gof = nl.logit(data.X, data.y, tol=1e-12).gof(data.X, data.y, groups=groups)
    row = gof.table.loc["Hosmer-Lemeshow"]
    assert row.statistic == pytest.approx(ref["statistic"], rel=1e-8)
    assert row.df == ref["df"]
    assert row.p_value == pytest.approx(ref["p_value"], rel=1e-7)
    table = gof.hosmer_lemeshow_table
    np.testing.assert_allclose(table.observed_events, ref["observed_events"])
    np.testing.assert_allclose(table.expected_events, ref["expected_events"], 1e-8)
    assert table.rows.sum() == len(data.y)
    assert "Hosmer-Lemeshow" in gof.as_text()


@pytest.mark.parametrize("name", ["spector", "lbw"])
def test_le_cessie_van_houwelingen_matches_rms(name):
    data = load_spector() if name == "spector" else load_lbw()
    ref = reference(name)["lecessie"]
    table = nl.logit(data.X, data.y, tol=1e-12).gof(data.X, data.y).table
    row = table.loc["le Cessie-van Houwelingen (z)"]
    assert row.statistic == pytest.approx(ref["z"], rel=1e-7)
    assert row.p_value == pytest.approx(ref["p_value"], rel=1e-7)


def test_grouped_pattern_tests_are_the_pearson_and_deviance_totals():
    data = load_star98()
    ref = reference("star98")
    table = nl.logit(data.X, data.y, tol=1e-12).gof(data.X, data.y).table
    assert table.loc["Pearson chi2 (patterns)", "statistic"] == pytest.approx(
        ref["pearson_chi2"], rel=1e-8
    )
    assert table.loc["deviance (patterns)", "statistic"] == pytest.approx(
        ref["deviance_total"], rel=1e-8
    )


def test_hosmer_lemeshow_refuses_too_few_groups(spector):
    res = nl.logit(spector.X, spector.y)
    with pytest.raises(ValueError, match="groups must be an integer"):
        res.gof(spector.X, spector.y, groups=2)


def test_loaded_model_needs_the_rows(spector, tmp_path):
    res = nl.logit(spector.X, spector.y)
    res.save(tmp_path / "m.json")
    loaded = nl.load(tmp_path / "m.json")
    with pytest.raises(ValueError, match="no reference to its training data"):
        loaded.influence()
    pd.testing.assert_frame_equal(
        loaded.influence(spector.X, spector.y), res.influence(spector.X, spector.y)
    )


def test_formula_fit_takes_data():
    data = load_spector()
    df = data.X.assign(GRADE=data.y)
    res = nl.logit("GRADE ~ GPA + TUCE + PSI", data=df, tol=1e-12)
    ref = reference("spector")
    f = res.influence(data=df)
    np.testing.assert_allclose(f.cooks_distance, ref["cooks_distance"], rtol=1e-8)
    assert res.roc(data=df).auc == pytest.approx(ref["discrimination"]["auc"])
    with pytest.raises(ValueError, match="data="):
        res.influence(data.X, data.y)


def test_labels_must_match_the_fit(spector):
    res = nl.logit(spector.X, np.where(spector.y == 1, "pass", "fail"))
    with pytest.raises(ValueError, match="labels"):
        res.influence(spector.X, np.where(spector.y == 1, "yes", "no"))


def test_sparse_rows_give_the_dense_numbers():
    import scipy.sparse as sp

    data = load_lbw()
    X = data.X.to_numpy()
    res = nl.logit(X, data.y)
    dense, sparse = res.influence(X, data.y), res.influence(sp.csr_matrix(X), data.y)
    np.testing.assert_allclose(sparse, dense, rtol=1e-10, atol=1e-15)
    table = res.gof(sp.csr_matrix(X), data.y).table
    expected = res.gof(X, data.y).table
    assert table.loc["Hosmer-Lemeshow", "statistic"] == pytest.approx(
        expected.loc["Hosmer-Lemeshow", "statistic"], rel=1e-12
    )
    assert np.isnan(table.loc["Pearson chi2 (patterns)", "statistic"])


def test_hosmer_lemeshow_ties_as_hoslem_test():
    # three binary covariates: 8 distinct fitted values, so the deciles tie and
    # hoslem.test's cut() makes 4 groups (df stays g - 2 = 8, as there)
    data = load_lbw()
    ref = reference("lbw")["hosmer_lemeshow_tied"]
    X = data.X[["smoke", "ht", "ui"]]
    gof = nl.logit(X, data.y, tol=1e-12).gof(X, data.y)
    table = gof.hosmer_lemeshow_table
    assert len(table) == len(ref["observed_events"]) == 4
    np.testing.assert_allclose(table.observed_events, ref["observed_events"])
    np.testing.assert_allclose(table.expected_events, ref["expected_events"], 1e-8)
    row = gof.table.loc["Hosmer-Lemeshow"]
    assert row.statistic == pytest.approx(ref["statistic"], rel=1e-8)
    assert row.df == ref["df"] and row.p_value == pytest.approx(ref["p_value"])


def test_pattern_codes_equal_a_group_by():
    from newtonlogit.families.binary.checking import row_codes

    rng = np.random.default_rng(3)
    M = rng.integers(0, 3, size=(2000, 3)).astype(float)
    M[rng.random(2000) < 0.1, 0] = -0.0  # -0.0 and 0.0 are one value
    expected = pd.DataFrame(M + 0.0).groupby([0, 1, 2], sort=False).ngroup()
    np.testing.assert_array_equal(row_codes(M + 0.0), expected.to_numpy())
    # an offset is part of the pattern: the rows twice, the copies offset
    data = load_lbw()
    X = pd.concat([data.X] * 2, ignore_index=True)
    y = np.r_[data.y, data.y]
    res = nl.logit(X, y)
    plain = res.influence(X, y, patterns=True).pattern
    assert (
        plain.nunique()
        == nl.logit(data.X, data.y).influence(patterns=True).pattern.nunique()
    )
    assert (plain[:189].to_numpy() == plain[189:].to_numpy()).all()
    offset = np.r_[np.zeros(189), np.full(189, 0.5)]
    shifted = res.influence(X, y, offset=offset, patterns=True).pattern
    assert shifted.nunique() == 2 * plain.nunique()
