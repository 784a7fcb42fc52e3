"""Results of a conditional (matched-set) fit: immutable, free of data.

``coef`` has no intercept. ``loglik_null`` is the conditional log-likelihood at
``b = 0`` (survival's ``loglik[1]``), the reference of the LR test.
Predictions are within a stratum: the probability that a row is a case given
its matched set and the number of cases in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from ...data.checks import align_columns, as_vector, check_finite_matrix, frozen_array
from ...exceptions import DataError
from ...inference import stats as inference
from ...inference.covariance import describe
from ...inference.estimates import VectorEstimates
from ...inference.stats import TestResult
from ...kernels.block import Block
from ...reports.summary import Summary, _fmt_p, _fmt_stat, standard_notes
from . import kernels

TITLE = "Conditional logistic regression results"
# The covariance types a conditional fit offers (no leverages: no HC2, HC3).
COV_TYPES = ("nonrobust", "HC0", "HC1", "cluster")


@dataclass(frozen=True, eq=False)
class ConditionalResults(VectorEstimates):
    """A fitted conditional logistic regression (one coefficient per column).

    Examples
    --------
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> sets = np.repeat(np.arange(200), 3)
    >>> x = rng.normal(size=(600, 1))
    >>> case = np.argmax(x.reshape(200, 3) + rng.gumbel(size=(200, 3)), axis=1)
    >>> y = (np.arange(3) == case[:, None]).ravel().astype(int)
    >>> res = nl.clogit(x, y, strata=sets)
    >>> res.n_strata, res.n_events, res.method
    (200, 200, 'exact')
    >>> res.std_errors.round(2)
    x1    0.12
    Name: std_err, dtype: float64
    >>> print(res.lr_test())
    LR test vs null model: chi2(1) = 74.8253, p = 5.143e-18

    The probability that each row is the case of its set:

    >>> res.predict(x[:3], sets[:3]).round(3)
    array([0.297, 0.237, 0.466])
    """

    coef_names: tuple[str, ...]
    coef: np.ndarray
    cov_array: np.ndarray
    loglik: float
    loglik_null: float
    converged: bool
    n_iter: int
    history_table: pd.DataFrame
    feature_names: tuple[str, ...]
    method: str = "exact"
    aliased: tuple[str, ...] = ()
    n_obs: int = 0  # rows with positive weight
    n_events: int = 0  # cases
    n_strata: int = 0
    n_informative: int = 0  # strata with both cases and controls
    penalty: str | None = None
    alpha: float = 0.0
    penalized_loglik: float | None = None
    message: str = ""
    refit: object | None = field(default=None, repr=False)
    cov_type: str = "nonrobust"
    n_groups: int = 0
    # the diagnosis when the sets are separated (the MLE does not exist)
    separation: object | None = None
    fit_notes: tuple[str, ...] = ()
    model_spec: object | None = field(default=None, repr=False)
    n_dropped: int = 0
    fit_intercept: bool = False  # never: the intercept cancels within strata

    def __post_init__(self):
        object.__setattr__(self, "coef", frozen_array(self.coef))
        object.__setattr__(self, "cov_array", frozen_array(self.cov_array))

    # -- estimates ---------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        return pd.Series(self.coef, index=list(self.coef_names), name="coef")

    @property
    def odds_ratios(self) -> pd.Series:
        """``exp(coef)``: the odds ratio of a unit change within a matched set."""
        return np.exp(self.params)

    @property
    def history(self) -> pd.DataFrame:
        return self.history_table.copy()

    def conf_int(self, level: float = 0.95, method: str = "wald") -> pd.DataFrame:
        """Wald (``coef -/+ z se``) or profile-likelihood limits (constrained
        refits on the training data; see :mod:`newtonlogit.inference.profile`)."""
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

        if self.refit is None:
            raise ValueError(
                "profile-likelihood intervals refit the model on its training data, "
                "which this model does not have (loaded from a file?); refit it "
                "or use method='wald'"
            )
        which = list(range(self.coef.size))
        lower, upper, failed = profile.profile_limits(
            self.refit, self.coef, level, which
        )
        names = list(self.coef_names)
        infinite = ~(np.isfinite(lower) & np.isfinite(upper))
        profile.warn_failed(
            [names[j] for j in failed], [n for n, f in zip(names, infinite) if f]
        )
        return lower, upper

    # -- fit statistics ----------------------------------------------------
    @property
    def df_model(self) -> int:
        return int(self.coef.size)

    @property
    def deviance(self) -> float:
        return -2.0 * self.loglik

    @property
    def aic(self) -> float:
        """``-2 loglik + 2 k`` (survival's ``AIC`` of a clogit fit)."""
        return -2.0 * self.loglik + 2.0 * self.coef.size

    @property
    def bic(self) -> float:
        """``-2 loglik + log(d) k`` with ``d`` the number of cases (survival's
        ``BIC`` for models of events)."""
        return -2.0 * self.loglik + np.log(max(self.n_events, 1)) * self.coef.size

    def lr_test(self, smaller: ConditionalResults | None = None) -> TestResult:
        """LR test against ``b = 0`` (survival's "Likelihood ratio test") or a
        nested ``smaller`` model fitted to the same sets."""
        if smaller is not None and (
            not isinstance(smaller, ConditionalResults) or smaller.method != self.method
        ):
            raise ValueError(
                "lr_test: the smaller model must be a ConditionalResults fitted "
                "with the same method"
            )
        return inference.lr_test(self, smaller)

    def wald_test(self, names) -> TestResult:
        """Joint Wald test that the coefficients ``names`` are zero."""
        return inference.wald_test(self.coef, self.cov_array, self.coef_names, names)

    # -- prediction --------------------------------------------------------
    def _beta(self) -> np.ndarray:
        position = {n: j for j, n in enumerate(self.coef_names)}
        return np.array(
            [
                self.coef[position[n]] if n in position else 0.0
                for n in self.feature_names
            ]
        )

    def _matrix(self, X_new: Any) -> np.ndarray:
        if self.model_spec is not None:
            X_new = self.model_spec.model_matrix(X_new)
        X = align_columns(X_new, self.feature_names)
        check_finite_matrix(X, self.feature_names, "X_new")
        return X

    def linear_predictor(self, X_new: Any, offset: Any = None) -> np.ndarray:
        """``x b (+ offset)``: log relative odds, comparable within a stratum only."""
        return self._eta(self._matrix(X_new), offset)

    def _eta(self, X: np.ndarray, offset: Any) -> np.ndarray:
        eta = X @ self._beta()
        if offset is not None:
            eta = eta + as_vector(offset, X.shape[0], "offset")
        return eta

    def predict(
        self, X_new: Any, strata: Any, n_cases: Any = 1, offset: Any = None
    ) -> np.ndarray:
        """The probability that each row is a case given its matched set.

        ``strata`` labels the set of every row of ``X_new``; ``n_cases`` is the
        number of cases in each set (one number for all sets, or one per row,
        constant within a set). For 1:M sets (``n_cases=1``) this is the
        softmax of the linear predictor within the set; for ``m`` cases it is
        the exact inclusion probability (sums to ``m`` over the set).
        """
        X = self._matrix(X_new)
        eta = self._eta(X, offset)
        n = X.shape[0]
        labels = np.asarray(
            strata.to_numpy() if hasattr(strata, "to_numpy") else strata
        )
        if labels.shape != (n,):
            raise DataError(f"strata must have one label per row ({n})")
        codes, _ = pd.factorize(labels)
        if (codes < 0).any():
            raise DataError("strata has a missing label")
        m = np.broadcast_to(np.asarray(n_cases, dtype=np.float64), (n,))
        order = np.argsort(codes, kind="stable")
        sorted_codes, m_sorted = codes[order], m[order]
        starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
        sizes = np.diff(np.r_[starts, n])
        per_set = m_sorted[starts]
        if not np.array_equal(m_sorted, np.repeat(per_set, sizes)) or np.any(
            (per_set < 0) | (per_set > sizes) | (per_set != np.round(per_set))
        ):
            raise DataError(
                "n_cases must be whole numbers between 0 and the size of each set, "
                "the same for every row of a set"
            )
        # Stand-in cases (the first m rows of each set) give the kernel m;
        # the inclusion probabilities do not depend on which rows they are.
        rank = np.arange(n) - np.repeat(starts, sizes)
        y = (rank < np.repeat(per_set, sizes)).astype(np.float64)
        block = Block(np.zeros((n, 1)), y, offset=eta[order], segments=sorted_codes)
        pi = kernels.inclusion_probabilities(block, np.zeros(1))
        out = np.empty(n)
        out[order] = pi
        return out

    # -- display -----------------------------------------------------------
    def notes_of_fit(self) -> list[str]:
        return list(self.fit_notes)

    def notes(self) -> list[str]:
        plain = replace(self, penalty=None) if self.penalty == "firth" else self
        notes = [*standard_notes(plain), *self.notes_of_fit()]
        if self.penalty == "firth":
            notes.append(
                "Firth's penalized conditional likelihood (Heinze and Puhr 2010): "
                "estimates finite under separation. Standard errors are "
                "sqrt(diag(I^-1)) at the estimate, profile intervals are of the "
                "penalized likelihood; the log-likelihood shown is the unpenalized "
                f"one (penalized: {self.penalized_loglik:.6g})."
            )
        if self.n_informative < self.n_strata:
            notes.append(
                f"{self.n_strata - self.n_informative} stratum/strata without both "
                "cases and controls add nothing to the conditional likelihood."
            )
        return notes

    def save(self, path) -> None:
        from ...files.modelfile import save

        save(self, path)

    def summary(self, level: float = 0.95) -> Summary:
        ci = self.conf_int(level)
        z = self.coef / self._std_errors
        table = pd.DataFrame(
            {
                "coef": self.coef,
                "std_err": self._std_errors,
                "z": z,
                "p_value": inference.two_sided_p(z),
                "lower": ci["lower"].to_numpy(),
                "upper": ci["upper"].to_numpy(),
            },
            index=list(self.coef_names),
        )
        lr = self.lr_test()
        header = (
            ("Observations", f"{self.n_obs:d}"),
            ("Cases", f"{self.n_events:d}"),
            ("Strata", f"{self.n_strata:d} ({self.n_informative} informative)"),
            ("Method", self.method),
            ("Converged", "yes" if self.converged else "NO"),
            ("Iterations", f"{self.n_iter:d}"),
            ("Covariance", describe(self.cov_type)),
            ("Log-likelihood", _fmt_stat(self.loglik)),
            ("LL at b = 0", _fmt_stat(self.loglik_null)),
            (f"LR chi2({lr.df})", _fmt_stat(lr.statistic)),
            ("Prob > chi2", _fmt_p(lr.p_value)),
            ("AIC", _fmt_stat(self.aic)),
        )
        return Summary(TITLE, header, table, level, tuple(self.notes()))

    def __str__(self) -> str:
        return self.summary().as_text()

    def _repr_html_(self) -> str:
        return self.summary().as_html()

    def __repr__(self) -> str:
        state = "converged" if self.converged else f"NOT converged ({self.message})"
        return (
            f"<ConditionalResults: {self.method}, {self.coef.size} coefficients, "
            f"{self.n_strata} strata, {state} in {self.n_iter} iterations, "
            f"loglik {self.loglik:.6g}>\n{self.params.to_string()}"
        )


__all__ = ["ConditionalResults"]
