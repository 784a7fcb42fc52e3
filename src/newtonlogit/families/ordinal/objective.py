"""The objectives of the ordinal family: the cumulative-logit likelihood and
the separate binary fits of the Brant test."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...solver.newton import Evaluation
from . import kernels


@dataclass(frozen=True)
class CumulativeLikelihood:
    """Log-likelihood of the proportional-odds model of the data held by
    ``backend``, over ``theta = (thresholds, slopes)``.

    The thresholds must increase: elsewhere the model has no probabilities,
    and the value is ``-inf`` (so a line search shortens the step) with no
    pass over the data.
    """

    backend: object
    n_cuts: int
    unit: float = 1.0  # the mean case weight (see solver.newton)

    def __call__(self, theta: np.ndarray, derivatives: bool = True) -> Evaluation:
        zeta = theta[: self.n_cuts]
        if not (np.all(np.isfinite(theta)) and np.all(np.diff(zeta) > 0)):
            k = theta.shape[0]
            return Evaluation(-np.inf, np.zeros(k), np.eye(k), np.nan, unit=self.unit)
        if not derivatives:
            (ll,) = self.backend.map_sum(kernels.cumulative_loglik, theta)
            return Evaluation(float(ll), unit=self.unit)
        ll, score, info, weight_sum = self.backend.map_sum(
            kernels.cumulative_sums, theta
        )
        return Evaluation(float(ll), score, info, float(weight_sum), unit=self.unit)


@dataclass(frozen=True)
class SplitLikelihood:
    """The binary logit of ``y > cut`` (intercept first) on the same rows."""

    backend: object
    cut: int
    unit: float = 1.0

    def __call__(self, beta: np.ndarray, derivatives: bool = True) -> Evaluation:
        ll, score, info, weight_sum = self.backend.map_sum(
            kernels.split_sums, beta, self.cut
        )
        if not derivatives:
            return Evaluation(float(ll), unit=self.unit)
        return Evaluation(float(ll), score, info, float(weight_sum), unit=self.unit)
