"""Constrained refits of a fitted model: the engine of profile likelihoods and
likelihood-ratio tests.

A :class:`Refitter` keeps a *reference* to the objective a model was fitted with
(and through it to the user's data; nothing is copied) so that results can
answer questions that need the data again: profile-likelihood intervals, LR
tests of single coefficients. It is never saved with a model; a loaded model
has none, and methods that need it say so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .newton import NewtonResult, newton
from .objective import Restricted


@dataclass(frozen=True, eq=False)
class Refitter:
    """Refit the same objective with some coefficients held at given values.

    Indices refer to the *estimated* coefficients, i.e. positions in
    ``LogitResults.coef`` (aliased columns are not among them and stay at 0).
    """

    objective: object  # the full-length objective the model maximized
    free: np.ndarray  # bool mask over the full beta: estimated coefficients
    beta: np.ndarray  # the estimate, full length (aliased entries 0)
    tol: float = 1e-8
    max_iter: int = 100
    # On separated data: ``unbounded() -> (m, 2)`` bool over the estimated
    # coefficients, whether the objective never turns towards -inf / +inf
    # (the binary family's ``recession_sides``); None where it turns everywhere
    # (the maximum exists, or a penalty keeps it finite).
    unbounded: Callable[[], np.ndarray] | None = None

    def value(self, coef: np.ndarray) -> float:
        """The objective at estimated-coefficient vector ``coef``."""
        full = np.zeros_like(self.beta)
        full[self.free] = coef
        return self.objective(full, False).value

    def fit_with_fixed(
        self, fixed: Mapping[int, float], start: np.ndarray | None = None
    ) -> NewtonResult:
        """Maximize over the other coefficients with ``fixed`` held constant.

        Parameters
        ----------
        fixed : mapping of index -> value
            Positions in the estimated coefficients and the values to hold.
        start : ndarray, optional
            Starting values of the *remaining* coefficients (warm start);
            default: the unrestricted estimate.

        Returns
        -------
        NewtonResult
            Its ``beta`` holds the remaining coefficients only; its
            ``evaluation.value`` is the constrained maximum of the objective.
        """
        estimated = np.flatnonzero(self.free)
        free = self.free.copy()
        values = np.array(self.beta, dtype=np.float64)
        for index, value in fixed.items():
            free[estimated[index]] = False
            values[estimated[index]] = value
        restricted = Restricted(self.objective, free, values)
        if start is None:
            start = self.beta[free]
        return newton(
            restricted,
            np.asarray(start, dtype=np.float64),
            tol=self.tol,
            max_iter=self.max_iter,
        )
