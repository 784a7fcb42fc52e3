"""Multinomial fits: one-vs-rest ROC, Brier score and per-class residuals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

from .conftest import load_spector


@pytest.fixture(scope="module")
def anes():
    import statsmodels.api as sm

    d = sm.datasets.anes96.load_pandas().data
    X = d[["logpopul", "selfLR", "age", "educ", "income"]]
    y = d["PID"].astype(int).to_numpy()
    return X, y, nl.mnlogit(X, y)


def test_one_vs_rest_auc_equals_sklearn(anes):
    from sklearn.metrics import roc_auc_score

    X, y, res = anes
    rocs = res.roc(X, y)
    p = res.predict(X)
    assert list(rocs) == list(res.classes)
    for k, c in enumerate(res.classes):
        assert rocs[c].auc == pytest.approx(roc_auc_score(y == c, p[:, k]), rel=1e-12)
        assert 0 < rocs[c].se < 0.1
    macro = roc_auc_score(y, p, multi_class="ovr", average="macro")
    assert np.mean([r.auc for r in rocs.values()]) == pytest.approx(macro, rel=1e-12)


def test_binary_as_two_classes_gives_the_binary_roc():
    data = load_spector()
    binary = nl.logit(data.X, data.y).roc(data.X, data.y)
    two = nl.mnlogit(data.X, data.y).roc(data.X, data.y)
    assert two[1.0].auc == pytest.approx(binary.auc, rel=1e-9)
    assert two[1.0].se == pytest.approx(binary.se, rel=1e-9)
    assert two[0.0].auc == pytest.approx(binary.auc, rel=1e-9)  # the mirror image


def test_brier_score_and_residuals(anes):
    X, y, res = anes
    p = res.predict(X)
    onehot = (y[:, None] == np.array(res.classes)[None, :]).astype(float)
    expected = ((onehot - p) ** 2).sum(axis=1).mean()
    assert res.brier_score(X, y) == pytest.approx(expected, rel=1e-12)
    r = res.residuals(X, y, kind="response")
    assert list(r.columns) == list(res.classes)
    np.testing.assert_allclose(r.sum(axis=1), 0.0, atol=1e-12)  # probabilities sum to 1
    pearson = res.residuals(X, y)
    np.testing.assert_allclose(pearson, (onehot - p) / np.sqrt(p * (1 - p)))
    # frequency weights count as repeated rows
    w = 1.0 + np.arange(len(y)) % 2
    rows = np.repeat(np.arange(len(y)), w.astype(int))
    assert res.brier_score(X, y, weights=w) == pytest.approx(
        res.brier_score(X.iloc[rows], y[rows]), rel=1e-12
    )


def test_formula_fit_and_bad_labels(anes):
    X, y, res = anes
    df = X.assign(PID=y)
    f = nl.mnlogit("PID ~ logpopul + selfLR + age + educ + income", data=df)
    assert f.brier_score(data=df) == pytest.approx(res.brier_score(X, y), rel=1e-9)
    with pytest.raises(ValueError, match="not one of the model's classes"):
        res.roc(X, np.where(y == 0, 99, y))
    with pytest.raises(ValueError, match="kind must be"):
        res.residuals(X, y, kind="deviance")
    assert isinstance(res.residuals(X, y), pd.DataFrame)
