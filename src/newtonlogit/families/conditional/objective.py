"""The conditional family's objective: the conditional log-likelihood of the
matched sets held by a backend (see :mod:`.kernels` for the three methods)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...solver.newton import Evaluation
from . import kernels


@dataclass(frozen=True)
class ConditionalLikelihood:
    """Conditional log-likelihood of the strata held by ``backend``."""

    backend: object
    method: str = "exact"

    def __call__(self, beta: np.ndarray, derivatives: bool = True) -> Evaluation:
        if not derivatives:
            (ll,) = self.backend.map_sum(kernels.conditional_loglik, beta, self.method)
            return Evaluation(float(ll))
        ll, score, info, trace = self.backend.map_sum(
            kernels.conditional_sums, beta, self.method
        )
        return Evaluation(float(ll), score, info, float(trace))
