"""scikit-learn estimator around :func:`newtonlogit.logit`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

from ..backends import is_dask
from ..data.checks import check_column_names, check_labels
from ..families.binary.fit import fit_logit
from ..families.multinomial import kernels as _mnkernels
from ..families.multinomial.fit import mnlogit
from ..kernels.block import expit, log1pexp
from . import array_api as _array_api


class LogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression fitted by exact Newton-Raphson.

    Two classes give a binary fit (:func:`~newtonlogit.logit`); more give a
    multinomial one (:func:`~newtonlogit.mnlogit`) with ``classes_[0]`` as the
    base class. The full statistical output (standard errors, history, ...) is
    in ``results_``, a :class:`~newtonlogit.LogitResults` or
    :class:`~newtonlogit.MNLogitResults`.

    Attributes
    ----------
    results_ : LogitResults or MNLogitResults
        The fit's full statistical output.
    coef_ : ndarray, shape (1, p) for two classes, (K, p) for K > 2
        Multinomial: one row per class in ``classes_`` order. The base row
        ``coef_[0]`` is zero and row ``j`` holds the log-odds coefficients of
        ``classes_[j]`` against the base, i.e. ``results_.params[classes_[j]]``
        without the intercept. (scikit-learn's own multinomial fit is
        identified by centring the rows instead; predictions do not depend on
        the choice, since adding one vector to every row leaves the softmax
        unchanged.)
    intercept_ : ndarray, shape (1,) or (K,)
        Multinomial: ``intercept_[0] == 0``, likewise. With ``penalty="l2"``
        only the non-base rows are penalized (see :func:`~newtonlogit.mnlogit`).

    On separated data (the maximum-likelihood estimate does not exist) the
    fit stops as soon as the separation is confirmed, with one
    :class:`~newtonlogit.SeparationWarning`; ``coef_`` is the Newton iterate
    there, the same for weighted and for repeated rows, and
    ``results_.separation`` names the coefficients that run off to infinity.
    ``penalty="firth"`` gives finite estimates instead.

    Parameters
    ----------
    penalty : {None, "l2", "firth", "flic", "flac"}
        ``"firth"``: Firth's bias-reduced estimates, finite on separated data
        (``"flic"``/``"flac"``: with Puhr et al.'s corrections of the
        predicted probabilities); see :func:`newtonlogit.logit`.
    alpha : float
        L2 strength: maximizes ``loglik - alpha / 2 * ||coef||^2``.
    fit_intercept : bool
    tol : float
    max_iter : int
    drop_collinear : bool
        Drop aliased columns with a warning instead of refusing them.
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}
        Covariance of the estimates in ``results_``; for ``"cluster"`` pass the
        cluster labels to ``fit(X, y, groups=...)``.

    Notes
    -----
    CuPy input follows scikit-learn's array-API conventions: under
    ``sklearn.config_context(array_api_dispatch=True)`` the fit runs on the
    GPU and ``coef_``, ``intercept_``, ``classes_`` and predictions are CuPy
    arrays on the input's device, while ``results_`` stays on the host (see
    :mod:`newtonlogit.estimators.array_api`).

    Examples
    --------
    Iris versicolor vs virginica by their petals, a binary fit with R's
    inference in ``results_``, and cross-validation as for any classifier:

    >>> import newtonlogit as nl
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.model_selection import cross_val_score
    >>> X, y = load_iris(return_X_y=True)
    >>> X, y = X[y > 0, 2:], y[y > 0]
    >>> clf = nl.LogisticRegression().fit(X, y)
    >>> clf.classes_, clf.coef_.round(2)
    (array([1, 2]), array([[ 5.75, 10.45]]))
    >>> clf.predict_proba(X[:2]).round(3)
    array([[0.973, 0.027],
           [0.976, 0.024]])
    >>> clf.results_.std_errors.round(2)
    Intercept    13.61
    x1            2.31
    x2            3.76
    Name: std_err, dtype: float64
    >>> float(cross_val_score(nl.LogisticRegression(), X, y, cv=5).mean().round(2))
    0.93
    """

    def __init__(
        self,
        penalty=None,
        alpha=0.0,
        fit_intercept=True,
        tol=1e-8,
        max_iter=100,
        drop_collinear=True,
        cov_type="nonrobust",
    ):
        self.penalty = penalty
        self.alpha = alpha
        self.fit_intercept = fit_intercept
        self.tol = tol
        self.max_iter = max_iter
        self.drop_collinear = drop_collinear
        self.cov_type = cov_type

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.array_api_support = True  # see newtonlogit.estimators.array_api
        # Firth's penalty is binary only; every other setting fits K > 2 classes
        tags.classifier_tags.multi_class = self.penalty != "firth"
        return tags

    def fit(self, X, y, sample_weight=None, groups=None):
        """Fit the model; ``sample_weight`` are frequency weights, ``groups``
        one cluster label per row (for ``cov_type="cluster"``)."""
        if _array_api.dispatches(X):
            return _array_api.fit(self, X, y, sample_weight, groups)
        if is_dask(X):  # validated partition by partition, never computed whole
            from ..data.dask import fit_estimator

            return fit_estimator(self, X, y, sample_weight, groups)
        check_column_names(X)
        check_labels(y)  # (scikit-learn sorts them: a TypeError when mixed)
        # (X's values are checked by the fit, in one threaded read that also
        # checks their magnitudes, naming the first bad row and column)
        X, y = validate_data(
            self, X, y, dtype=[np.float64, np.float32], ensure_all_finite=False
        )
        check_classification_targets(y)
        type_of_target(y, input_name="y", raise_unknown=True)
        # (np.unique(y, return_inverse=True), by hashing instead of sorting
        # all n: 0.9 s of a 10,000,000-row fit)
        y_index, classes = pd.factorize(y, sort=True)
        if classes.size < 2:
            raise ValueError(
                f"y has only one class ({classes[0]!r}): at least two are needed"
            )
        weights = None
        if sample_weight is not None:
            with np.errstate(invalid="ignore", over="ignore"):  # (inf - inf)
                weights = _check_sample_weight(sample_weight, X, dtype=np.float64)
        self.classes_ = classes
        if classes.size > 2:
            return self._fit_multinomial(X, y, weights, groups)
        names = getattr(self, "feature_names_in_", None)
        return self._fit_binary(X, y_index, weights, groups, names, defer=True)

    def _fit_binary(
        self, X, y, weights, groups, feature_names, asarray=np.asarray, defer=False
    ):
        """``logit`` with this estimator's settings; stores ``results_`` and the
        fitted attributes, made by ``asarray`` (on the data's device for
        array-API input). Shared by the NumPy, array-API and Dask fits.

        ``defer`` (in-memory data, unpenalized or L2): the fit stops before
        the certificate's pass, and the results, whose covariance needs it,
        are made when ``results_`` is first read (see :attr:`results_`)."""
        pending = fit_logit(
            X,
            y,
            weights=weights,
            fit_intercept=self.fit_intercept,
            penalty=self.penalty,
            alpha=self.alpha,
            tol=self.tol,
            max_iter=self.max_iter,
            drop_collinear=self.drop_collinear,
            feature_names=feature_names,
            cov_type=self.cov_type,
            groups=groups,
            certify=not (defer and self.penalty in (None, "l2")),
        )
        self._asarray = asarray
        self._results = None
        self._pending = pending.finish
        coef = pending.coef
        self.coef_ = asarray(coef[int(self.fit_intercept) :].reshape(1, -1))
        self.intercept_ = asarray([coef[0] if self.fit_intercept else 0.0])
        self.n_iter_ = asarray([pending.n_iter])
        if not defer:
            _ = self.results_
        return self

    @property
    def results_(self):
        """The fit's :class:`~newtonlogit.LogitResults` (or
        :class:`~newtonlogit.MNLogitResults`).

        A binary fit of in-memory data makes them when they are first read:
        ``fit`` stops once the estimate is known to the tolerance with the
        information it steered by, and the pass that evaluates the
        information at the estimate (the exact convergence certificate,
        and the covariance) runs here, so that ``fit`` and ``predict`` never
        pay for standard errors. Where that certificate asks for one more
        Newton step (rare), the step is taken and ``coef_`` and
        ``intercept_`` follow it.
        """
        pending = self.__dict__.get("_pending")
        if pending is not None:
            res = pending()
            self._pending = None
            self._results = res
            asarray = self._asarray
            self.coef_ = asarray(res._feature_coef().reshape(1, -1))
            self.intercept_ = asarray([res.coef[0] if self.fit_intercept else 0.0])
            self.n_iter_ = asarray([res.n_iter])
        res = self.__dict__.get("_results")
        if res is None:
            raise AttributeError("'LogisticRegression' has no attribute 'results_'")
        return res

    @results_.setter
    def results_(self, res):
        self._pending, self._results = None, res

    def __getstate__(self):
        _ = getattr(self, "results_", None)  # (a pending fit holds the data)
        state = super().__getstate__()
        state.pop("_asarray", None)
        return state

    def summary(self, level=0.95):
        """The fitted model's summary (see :meth:`LogitResults.summary`)."""
        check_is_fitted(self)
        return self.results_.summary(level)

    def _fit_multinomial(self, X, y, weights, groups):
        if self.cov_type != "nonrobust" or groups is not None:
            raise ValueError(
                "cov_type and groups are not available for more than two classes "
                "(multinomial fits use the model-based covariance)"
            )
        if self.penalty == "firth":
            raise ValueError(
                "Only binary classification is supported. penalty='firth' needs "
                "two classes; for more, use penalty=None or 'l2' (multinomial)"
            )
        self.results_ = mnlogit(
            X,
            y,
            weights=weights,
            base=self.classes_[0],
            fit_intercept=self.fit_intercept,
            penalty=self.penalty,
            alpha=self.alpha,
            tol=self.tol,
            max_iter=self.max_iter,
            drop_collinear=self.drop_collinear,
            feature_names=getattr(self, "feature_names_in_", None),
        )
        coef = self.results_._feature_coef()  # (K - 1, p), classes 1..K-1
        self.coef_ = np.vstack([np.zeros((1, coef.shape[1])), coef])
        intercepts = self.results_.coef[:, 0] if self.fit_intercept else 0 * coef[:, 0]
        self.intercept_ = np.concatenate([[0.0], intercepts])
        self.n_iter_ = np.array([self.results_.n_iter])
        return self

    def decision_function(self, X):
        """The linear predictor: log-odds of ``classes_[1]`` for two classes;
        for K > 2, ``(n, K)`` scores whose differences with column 0 are the
        log-odds against the base class ``classes_[0]``."""
        if _array_api.dispatches(X, self):
            return _array_api.decision_function(self, X)
        check_is_fitted(self)
        if is_dask(X):  # lazy: a dask array of log-odds
            from ..data.dask import decision_function

            return decision_function(self, X)
        check_column_names(X)
        with np.errstate(invalid="ignore", over="ignore"):
            X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        if self.classes_.size > 2:
            return X @ self.coef_.T.astype(X.dtype) + self.intercept_
        return X @ self.coef_[0].astype(X.dtype) + self.intercept_[0]

    def predict_proba(self, X):
        if _array_api.dispatches(X, self):
            return _array_api.predict_proba(self, X)
        eta = np.asarray(self.decision_function(X), dtype=np.float64)
        if eta.ndim == 2:
            return _mnkernels.softmax_with_base(np, eta[:, 1:] - eta[:, :1])
        p = expit(np, eta)
        return np.column_stack([expit(np, -eta), p])

    def predict_log_proba(self, X):
        if _array_api.dispatches(X, self):
            return _array_api.predict_log_proba(self, X)
        eta = np.asarray(self.decision_function(X), dtype=np.float64)
        if eta.ndim == 2:
            top = np.max(eta, axis=1, keepdims=True)
            log_z = top + np.log(np.sum(np.exp(eta - top), axis=1, keepdims=True))
            return eta - log_z
        return np.column_stack([-log1pexp(np, eta), -log1pexp(np, -eta)])

    def predict(self, X):
        if _array_api.dispatches(X, self):
            return _array_api.predict(self, X)
        eta = self.decision_function(X)
        if eta.ndim == 2:
            return self.classes_[np.argmax(eta, axis=1)]
        return self.classes_[(eta > 0).astype(int)]
