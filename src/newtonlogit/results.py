"""Results of a fit: immutable, free of data, everything derived on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from . import _kernels
from .design import INTERCEPT, as_matrix, as_vector, check_finite_matrix
from .exceptions import DataError


def _frozen(a) -> np.ndarray:
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class LogitResults:
    """A fitted binary logistic regression.

    Holds estimates, their covariance and fit statistics, never the data. The
    public accessors return fresh pandas objects, so nothing a user does to
    them changes the results.
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
    # Constrained refits on the training data (held by reference, never saved);
    # None for a loaded model. See newtonlogit.refit.
    refit: object | None = field(default=None, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "coef", _frozen(self.coef))
        object.__setattr__(self, "cov_array", _frozen(self.cov_array))

    # -- estimates ---------------------------------------------------------
    @property
    def params(self) -> pd.Series:
        """Estimated coefficients, ``Intercept`` first, then X's columns."""
        return pd.Series(self.coef, index=list(self.coef_names), name="coef")

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance matrix of the estimates (the inverse information)."""
        names = list(self.coef_names)
        return pd.DataFrame(self.cov_array, index=names, columns=names)

    @cached_property
    def _std_errors(self) -> np.ndarray:
        return _frozen(np.sqrt(np.diag(self.cov_array)))

    @property
    def std_errors(self) -> pd.Series:
        """``sqrt(diag(cov))``, computed at the final estimate."""
        return pd.Series(self._std_errors, index=list(self.coef_names), name="std_err")

    @property
    def history(self) -> pd.DataFrame:
        """One row per Newton iteration: log-likelihood, max |change in
        coefficients|, Newton decrement and step length."""
        return self.history_table.copy()

    # -- prediction --------------------------------------------------------
    def _feature_coef(self) -> np.ndarray:
        """Coefficients on all training columns (aliased ones are zero)."""
        by_name = dict(zip(self.coef_names, self.coef))
        return np.array([by_name.get(name, 0.0) for name in self.feature_names])

    def linear_predictor(self, X_new: Any, offset: Any = None) -> np.ndarray:
        """``eta = b0 + X_new b + offset`` for new rows."""
        X = _align_columns(X_new, self.feature_names)
        check_finite_matrix(X, self.feature_names, "X_new")
        beta = self._feature_coef()
        if self.fit_intercept:
            beta = np.concatenate([[self.coef[0]], beta])
        off = None if offset is None else as_vector(offset, X.shape[0], "offset")
        block = _kernels.Block(X, None, offset=off)
        return _kernels.linear_predictor(np, block, beta, self.fit_intercept)

    def predict(self, X_new: Any, offset: Any = None) -> np.ndarray:
        """Predicted event probabilities for new rows."""
        return _kernels.expit(np, self.linear_predictor(X_new, offset))

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


def _align_columns(X_new: Any, names: tuple[str, ...]) -> np.ndarray:
    """X_new as a matrix whose columns are the training columns, in order."""
    columns = getattr(X_new, "columns", None)
    if columns is not None:
        by_name = {str(c): c for c in columns}
        missing = [n for n in names if n not in by_name]
        if missing:
            raise DataError(f"X_new lacks the training column(s) {missing}")
        X_new = X_new[[by_name[n] for n in names]]
    X = as_matrix(X_new, "X_new")
    if X.shape[1] != len(names):
        raise DataError(
            f"X_new has {X.shape[1]} columns but the model was fitted on {len(names)}"
        )
    return X


__all__ = ["LogitResults", "INTERCEPT"]
