"""Results of a multinomial fit: immutable, free of data, derived on demand.

Conventions
-----------
- ``classes`` are the labels in their natural order (sorted, or a
  categorical's category order); ``base`` is the reference class.
  ``non_base`` are the other classes in that order: the columns of
  ``params``. Predictions have one column per entry of ``classes``.
- ``coef`` has shape ``(K - 1, k)``: one row per non-base class, in
  ``coef_names`` order (intercept first). ``cov_array`` is the covariance of
  ``coef.ravel()`` (class-major), shape ``((K - 1) k, (K - 1) k)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from scipy import linalg

from ...data.checks import align_columns, as_vector, check_finite_matrix, frozen_array
from ...exceptions import DataError
from ...inference import stats as inference
from ...inference.stats import TestResult, chi2_test
from ...kernels.block import Block
from ...reports.summary import Summary, _fmt_p, _fmt_stat, standard_notes
from . import kernels

TITLE = "Multinomial logistic regression results"


@dataclass(frozen=True, eq=False)
class MNLogitResults:
    """A fitted multinomial (baseline-category) logistic regression.

    Examples
    --------
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(300, 1))
    >>> scores = np.column_stack([np.zeros(300), 0.5 + x[:, 0], -0.5 - x[:, 0]])
    >>> noise = rng.gumbel(size=(300, 3))
    >>> y = np.array(["a", "b", "c"])[np.argmax(scores + noise, axis=1)]
    >>> mn = nl.mnlogit(x, y)
    >>> mn.n_classes, mn.params.shape
    (3, (2, 2))
    >>> mn.std_errors.round(2)
    class         b     c
    Intercept  0.15  0.20
    x1         0.18  0.21
    >>> print(mn.lr_test())
    LR test vs null model: chi2(2) = 97.118, p = 8.149e-22
    """

    coef_names: tuple[str, ...]
    coef: np.ndarray  # (K - 1, k) read-only, rows = non-base classes (fit order)
    cov_array: np.ndarray  # ((K - 1) k, (K - 1) k) read-only, class-major
    loglik: float
    loglik_null: float
    converged: bool
    n_iter: int
    history_table: pd.DataFrame
    feature_names: tuple[str, ...]  # all training columns, aliased included
    fit_intercept: bool
    classes: tuple  # all labels, natural order
    base: Any
    aliased: tuple[str, ...] = ()
    n_obs: float = 0.0  # sum of frequency weights (rows if unweighted)
    penalty: str | None = None
    alpha: float = 0.0
    message: str = ""
    # per-pair separation diagnosis; None until it is computed (see mnlogit)
    separation: object | None = None
    refit: object | None = field(default=None, repr=False)
    # the formula of a formula fit (its encoding is reapplied to new rows)
    model_spec: object | None = field(default=None, repr=False)
    n_dropped: int = 0  # rows dropped for missing values (missing="drop")
    n_rows: int = 0  # rows with positive weight
    fit_notes: tuple[str, ...] = ()  # notes the fit attached (kept in model files)

    def __post_init__(self):
        object.__setattr__(self, "coef", frozen_array(self.coef))
        object.__setattr__(self, "cov_array", frozen_array(self.cov_array))

    # -- layout ------------------------------------------------------------
    @property
    def non_base(self) -> tuple:
        """The non-base classes: the columns of ``params``."""
        return tuple(c for c in self.classes if c != self.base)

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def _frame(self, values: np.ndarray, name: str | None = None) -> pd.DataFrame:
        frame = pd.DataFrame(
            np.asarray(values).reshape(self.coef.shape).T,
            index=list(self.coef_names),
            columns=pd.Index(list(self.non_base), name="class"),
        )
        frame.columns.name = name or "class"
        return frame

    def _long_index(self) -> pd.MultiIndex:
        return pd.MultiIndex.from_product(
            [list(self.non_base), list(self.coef_names)], names=["class", "coef"]
        )

    # -- estimates ---------------------------------------------------------
    @property
    def params(self) -> pd.DataFrame:
        """Coefficients: rows = names (``Intercept`` first), columns = non-base
        classes; column ``j`` holds the log-odds of class ``j`` against ``base``."""
        return self._frame(self.coef)

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance of all coefficients, indexed by (class, coef), class-major."""
        index = self._long_index()
        return pd.DataFrame(self.cov_array, index=index, columns=index)

    @cached_property
    def _std_errors(self) -> np.ndarray:
        return frozen_array(np.sqrt(np.diag(self.cov_array)))

    @property
    def std_errors(self) -> pd.DataFrame:
        """``sqrt(diag(cov))`` at the final estimate, laid out as ``params``."""
        return self._frame(self._std_errors)

    @property
    def z_values(self) -> pd.DataFrame:
        return self._frame(self.coef.ravel() / self._std_errors)

    @property
    def p_values(self) -> pd.DataFrame:
        """Two-sided Wald p-values, ``2 sf(|z|)`` of the standard normal."""
        return self._frame(inference.two_sided_p(self.coef.ravel() / self._std_errors))

    def conf_int(self, level: float = 0.95, method: str = "wald") -> pd.DataFrame:
        """Confidence intervals, rows (class, coef), columns ``lower``, ``upper``.

        ``method="wald"``: ``coef -/+ z se``. ``method="profile"``: the
        profile-likelihood limits ``{b : 2 (l_max - l_profile(b)) <= chi2_1(level)}``
        by constrained refits on the training data (see
        :mod:`newtonlogit.inference.profile`); needs the refit handle.
        """
        if method == "wald":
            z = inference.critical_value(level)
            b, se = self.coef.ravel(), self._std_errors
            limits = np.column_stack([b - z * se, b + z * se])
        elif method == "profile":
            limits = np.column_stack(self._profile(inference.check_level(level)))
        else:
            raise ValueError(f"method must be 'wald' or 'profile'; got {method!r}")
        return pd.DataFrame(
            limits, index=self._long_index(), columns=["lower", "upper"]
        )

    def _profile(self, level: float):
        from ...inference import profile

        if self.refit is None:
            raise ValueError(
                "profile-likelihood intervals refit the model on its training data, "
                "which this model does not have (loaded from a file?); refit it "
                "or use method='wald'"
            )
        coef = self.coef.ravel()
        lower, upper, failed = profile.profile_limits(
            self.refit, coef, level, list(range(coef.size))
        )
        names = [f"{c}:{n}" for c, n in self._long_index()]
        infinite = ~(np.isfinite(lower) & np.isfinite(upper))
        profile.warn_failed(
            [names[j] for j in failed], [n for n, f in zip(names, infinite) if f]
        )
        return lower, upper

    # -- fit statistics ----------------------------------------------------
    @property
    def n_params(self) -> int:
        return self.coef.size

    @property
    def df_model(self) -> int:
        """Estimated coefficients other than the intercepts."""
        return self.n_params - (self.n_classes - 1) * int(self.fit_intercept)

    @property
    def df_resid(self) -> float:
        return self.n_obs - self.n_params

    @property
    def deviance(self) -> float:
        return -2.0 * self.loglik

    @property
    def aic(self) -> float:
        """``-2 loglik + 2 (K - 1) k``, as statsmodels and R's multinom."""
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """``-2 loglik + log(n) (K - 1) k`` with ``n`` the number of observations
        (the sum of frequency weights)."""
        return -2.0 * self.loglik + np.log(self.n_obs) * self.n_params

    @property
    def cov_type(self) -> str:
        """Always the model-based covariance (the inverse information)."""
        return "nonrobust"

    def pseudo_r2(self, kind: str = "mcfadden") -> float:
        """``"mcfadden"``, ``"cox-snell"`` or ``"nagelkerke"`` (see
        :func:`newtonlogit.inference.stats.pseudo_r2`), ``n`` the number of
        observations."""
        return inference.pseudo_r2(self.loglik, self.loglik_null, self.n_obs, kind)

    def lr_test(self, smaller: MNLogitResults | None = None) -> TestResult:
        """Likelihood-ratio test against the intercept-only model, or against a
        nested ``smaller`` model fitted to the same data and classes."""
        if smaller is None:
            statistic = 2.0 * (self.loglik - self.loglik_null)
            return chi2_test(statistic, self.df_model, "LR test vs null model")
        if not isinstance(smaller, MNLogitResults):
            raise ValueError("lr_test: smaller must be an MNLogitResults")
        if (
            smaller.classes != self.classes
            or smaller.base != self.base
            or smaller.n_obs != self.n_obs
            or not np.isclose(smaller.loglik_null, self.loglik_null, rtol=1e-8)
            or not set(smaller.coef_names) <= set(self.coef_names)
            or smaller.n_params >= self.n_params
        ):
            raise ValueError(
                "lr_test: the models are not nested: it needs a smaller model "
                "fitted to the same data, classes and base, with a subset of the "
                "coefficients"
            )
        statistic = 2.0 * (self.loglik - smaller.loglik)
        df = self.n_params - smaller.n_params
        return chi2_test(statistic, df, "LR test of nested models")

    def wald_test(self, names) -> TestResult:
        """Joint Wald test that the coefficients ``names`` are zero in every
        non-base class (``df = len(names) (K - 1)``): does a variable matter
        at all?

        Notes
        -----
        ``W = b_S' (V_SS)^{-1} b_S``, chi-squared with ``|S|`` degrees of
        freedom under the null, ``S`` the chosen coefficients of all classes.
        """
        names = [names] if isinstance(names, str) else list(names)
        unknown = [n for n in names if n not in self.coef_names]
        if not names or unknown:
            raise ValueError(
                f"wald_test: unknown coefficient name(s) {unknown or names}; "
                f"the model's coefficients are {list(self.coef_names)}"
            )
        k = len(self.coef_names)
        columns = sorted({self.coef_names.index(n) for n in names})
        index = [j * k + c for j in range(self.n_classes - 1) for c in columns]
        b = self.coef.ravel()[index]
        V = self.cov_array[np.ix_(index, index)]
        statistic = float(b @ linalg.solve(V, b, assume_a="pos"))
        return chi2_test(statistic, len(index), f"Wald test of {names} = 0")

    @property
    def history(self) -> pd.DataFrame:
        return self.history_table.copy()

    # -- prediction --------------------------------------------------------
    def _feature_coef(self) -> np.ndarray:
        """``(K - 1, p)`` coefficients on all training columns (aliased: 0)."""
        position = {n: j for j, n in enumerate(self.coef_names)}
        out = np.zeros((self.n_classes - 1, len(self.feature_names)))
        for j, name in enumerate(self.feature_names):
            if name in position:
                out[:, j] = self.coef[:, position[name]]
        return out

    def linear_predictor(self, X_new: Any, offset: Any = None) -> np.ndarray:
        """Log-odds of each non-base class against the base, ``(n, K - 1)``.

        After a formula fit, ``X_new`` is a DataFrame of raw columns, encoded as
        the training data were."""
        if self.model_spec is not None:
            X_new = self.model_spec.model_matrix(X_new)
        X = align_columns(X_new, self.feature_names)
        check_finite_matrix(X, self.feature_names, "X_new")
        beta = self._feature_coef()
        if self.fit_intercept:
            beta = np.column_stack([self.coef[:, 0], beta])
        off = None
        if offset is not None:
            off = np.asarray(offset, dtype=np.float64)
            if off.ndim == 1:
                off = as_vector(offset, X.shape[0], "offset")
            elif off.shape != (X.shape[0], self.n_classes - 1):
                raise DataError(f"offset has shape {off.shape}")
        block = Block(X, None, offset=off)
        return kernels.multinomial_eta(
            np, block, beta.ravel(), self.fit_intercept, self.n_classes
        )

    def predict(self, X_new: Any, offset: Any = None) -> np.ndarray:
        """Class probabilities ``(n, K)``, columns in the order of ``classes``."""
        fitted = kernels.softmax_with_base(np, self.linear_predictor(X_new, offset))
        fit_order = [self.base, *self.non_base]
        return fitted[:, [fit_order.index(c) for c in self.classes]]

    # -- display -----------------------------------------------------------
    def notes_of_fit(self) -> list[str]:
        """Notes the fit attached (separation), kept in model files."""
        return list(self.fit_notes)

    def notes(self) -> list[str]:
        """What a reader of the summary must know."""
        return [*standard_notes(self), *self.notes_of_fit()]

    def save(self, path) -> None:
        """Write the model to a JSON model file (see
        :mod:`newtonlogit.files.modelfile`; ``newtonlogit.load`` reads it back)."""
        from ...files.modelfile import save

        save(self, path)

    def summary(self, level: float = 0.95) -> Summary:
        """One coefficient block per non-base class, under the fit's header:
        ``as_text()``, ``as_html()``, ``as_latex()``, ``to_frame()``."""
        ci = self.conf_int(level)
        z = self.coef.ravel() / self._std_errors
        table = pd.DataFrame(
            {
                "coef": self.coef.ravel(),
                "std_err": self._std_errors,
                "z": z,
                "p_value": inference.two_sided_p(z),
                "lower": ci["lower"].to_numpy(),
                "upper": ci["upper"].to_numpy(),
            },
            index=self._long_index(),
        )
        lr = self.lr_test()
        header = (
            ("Observations", f"{self.n_obs:g}"),
            ("Classes", f"{self.n_classes}, base {self.base!r}"),
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
        block_title = f"class = {{!r}} vs base {self.base!r}"
        return Summary(TITLE, header, table, level, tuple(self.notes()), block_title)

    def __str__(self) -> str:
        return self.summary().as_text()

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        state = "converged" if self.converged else f"NOT converged ({self.message})"
        return (
            f"<MNLogitResults: {self.n_classes} classes (base {self.base!r}), "
            f"{self.n_params} coefficients, {state} in {self.n_iter} iterations, "
            f"loglik {self.loglik:.6g}>\n{self.params.to_string()}"
        )


__all__ = ["MNLogitResults"]
