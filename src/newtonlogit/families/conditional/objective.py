"""The conditional family's objectives: the conditional log-likelihood of the
matched sets held by a backend (see :mod:`.kernels` for the three methods)
and Firth's penalized version of it (see :mod:`.firth`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ...solver.newton import Evaluation, SingularInformation, cho_inverse, cholesky
from ...solver.objective import _singular
from . import kernels
from .firth import firth_adjustment


@dataclass(frozen=True)
class ConditionalLikelihood:
    """Conditional log-likelihood of the strata held by ``backend``; ``unit``
    is the mean case weight (:meth:`Design.weight_unit`)."""

    backend: object
    method: str = "exact"
    unit: float = 1.0

    def __call__(self, beta: np.ndarray, derivatives: bool = True) -> Evaluation:
        if not derivatives:
            (ll,) = self.backend.map_sum(kernels.conditional_loglik, beta, self.method)
            return Evaluation(float(ll), unit=self.unit)
        ll, score, info, trace = self.backend.map_sum(
            kernels.conditional_sums, beta, self.method
        )
        return Evaluation(float(ll), score, info, float(trace), unit=self.unit)


@dataclass(frozen=True)
class Firth:
    """Firth's penalized conditional log-likelihood ``l(b) + 1/2 log|I(b)|``.

    ``columns`` marks the coefficients in the model (aliased ones are held at
    zero by a ``Restricted`` around this objective). The matrix handed to the
    solver is the information ``I(b)`` itself, as logistf and coxphf do: the
    steps go uphill and converge linearly (the fit asks for ``tol**2``).
    """

    likelihood: ConditionalLikelihood
    columns: np.ndarray

    def __call__(self, beta: np.ndarray, derivatives: bool = True) -> Evaluation:
        base = self.likelihood(beta, True)
        c = self.columns
        try:
            factor = cholesky(base.info[np.ix_(c, c)])
        except SingularInformation:
            return Evaluation(-np.inf) if not derivatives else _singular(base)
        value = base.value + float(np.sum(np.log(np.diag(factor[0]))))
        if not derivatives:
            return Evaluation(value)
        inverse = np.zeros_like(base.info)
        inverse[np.ix_(c, c)] = cho_inverse(factor)
        (adjustment,) = self.likelihood.backend.map_sum(
            firth_adjustment, beta, self.likelihood.method, inverse
        )
        return replace(base, value=value, score=base.score + adjustment)
