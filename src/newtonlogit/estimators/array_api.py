"""scikit-learn's array-API conventions for :class:`LogisticRegression`.

Used when ``sklearn.config_context(array_api_dispatch=True)`` is active and
``X`` is an array of an array-API backend (CuPy; ``array_api_strict`` in the
tests). As in scikit-learn's own array-API estimators, the data stay in their
library and on their device: ``classes_``, ``coef_`` and ``intercept_`` are
arrays of that library on ``X``'s device (``coef_`` and ``intercept_`` in
float64), as is ``n_iter_``, and ``decision_function``, ``predict``,
``predict_proba`` and ``predict_log_proba`` return arrays there.
``results_`` (standard errors, summary, history) stays on the host: it is
small and data-free.

Without array-API dispatch, scikit-learn's convention applies: inputs are
converted to NumPy (which CuPy refuses, with a ``TypeError``).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from sklearn import get_config
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..backends import is_device_array
from ..backends.namespace import device_of, namespace_of
from ..data.array_api import check_same_place
from ..kernels.block import expit, log1pexp


def dispatches(X: Any, estimator=None) -> bool:
    """Whether to keep ``X`` (or the fitted model) in its own library and device.

    With ``estimator``, also true for a model fitted on device arrays, so that
    predicting from other arrays is refused (as scikit-learn does) rather than
    silently mixed.
    """
    if not get_config().get("array_api_dispatch"):
        return False
    fitted = getattr(estimator, "coef_", None)
    return is_device_array(X) or is_device_array(fitted)


def _validated(estimator, X, method: str):
    """``X`` checked against the fitted attributes' namespace and device."""
    try:
        check_same_place(X=X, coef_=estimator.coef_)
    except ValueError as exc:
        raise ValueError(
            f"{type(estimator).__name__}.{method}() must use the same namespace "
            f"and device as fit: {exc}"
        ) from None
    xp = namespace_of(X)
    X = validate_data(estimator, X, reset=False, dtype=[xp.float64, xp.float32])
    return xp, X


def fit(estimator, X, y, sample_weight=None, groups=None):
    """The body of ``LogisticRegression.fit`` for array-API input."""
    xp = check_same_place(X=X, y=y, sample_weight=sample_weight)
    X, y = validate_data(estimator, X, y, dtype=[xp.float64, xp.float32])
    check_classification_targets(y)
    classes, y_index = xp.unique_inverse(y)
    if classes.shape[0] > 2:
        raise ValueError(
            "Only binary classification is supported for now (multinomial "
            f"is planned); y has {classes.shape[0]} classes."
        )
    if classes.shape[0] < 2:
        raise ValueError("y has only one class: at least two are needed")
    estimator.classes_ = classes
    names = getattr(estimator, "feature_names_in_", None)
    on_device = partial(xp.asarray, device=device_of(X))  # fitted attributes stay there
    return estimator._fit_binary(X, y_index, sample_weight, groups, names, on_device)


def decision_function(estimator, X, method: str = "decision_function"):
    check_is_fitted(estimator)
    xp, X = _validated(estimator, X, method)
    coef = xp.astype(estimator.coef_[0, :], xp.float64)
    return xp.astype(X, xp.float64) @ coef + estimator.intercept_[0]


def predict_proba(estimator, X):
    eta = decision_function(estimator, X, "predict_proba")
    xp = namespace_of(eta)
    return xp.stack([expit(xp, -eta), expit(xp, eta)], axis=1)


def predict_log_proba(estimator, X):
    eta = decision_function(estimator, X, "predict_log_proba")
    xp = namespace_of(eta)
    log_p = [-log1pexp(xp, eta), -log1pexp(xp, -eta)]
    return xp.stack(log_p, axis=1)


def predict(estimator, X):
    eta = decision_function(estimator, X, "predict")
    xp = namespace_of(eta)
    return xp.take(estimator.classes_, xp.astype(eta > 0, xp.int64))
