"""The scikit-learn estimator."""

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

import newtonlogit as nl

from .conftest import make_logit_data


# check_sample_weight_equivalence_on_dense_data fits 15 rows with 30 features:
# separated data, where the MLE does not exist. It passes because the fit stops
# as soon as separation is confirmed, at the same iterate for weighted and for
# repeated rows (the Newton path is the same), instead of running on until
# roundoff makes the two differ.
@parametrize_with_checks(
    [
        nl.LogisticRegression(),
        nl.LogisticRegression(penalty="firth"),
        nl.OrdinalRegression(),
    ],
    # text labels carry no order; the ordinal estimator refuses to guess one
    # (levels= gives it), so scikit-learn's check on string classes fails by design
    expected_failed_checks=lambda est: (
        {"check_classifiers_classes": "text labels need levels= (no order)"}
        if isinstance(est, nl.OrdinalRegression)
        else {}
    ),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_matches_function_api(spector):
    est = nl.LogisticRegression().fit(spector.X, spector.y)
    res = nl.logit(spector.X, spector.y)
    np.testing.assert_allclose(est.coef_[0], res.params.iloc[1:])
    assert est.intercept_[0] == pytest.approx(res.params.iloc[0])
    assert est.results_.params.equals(res.params)
    assert list(est.feature_names_in_) == ["GPA", "TUCE", "PSI"]
    assert est.n_features_in_ == 3
    np.testing.assert_allclose(
        est.predict_proba(spector.X)[:, 1], res.predict(spector.X)
    )
    np.testing.assert_allclose(
        np.exp(est.predict_log_proba(spector.X)), est.predict_proba(spector.X)
    )


def test_labels_and_sample_weight():
    X, y, _ = make_logit_data(n=300, p=3)
    labels = np.where(y == 1, "spam", "ham")
    w = np.arange(300) % 3
    est = nl.LogisticRegression().fit(X, labels, sample_weight=w)
    res = nl.logit(X, y, weights=w)
    np.testing.assert_allclose(est.coef_[0], res.params.iloc[1:])
    assert set(est.predict(X)) <= {"spam", "ham"}
    assert list(est.classes_) == ["ham", "spam"]


def test_pipeline_and_grid_search():
    X, y, _ = make_logit_data(n=400, p=3)
    pipe = make_pipeline(StandardScaler(), nl.LogisticRegression(penalty="l2"))
    grid = GridSearchCV(pipe, {"logisticregression__alpha": [0.1, 10.0]}, cv=3)
    grid.fit(X, y)
    assert grid.best_score_ > 0.6


def test_multiclass_is_multinomial():
    from .test_mnlogit import make_mn_data

    X, y = make_mn_data(n=500, p=3, n_classes=4, seed=11)
    labels = np.array(["d", "a", "c", "b"])[y]
    w = np.arange(500) % 3
    est = nl.LogisticRegression().fit(X, labels, sample_weight=w)
    res = nl.mnlogit(X, labels, weights=w)
    assert isinstance(est.results_, nl.MNLogitResults)
    assert list(est.classes_) == ["a", "b", "c", "d"] and est.results_.base == "a"
    # coef_ (K, p): the base row is zero, row j is classes_[j] against the base
    assert est.coef_.shape == (4, 3) and est.intercept_.shape == (4,)
    np.testing.assert_array_equal(est.coef_[0], 0.0)
    assert est.intercept_[0] == 0.0
    np.testing.assert_allclose(est.coef_[1:], res.params.iloc[1:].T.to_numpy())
    np.testing.assert_allclose(est.intercept_[1:], res.params.loc["Intercept"])
    proba = est.predict_proba(X)
    np.testing.assert_allclose(proba, res.predict(X), rtol=1e-12)
    np.testing.assert_allclose(np.exp(est.predict_log_proba(X)), proba)
    scores = est.decision_function(X)
    assert scores.shape == (500, 4)
    np.testing.assert_array_equal(est.predict(X), est.classes_[proba.argmax(axis=1)])
    assert est.score(X, labels) > 0.4
    assert "class = 'd' vs base 'a'" in est.summary().as_text()
    with pytest.raises(ValueError, match="more than two classes"):
        nl.LogisticRegression(cov_type="HC1").fit(X, labels)


def test_multiclass_tags():
    assert nl.LogisticRegression().__sklearn_tags__().classifier_tags.multi_class
