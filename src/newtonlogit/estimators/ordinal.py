"""scikit-learn estimator around :func:`newtonlogit.ologit`: ordinal
classification by the proportional-odds model."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ..data.ordered import category_order
from ..families.ordinal import kernels
from ..families.ordinal.fit import ologit


class OrdinalRegression(ClassifierMixin, BaseEstimator):
    """Ordinal logistic regression (proportional odds) by exact Newton.

    ``P(y <= classes_[j]) = F(thresholds_[j] - x' coef_)``; ``predict``
    returns the most probable level, ``predict_proba`` one column per level
    in ``classes_`` order (lowest first). The statistical output (standard
    errors, Brant test, marginal effects, ...) is in ``results_``, an
    :class:`~newtonlogit.OLogitResults`.

    Parameters
    ----------
    levels : sequence, optional
        The levels from lowest to highest. Default: the order of an ordered
        pandas categorical or polars Enum ``y``, else the sorted values of a
        numeric ``y``. Text labels without an order are refused (their sorted
        order is rarely the scale's): pass ``levels``.
    tol, max_iter : float, int
    drop_collinear : bool
        Drop aliased columns with a warning instead of refusing them.
    cov_type : {"nonrobust", "HC0", "HC1", "cluster"}
        Covariance in ``results_``; for ``"cluster"`` pass ``groups`` to ``fit``.

    Attributes
    ----------
    classes_ : ndarray, the levels in order
    coef_ : ndarray, shape (n_features,)
    thresholds_ : ndarray, shape (n_levels - 1,)
    results_ : OLogitResults

    Examples
    --------
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 1))
    >>> y = np.digitize(x[:, 0] + rng.logistic(size=500), [-1.0, 1.0])
    >>> labels = np.array(["low", "mid", "high"])[y]
    >>> model = nl.OrdinalRegression(levels=["low", "mid", "high"]).fit(x, labels)
    >>> model.predict([[-2.0], [0.0], [2.0]]).tolist()
    ['low', 'mid', 'high']
    >>> model.coef_.round(2)
    array([0.99])
    """

    def __init__(
        self,
        levels=None,
        tol=1e-8,
        max_iter=100,
        drop_collinear=True,
        cov_type="nonrobust",
    ):
        self.levels = levels
        self.tol = tol
        self.max_iter = max_iter
        self.drop_collinear = drop_collinear
        self.cov_type = cov_type

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # one linear direction orders the levels: classes placed around a
        # plane (scikit-learn's three blobs) are beyond the model, not a bug
        tags.classifier_tags.poor_score = True
        return tags

    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit; ``sample_weight`` are frequency weights, ``groups`` cluster labels."""
        order = list(self.levels) if self.levels is not None else category_order(y)
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)  # refuses continuous and unknown targets
        labels = np.unique(y) if order is None else order
        if len(labels) < 2:
            raise ValueError(
                f"y has {len(labels)} class ({list(labels)}): at least two levels "
                "are needed"
            )
        weights = None
        if sample_weight is not None:
            weights = _check_sample_weight(sample_weight, X, dtype=np.float64)
        names = getattr(self, "feature_names_in_", None)
        self.results_ = res = ologit(
            X,
            y,
            weights=weights,
            levels=order,
            tol=self.tol,
            max_iter=self.max_iter,
            drop_collinear=self.drop_collinear,
            cov_type=self.cov_type,
            groups=groups,
            feature_names=None if names is None else list(names),
        )
        self.classes_ = np.asarray(res.levels)
        theta = res._full_theta()
        self.thresholds_ = theta[: res.n_cuts]
        self.coef_ = theta[res.n_cuts :]
        self.n_iter_ = res.n_iter
        return self

    def predict_proba(self, X):
        """Probabilities of each level, ``(n, n_levels)``, ``classes_`` order."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        eta = np.asarray(X, dtype=np.float64) @ self.coef_
        return kernels.category_probabilities(np, eta, self.thresholds_)

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable level of each row."""
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


__all__ = ["OrdinalRegression"]
