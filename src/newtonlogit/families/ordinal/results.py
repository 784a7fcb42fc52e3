"""Results of an ordinal fit: immutable, free of data, derived on demand.

Conventions
-----------
- ``levels`` are the response's levels from lowest to highest; predictions
  have one column per level.
- ``coef`` holds the estimated parameters in the fit's order: the ``J - 1``
  thresholds (named ``"a|b"``) first, then the slopes; ``cov_array`` is their
  covariance. Aliased columns are not among them (they are listed in
  ``aliased`` and act as 0 in predictions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from ...backends import is_device_array
from ...backends.namespace import to_numpy
from ...data.checks import align_columns, as_vector, check_finite_matrix, frozen_array
from ...inference import stats as inference
from ...inference.estimates import VectorEstimates
from ...inference.stats import TestResult
from ...reports.summary import Summary, _fmt_p, _fmt_stat, standard_notes
from . import kernels
from .margins import marginal_effects, probability_frame

TITLE = "Ordinal logistic regression results (proportional odds)"


@dataclass(frozen=True, eq=False)
class OLogitResults(VectorEstimates):
    """A fitted cumulative-logit (proportional-odds) model,
    ``logit P(Y <= j) = zeta_j - x'b``.

    Examples
    --------
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(500, 1))
    >>> y = np.digitize(x[:, 0] + rng.logistic(size=500), [-1.0, 1.0])
    >>> res = nl.ologit(x, y)
    >>> res.slopes.round(2)
    x1    0.99
    Name: coef, dtype: float64
    >>> res.brant_test().round(3)  # proportional odds hold
             chi2  df  p_value
    Omnibus  0.18   1    0.672
    x1       0.18   1    0.672
    >>> me = res.marginal_effects()  # dP(y = j)/dx for each level j
    >>> float(me["dydx"].sum()) == 0.0 or abs(float(me["dydx"].sum())) < 1e-12
    True
    """

    coef_names: tuple[str, ...]  # thresholds, then slopes (estimated ones)
    coef: np.ndarray
    cov_array: np.ndarray
    loglik: float
    loglik_null: float
    converged: bool
    n_iter: int
    history_table: pd.DataFrame
    feature_names: tuple[str, ...]  # all training columns, aliased included
    levels: tuple
    aliased: tuple[str, ...] = ()
    n_obs: float = 0.0  # sum of frequency weights
    n_rows: int = 0  # rows with positive weight
    cov_type: str = "nonrobust"
    n_groups: int = 0
    message: str = ""
    # means at the estimate behind marginal effects (see kernels.margin_sums)
    margins: dict | None = field(default=None, repr=False)
    separation: object | None = None
    fit_notes: tuple[str, ...] = ()
    refit: object | None = field(default=None, repr=False)
    model_spec: object | None = field(default=None, repr=False)
    n_dropped: int = 0
    penalty: None = None  # (no penalties; read by the shared notes and files)
    alpha: float = 0.0

    def __post_init__(self):
        object.__setattr__(self, "coef", frozen_array(self.coef))
        object.__setattr__(self, "cov_array", frozen_array(self.cov_array))

    # -- layout ------------------------------------------------------------
    @property
    def n_cuts(self) -> int:
        return len(self.levels) - 1

    @property
    def fit_intercept(self) -> bool:
        """False: the thresholds take the intercept's place."""
        return False

    @property
    def params(self) -> pd.Series:
        """All estimates: thresholds ``"a|b"`` first, then the coefficients."""
        return pd.Series(self.coef, index=list(self.coef_names), name="coef")

    @property
    def thresholds(self) -> pd.Series:
        """The cut points ``zeta_j`` (polr's ``zeta``, Stata's ``/cut``)."""
        return self.params.iloc[: self.n_cuts]

    @property
    def slopes(self) -> pd.Series:
        """The coefficients ``b`` (polr's ``coefficients``)."""
        return self.params.iloc[self.n_cuts :]

    def conf_int(self, level: float = 0.95, method: str = "wald") -> pd.DataFrame:
        """Wald (``coef -/+ z se``) or profile-likelihood intervals of every
        parameter (``method="profile"``: constrained refits on the training
        data, see :mod:`newtonlogit.inference.profile`)."""
        if method == "wald":
            z = inference.critical_value(level)
            se = self._std_errors
            limits = np.column_stack([self.coef - z * se, self.coef + z * se])
        elif method == "profile":
            limits = np.column_stack(self._profile(inference.check_level(level)))
        else:
            raise ValueError(f"method must be 'wald' or 'profile'; got {method!r}")
        return pd.DataFrame(
            limits, index=list(self.coef_names), columns=["lower", "upper"]
        )

    def _profile(self, level: float):
        from ...inference import profile

        refit = self._need_refit("profile-likelihood intervals")
        lower, upper, failed = profile.profile_limits(
            refit, self.coef, level, list(range(self.coef.size))
        )
        names = list(self.coef_names)
        infinite = ~(np.isfinite(lower) & np.isfinite(upper))
        profile.warn_failed(
            [names[j] for j in failed], [n for n, f in zip(names, infinite) if f]
        )
        return lower, upper

    def _need_refit(self, what: str):
        if self.refit is None:
            raise ValueError(
                f"{what} refit the model on its training data, which this model "
                "does not have (loaded from a file?); refit it"
            )
        return self.refit

    def odds_ratios(self, level: float = 0.95, method: str = "wald") -> pd.DataFrame:
        """``exp`` of the coefficients and of their interval limits: the odds
        of a higher level (``Y > j``, any ``j``) per unit of each column."""
        ci = self.conf_int(level, method).iloc[self.n_cuts :]
        out = np.exp(ci)
        out.insert(0, "odds_ratio", np.exp(self.coef[self.n_cuts :]))
        return out

    # -- fit statistics ----------------------------------------------------
    @property
    def n_params(self) -> int:
        return self.coef.size

    @property
    def df_model(self) -> int:
        """Estimated coefficients other than the thresholds."""
        return self.n_params - self.n_cuts

    @property
    def df_resid(self) -> float:
        return self.n_obs - self.n_params

    @property
    def deviance(self) -> float:
        """``-2 loglik`` (polr's ``deviance``)."""
        return -2.0 * self.loglik

    @property
    def aic(self) -> float:
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """With ``n`` the number of observations (sum of frequency weights)."""
        return -2.0 * self.loglik + np.log(self.n_obs) * self.n_params

    def pseudo_r2(self, kind: str = "mcfadden") -> float:
        return inference.pseudo_r2(self.loglik, self.loglik_null, self.n_obs, kind)

    def lr_test(self, smaller: OLogitResults | None = None) -> TestResult:
        """LR test against the thresholds-only model, or a nested ``smaller``
        ordinal model fitted to the same data and levels."""
        if smaller is not None and (
            not isinstance(smaller, OLogitResults) or smaller.levels != self.levels
        ):
            raise ValueError(
                "lr_test: the smaller model must be an ordinal fit with the same levels"
            )
        return inference.lr_test(self, smaller)

    def wald_test(self, names) -> TestResult:
        """Joint Wald test that the named parameters are all zero."""
        return inference.wald_test(self.coef, self.cov_array, self.coef_names, names)

    def lr_p_values(self) -> pd.Series:
        """Likelihood-ratio test of each coefficient = 0 (one refit each)."""
        refit = self._need_refit("likelihood-ratio tests")
        full = refit.value(self.coef)
        stats = np.full(self.n_params - self.n_cuts, np.nan)
        for j in range(self.n_cuts, self.n_params):
            fit = refit.fit_with_fixed({j: 0.0})
            if fit.converged:
                stats[j - self.n_cuts] = max(2.0 * (full - fit.evaluation.value), 0.0)
        names = list(self.coef_names[self.n_cuts :])
        return pd.Series(scipy_stats.chi2.sf(stats, 1), index=names, name="lr_p_value")

    def brant_test(self):
        """The Brant (1990) test of proportional odds, per variable and overall
        (see :func:`newtonlogit.families.ordinal.brant.brant_test`)."""
        from .brant import brant_test

        return brant_test(self)

    @property
    def history(self) -> pd.DataFrame:
        return self.history_table.copy()

    # -- prediction --------------------------------------------------------
    def _full_theta(self) -> np.ndarray:
        """Thresholds and a slope for every training column (aliased: 0)."""
        by_name = dict(zip(self.coef_names[self.n_cuts :], self.coef[self.n_cuts :]))
        slopes = [by_name.get(n, 0.0) for n in self.feature_names]
        return np.concatenate([self.coef[: self.n_cuts], slopes])

    def _rows(self, X_new: Any, offset: Any):
        """New rows (and offset) on the host; predictions are host arrays."""
        if self.model_spec is not None:
            X_new = self.model_spec.model_matrix(X_new)
        if is_device_array(X_new):
            X_new = to_numpy(X_new)
        if is_device_array(offset):
            offset = to_numpy(offset)
        X = align_columns(X_new, self.feature_names)
        check_finite_matrix(X, self.feature_names, "X_new")
        off = None if offset is None else as_vector(offset, X.shape[0], "offset")
        return X, off, getattr(X_new, "index", None)

    def linear_predictor(self, X_new: Any, offset: Any = None) -> np.ndarray:
        """``eta = x'b + offset`` for new rows (after a formula fit, raw columns)."""
        X, off, _ = self._rows(X_new, offset)
        eta = X @ self._full_theta()[self.n_cuts :]
        return eta if off is None else eta + off

    def predict(
        self,
        X_new: Any,
        offset: Any = None,
        *,
        interval: bool = False,
        level: float = 0.95,
    ) -> np.ndarray | pd.DataFrame:
        """Probabilities of each level, ``(n, J)``, columns in ``levels`` order.

        With ``interval=True``, a long DataFrame indexed by (row, level) with
        ``probability``, ``se`` (delta method) and ``lower``/``upper``: the
        Wald interval of the probability's logit mapped back, inside (0, 1).
        """
        X, off, index = self._rows(X_new, offset)
        eta = X @ self._full_theta()[self.n_cuts :] + (0.0 if off is None else off)
        zeta = self.coef[: self.n_cuts]
        if not interval:
            return kernels.category_probabilities(np, eta, zeta)
        keep = [n not in self.aliased for n in self.feature_names]
        return probability_frame(
            eta, zeta, X[:, keep], self.cov_array, self.levels, level, index
        )

    def predict_level(self, X_new: Any, offset: Any = None) -> np.ndarray:
        """The most probable level of each row."""
        probabilities = self.predict(X_new, offset)
        return np.asarray(self.levels, dtype=object)[np.argmax(probabilities, axis=1)]

    def marginal_effects(self, at: str = "overall", level: float = 0.95):
        """Marginal effects of each column on each level's probability,
        ``dP(Y = j)/dx``, with delta-method standard errors: a DataFrame
        indexed by (level, column). ``at="overall"`` averages over the
        training rows (Stata ``margins, dydx(*) predict(outcome(j))``);
        ``at="mean"`` is the effect at the mean row."""
        if self.margins is None:
            raise ValueError("this model has no marginal-effect sums")
        keep = np.array([n not in self.aliased for n in self.feature_names])
        return marginal_effects(
            self._full_theta(),
            self.cov_array,
            self.margins,
            keep,
            self.feature_names,
            self.levels,
            at,
            level,
        )

    # -- display -----------------------------------------------------------
    def notes_of_fit(self) -> list[str]:
        return list(self.fit_notes)

    def notes(self) -> list[str]:
        return [*standard_notes(self), *self.notes_of_fit()]

    def save(self, path) -> None:
        """Write the model to a JSON model file (``newtonlogit.load`` reads it)."""
        from ...files.modelfile import save

        save(self, path)

    def summary(self, level: float = 0.95) -> Summary:
        """Coefficients, then the thresholds in a block of their own."""
        ci = self.conf_int(level)
        z = self.coef / self._std_errors
        block = ["coefficients"] * (self.n_params - self.n_cuts)
        block = ["thresholds"] * self.n_cuts + block
        table = pd.DataFrame(
            {
                "coef": self.coef,
                "std_err": self._std_errors,
                "z": z,
                "p_value": inference.two_sided_p(z),
                "lower": ci["lower"].to_numpy(),
                "upper": ci["upper"].to_numpy(),
            },
            index=pd.MultiIndex.from_arrays([block, list(self.coef_names)]),
        )
        order = list(range(self.n_cuts, self.n_params)) + list(range(self.n_cuts))
        table = table.iloc[order]
        lr = self.lr_test()
        header = (
            ("Observations", f"{self.n_obs:g}"),
            ("Levels", f"{len(self.levels)}: {', '.join(map(str, self.levels))}"),
            ("Df model", f"{self.df_model:d}"),
            ("Df residuals", f"{self.df_resid:g}"),
            ("Converged", "yes" if self.converged else "NO"),
            ("Iterations", f"{self.n_iter:d}"),
            ("Covariance", self.cov_type),
            ("Pseudo R2 (McF.)", _fmt_stat(self.pseudo_r2("mcfadden"))),
            ("Log-likelihood", _fmt_stat(self.loglik)),
            ("LL-null", _fmt_stat(self.loglik_null)),
            (f"LR chi2({lr.df})", _fmt_stat(lr.statistic)),
            ("Prob > chi2", _fmt_p(lr.p_value)),
            ("AIC", _fmt_stat(self.aic)),
            ("BIC", _fmt_stat(self.bic)),
        )
        notes = (
            "logit P(Y <= j) = threshold_j - x'b, as MASS::polr, ordinal::clm "
            "and Stata's ologit (cut points).",
            *self.notes(),
        )
        return Summary(TITLE, header, table, level, notes, "{}")

    def __str__(self) -> str:
        return self.summary().as_text()

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        state = "converged" if self.converged else f"NOT converged ({self.message})"
        table = pd.DataFrame(
            {"coef": self.coef, "std_err": self._std_errors},
            index=list(self.coef_names),
        )
        return (
            f"<OLogitResults: {len(self.levels)} levels, {self.n_params} "
            f"parameters, {state} in {self.n_iter} iterations, loglik "
            f"{self.loglik:.6g}>\n{table.to_string()}"
        )


__all__ = ["OLogitResults"]
