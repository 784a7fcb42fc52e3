"""The scikit-learn estimator for ordinal classification."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import newtonlogit as nl

from .test_ordinal_behaviour import ordinal_data


def test_equals_ologit_and_predicts_levels():
    X, y = ordinal_data(seed=11)
    labels = np.array(["none", "some", "much", "all"])[y]
    model = nl.OrdinalRegression(levels=["none", "some", "much", "all"]).fit(X, labels)
    res = nl.ologit(X, y)
    np.testing.assert_allclose(model.coef_, res.slopes, rtol=1e-12)
    np.testing.assert_allclose(model.thresholds_, res.thresholds, rtol=1e-12)
    assert list(model.classes_) == ["none", "some", "much", "all"]
    proba = model.predict_proba(X[:20])
    np.testing.assert_allclose(proba, res.predict(X[:20]), rtol=1e-12)
    np.testing.assert_array_equal(
        model.predict(X[:20]), model.classes_[proba.argmax(axis=1)]
    )
    assert model.results_.converged


def test_ordered_categorical_and_frame_names():
    X, y = ordinal_data(seed=12)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    order = ["low", "mid", "high", "top"]
    target = pd.Series(
        pd.Categorical(np.array(order)[y], categories=order, ordered=True)
    )
    model = nl.OrdinalRegression().fit(frame, target)
    assert list(model.classes_) == order
    assert list(model.results_.slopes.index) == ["a", "b", "c"]
    assert list(model.feature_names_in_) == ["a", "b", "c"]


def test_pipeline_cross_validation_and_weights():
    X, y = ordinal_data(n=300, seed=13)
    pipe = make_pipeline(StandardScaler(), nl.OrdinalRegression())
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,) and (scores > 0.4).all()
    counts = np.random.default_rng(14).integers(1, 3, size=len(y))
    weighted = nl.OrdinalRegression().fit(X, y, sample_weight=counts)
    repeated = clone(weighted).fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-10)


def test_bad_input():
    X, y = ordinal_data(n=60, seed=15)
    with pytest.raises(ValueError, match="no order"):
        nl.OrdinalRegression().fit(X, np.array(list("abcd"))[y])
    model = nl.OrdinalRegression().fit(X, y)
    with pytest.raises(ValueError, match="features"):
        model.predict(X[:, :2])
