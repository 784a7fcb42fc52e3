"""Results of a fit: immutable, free of data, everything derived on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import chi2 as stats_chi2

from ...backends import is_device_array
from ...backends.namespace import namespace_of, to_numpy
from ...data.array_api import array_api_new_rows
from ...data.checks import (
    INTERCEPT,
    align_columns,
    as_vector,
    check_finite_matrix,
    frozen_array,
)
from ...inference import stats as inference
from ...inference.estimates import VectorEstimates
from ...inference.stats import TestResult
from . import kernels
from .checkmethods import ModelChecks


@dataclass(frozen=True, eq=False)
class LogitResults(VectorEstimates, ModelChecks):
    """A fitted binary logistic regression.

    Holds estimates, their covariance and fit statistics, never the data. The
    public accessors return fresh pandas objects, so nothing a user does to
    them changes the results.

    Attributes
    ----------
    loglik : float
        Log-likelihood at the estimate (binomial constant included, as R's).
    loglik_null : float
        Log-likelihood of the intercept-only model.
    converged : bool
    n_iter : int
        Newton iterations taken.
    n_obs : int
        Rows with positive weight.
    classes : tuple or None
        The response's two labels, the event second.
    aliased : tuple of str
        Collinear columns dropped from the fit (``drop_collinear=True``).
    separation : Separation or None
        The diagnosis when the data are separated.
    penalty, alpha, cov_type
        As passed to :func:`newtonlogit.logit`.
    n_dropped : int
        Rows dropped for missing values (``missing="drop"``).
    passes : dict or None
        How many times the fit read the data: ``"X"``, the passes that read
        ``X`` (Newton, score and line-search passes, fit statistics, and a
        warm start's subsample as the share of ``X`` it read), and
        ``"response"``, passes that read only ``y``, weights and offset (see
        :mod:`newtonlogit.backends.passes`). ``None`` for a loaded model.

    Examples
    --------
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = rng.random(200) < 1 / (1 + np.exp(-(0.5 + X @ [1.0, -1.0])))
    >>> res = nl.logit(X, y)
    >>> res.summary().to_frame().round(3)
                coef  std_err      z  p_value  lower  upper
    Intercept  0.445    0.173  2.570     0.01  0.106  0.784
    x1         1.156    0.210  5.509     0.00  0.745  1.568
    x2        -1.066    0.210 -5.078     0.00 -1.478 -0.655
    >>> res.conf_int(method="profile").round(3)
               lower  upper
    Intercept  0.111  0.792
    x1         0.767  1.593
    x2        -1.502 -0.676
    >>> res.odds_ratios().round(3)
               odds_ratio  lower  upper
    Intercept       1.560  1.111  2.191
    x1              3.178  2.106  4.795
    x2              0.344  0.228  0.520
    >>> round(res.loglik, 3), round(res.aic, 3), round(res.pseudo_r2(), 3)
    (-104.126, 214.252, 0.241)
    >>> print(res.lr_test())
    LR test vs null model: chi2(2) = 66.1199, p = 4.388e-15
    >>> print(res.wald_test(["x1", "x2"]))
    Wald test of ['x1', 'x2'] = 0: chi2(2) = 41.3811, p = 1.033e-09
    >>> res.marginal_effects().round(3)
         dydx  std_err      z  p_value  lower  upper
    x1  0.201    0.025  7.975      0.0  0.152  0.250
    x2 -0.185    0.027 -6.797      0.0 -0.239 -0.132
    >>> res.predict(X[:2], interval=True).round(3)
       probability  lower  upper     se
    0        0.675  0.590  0.750  0.041
    1        0.745  0.649  0.822  0.044
    """

    coef_names: tuple[str, ...]
    coef: np.ndarray  # read-only, in coef_names order (intercept first)
    cov_array: np.ndarray  # read-only (k, k)
    loglik: float
    converged: bool
    n_iter: int
    history_table: pd.DataFrame
    feature_names: tuple[str, ...]  # all columns of the training X, aliased included
    fit_intercept: bool
    aliased: tuple[str, ...] = ()
    n_obs: int = 0  # rows with positive weight
    penalty: str | None = None
    alpha: float = 0.0
    classes: tuple | None = None
    message: str = ""
    # The diagnosis when the data are separated (the MLE does not exist),
    # a newtonlogit.families.binary.separation.Separation; None otherwise.
    separation: object | None = None
    # The penalized log-likelihood maximized by a Firth fit (None otherwise).
    penalized_loglik: float | None = None
    # ... and with every slope held at 0 (logistf's null model for its LR test)
    penalized_loglik_null: float | None = None
    # Constrained refits on the training data (held by reference, never saved);
    # None for a loaded model. See newtonlogit.solver.refit.
    refit: object | None = field(default=None, repr=False)
    # Fit statistics computed at fit time (families.binary.fitstats).
    cov_type: str = "nonrobust"  # how cov_array was estimated (covariance.py)
    n_groups: int = 0  # clusters, for cov_type="cluster"
    loglik_null: float = np.nan  # intercept-only model (eta = offset without one)
    loglik_saturated: float = 0.0  # p_i = y_i / n_i (0 for binary rows)
    margins: object | None = field(default=None, repr=False)  # fitstats.MarginSums
    # Notes the fitting code attaches for the summary (e.g. separation).
    fit_notes: tuple[str, ...] = ()
    # A formula fit's encoding (newtonlogit.data.formula.FormulaSpec), re-applied to
    # new data by predict; None for a matrix fit.
    model_spec: object | None = field(default=None, repr=False)
    n_dropped: int = 0  # rows dropped for missing values (missing="drop")
    # The fit's passes over the data (newtonlogit.backends.passes): {"X": passes
    # that read X, a subsample's share included; "response": passes that read
    # only y, weights and offset}. None for a loaded model.
    passes: dict | None = field(default=None, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "coef", frozen_array(self.coef))
        object.__setattr__(self, "cov_array", frozen_array(self.cov_array))

    # -- estimates ---------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        """Estimated coefficients, ``Intercept`` first, then X's columns."""
        return pd.Series(self.coef, index=list(self.coef_names), name="coef")

    @property
    def history(self) -> pd.DataFrame:
        """One row per iterate: log-likelihood, largest absolute change in a
        coefficient, Newton decrement, step length, and ``pass``: ``"newton"``
        where the information was evaluated there, ``"score"`` where the step
        was steered by held information from a score-only pass (large fits
        after a warm start)."""
        return self.history_table.copy()

    # -- tests and intervals (math in newtonlogit.inference.stats) ---------------
    def conf_int(self, level: float = 0.95, method: str = "wald") -> pd.DataFrame:
        """Confidence intervals, columns ``lower`` and ``upper``.

        ``method="wald"``: ``coef -/+ z std_err`` under ``cov_type``.
        ``method="profile"``: profile-likelihood limits of the fitted objective
        (R's ``confint`` on a ``glm``), by constrained refits on the training
        data; see :mod:`newtonlogit.inference.profile`. Needs the refit handle, which a
        model loaded from a file does not have.
        """
        level = inference.check_level(level)
        if method == "wald":
            half = inference.critical_value(level) * self._std_errors
            lower, upper = self.coef - half, self.coef + half
        elif method == "profile":
            lower, upper = self._profile(level)
        else:
            raise ValueError(f"method must be 'wald' or 'profile'; got {method!r}")
        return pd.DataFrame(
            {"lower": lower, "upper": upper}, index=list(self.coef_names)
        )

    def _profile(self, level: float):
        from ...inference import profile

        if self.refit is None:
            raise ValueError(
                "profile-likelihood intervals refit the model on its training data, "
                "which this model does not have (loaded from a file?); refit it "
                "or use method='wald'"
            )
        lower, upper, failed = profile.profile_limits(
            self.refit, self.coef, level, list(range(len(self.coef)))
        )
        infinite = ~(np.isfinite(lower) & np.isfinite(upper))
        profile.warn_failed(
            [self.coef_names[j] for j in failed],
            [n for n, inf in zip(self.coef_names, infinite) if inf],
        )
        return lower, upper

    def odds_ratios(self, level: float = 0.95, method: str = "wald") -> pd.DataFrame:
        """``exp(coef)`` with the interval of ``conf_int(level, method)``
        exponentiated; columns ``odds_ratio``, ``lower``, ``upper``."""
        ci = np.exp(self.conf_int(level, method))
        ci.insert(0, "odds_ratio", np.exp(self.coef))
        return ci

    @property
    def deviance(self) -> float:
        """``2 (loglik_saturated - loglik)``, as R's ``deviance(glm)``."""
        return 2 * (self.loglik_saturated - self.loglik)

    @property
    def null_deviance(self) -> float:
        """``2 (loglik_saturated - loglik_null)``."""
        return 2 * (self.loglik_saturated - self.loglik_null)

    @property
    def df_model(self) -> int:
        """Estimated coefficients, intercept not counted."""
        return len(self.coef) - int(self.fit_intercept)

    @property
    def df_resid(self) -> int:
        """Observations (rows with positive weight) minus estimated coefficients."""
        return self.n_obs - len(self.coef)

    @property
    def aic(self) -> float:
        """``-2 loglik + 2 k`` (R: k counts the intercept)."""
        return -2 * self.loglik + 2 * len(self.coef)

    @property
    def bic(self) -> float:
        """``-2 loglik + k log(n)`` with n the rows with positive weight (R)."""
        return -2 * self.loglik + np.log(self.n_obs) * len(self.coef)

    def pseudo_r2(self, kind: str = "mcfadden") -> float:
        """Pseudo R-squared: ``"mcfadden"``, ``"cox-snell"`` or ``"nagelkerke"``
        (see :func:`newtonlogit.inference.stats.pseudo_r2`)."""
        return inference.pseudo_r2(self.loglik, self.loglik_null, self.n_obs, kind)

    def lr_test(self, smaller: LogitResults | None = None) -> TestResult:
        """Likelihood-ratio test against the null model, or against a nested
        ``smaller`` model fitted to the same data."""
        return inference.lr_test(self, smaller)

    def wald_test(self, names: str | list[str]) -> TestResult:
        """Joint Wald test that the named coefficients are all zero."""
        return inference.wald_test(self.coef, self.cov_array, self.coef_names, names)

    def marginal_effects(
        self, at: str = "overall", level: float = 0.95
    ) -> pd.DataFrame:
        """Marginal effects ``dp/dx`` with delta-method standard errors.

        ``at="overall"``: the average over the training rows of each row's
        effect (Stata ``margins, dydx(*)``); ``at="mean"``: the effect at the
        mean row. Dummy columns are treated as continuous.
        """
        if self.margins is None:
            raise ValueError("this model has no marginal-effect sums (loaded model?)")
        estimated = np.array([n not in self.aliased for n in self._all_coef_names])
        return inference.marginal_effects(
            self.coef,
            self.cov_array,
            self.coef_names,
            self.margins,
            estimated,
            self.fit_intercept,
            at,
            level,
        )

    @property
    def _all_coef_names(self) -> list[str]:
        names = list(self.feature_names)
        return [INTERCEPT, *names] if self.fit_intercept else names

    # -- summary -----------------------------------------------------------
    def notes(self) -> list[str]:
        """What a reader of the summary must know; the summary lists these."""
        from ...reports.summary import standard_notes

        return [*standard_notes(self), *self.fit_notes]

    def summary(self, level: float = 0.95):
        """The summary (a :class:`~newtonlogit.reports.summary.Summary`): ``as_text()``,
        ``as_html()``, ``as_latex()``, ``to_frame()``."""
        from ...reports.summary import summarize

        return summarize(self, level)

    def __str__(self) -> str:
        return self.summary().as_text()

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def lr_p_values(self) -> pd.Series:
        """Likelihood-ratio tests of each coefficient = 0, one refit each.

        For a Firth fit these are logistf's *penalized* likelihood-ratio tests
        (the penalty kept on the full model's information); for a maximum
        likelihood fit, ordinary ones. Needs the training data (``refit``).

        Notes
        -----
        ``LR_j = 2 [l*(b) - max_{b: b_j = 0} l*(b)]`` with ``l*`` the objective
        the model maximized; ``p_j = P(chi2_1 > LR_j)`` (via ``sf``). A
        restricted refit that does not converge gives NaN.
        """
        if self.refit is None:
            raise ValueError(
                "likelihood-ratio tests refit the model on its training data, "
                "which this result does not hold (a loaded model, FLIC or FLAC)"
            )
        full = self.refit.value(self.refit.beta[self.refit.free])
        stats = np.full(len(self.coef), np.nan)
        for j in range(len(self.coef)):
            fit = self.refit.fit_with_fixed({j: 0.0})
            if fit.converged:
                stats[j] = max(2.0 * (full - fit.evaluation.value), 0.0)
        return pd.Series(
            stats_chi2.sf(stats, 1), index=list(self.coef_names), name="lr_p_value"
        )

    # -- prediction --------------------------------------------------------
    def _feature_coef(self) -> np.ndarray:
        """Coefficients on all training columns (aliased ones are zero)."""
        by_name = dict(zip(self.coef_names, self.coef))
        return np.array([by_name.get(name, 0.0) for name in self.feature_names])

    def linear_predictor(self, X_new: Any, offset: Any = None) -> np.ndarray:
        """``eta = b0 + X_new b + offset`` for new rows.

        CuPy rows give a CuPy result on their device (float64); the
        coefficients themselves always stay on the host. After a formula fit,
        ``X_new`` is a DataFrame of raw columns and is encoded as the training
        data was (same levels, same transforms).
        """
        return self._linear_predictor(self._encode(X_new), offset)

    def _encode(self, X_new: Any) -> Any:
        """Raw rows through the formula of a formula fit; else unchanged."""
        if self.model_spec is None:
            return X_new
        return self.model_spec.model_matrix(X_new)

    def _linear_predictor(self, X_new: Any, offset: Any) -> np.ndarray:
        if is_device_array(X_new) or is_device_array(offset):
            xp, X, off = array_api_new_rows(X_new, offset, self.feature_names)
        else:
            xp = np
            X = align_columns(X_new, self.feature_names)
            check_finite_matrix(X, self.feature_names, "X_new")
            off = None if offset is None else as_vector(offset, X.shape[0], "offset")
        beta = self._feature_coef()
        if self.fit_intercept:
            beta = np.concatenate([[self.coef[0]], beta])
        block = kernels.Block(X, None, offset=off)
        return kernels.linear_predictor(xp, block, beta, self.fit_intercept)

    def predict(
        self,
        X_new: Any,
        offset: Any = None,
        *,
        interval: bool = False,
        level: float = 0.95,
    ) -> np.ndarray | pd.DataFrame:
        """Predicted event probabilities for new rows.

        With ``interval=True`` a DataFrame with columns ``probability``,
        ``lower``, ``upper`` (the Wald interval of the linear predictor mapped
        through ``expit``) and ``se`` (delta method), under ``cov_type``.

        CuPy rows give CuPy probabilities on their device; with
        ``interval=True`` the table is a host DataFrame, and the rows are
        copied to the host to make it.
        """
        X_new = self._encode(X_new)
        eta = self._linear_predictor(X_new, offset)
        on_host = isinstance(eta, np.ndarray)
        if not interval:
            return kernels.expit(np if on_host else namespace_of(eta), eta)
        if not on_host:
            eta, X_new = to_numpy(eta), to_numpy(X_new)
        level = inference.check_level(level)
        X = align_columns(X_new, self.feature_names)
        keep = [n not in self.aliased for n in self.feature_names]
        var = kernels.quadratic_form(np, X[:, keep], self.cov_array, self.fit_intercept)
        return inference.prediction_frame(
            eta, var, level, getattr(X_new, "index", None)
        )

    # -- model files -------------------------------------------------------
    def save(self, path) -> None:
        """Write the model to a JSON model file; read it back with
        :func:`newtonlogit.load`. See :mod:`newtonlogit.files.modelfile`."""
        from ...files.modelfile import save

        save(self, path)

    # -- display -----------------------------------------------------------
    def __repr__(self) -> str:
        table = pd.DataFrame(
            {"coef": self.coef, "std_err": self._std_errors},
            index=list(self.coef_names),
        )
        state = "converged" if self.converged else f"NOT converged ({self.message})"
        return (
            f"<LogitResults: {len(self.coef)} coefficients, {state} "
            f"in {self.n_iter} iterations, loglik {self.loglik:.6g}>\n"
            f"{table.to_string()}"
        )


__all__ = ["LogitResults", "INTERCEPT"]
