"""The binary family's objectives: the binomial log-likelihood and Firth's
penalized likelihood.

Each likelihood here takes ``derivatives="score"`` where its
``score_passes`` is true: the value and score without the information
(``info=None``), one read of the data without the Gram, for steps steered by
held information (:func:`newtonlogit.solver.newton.newton`); and
``derivatives="steer"`` where its ``steer_passes`` is true: the information
for steering only, in float32 products where the backend has them
(``steering_info``). The log-likelihood offers both; Firth's penalty does
not (its score needs the hat values, which need the exact information).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from scipy.linalg import lapack

from ...solver.newton import Evaluation, SingularInformation, cholesky
from ...solver.objective import _singular
from . import kernels


@dataclass(frozen=True)
class LogLikelihood:
    """Binomial log-likelihood of the data held by ``backend``.

    ``constant`` is ``sum w log C(n, y)`` (zero for binary rows), added so that
    the value matches what R and statsmodels report for grouped counts.
    ``unit`` is the mean case weight (:meth:`Design.weight_unit`).
    """

    backend: object
    fit_intercept: bool
    constant: float = 0.0
    unit: float = 1.0
    score_passes: ClassVar[bool] = True
    steer_passes: ClassVar[bool] = True

    def __call__(self, beta: np.ndarray, derivatives: bool | str = True) -> Evaluation:
        if not derivatives:
            (ll,) = self.backend.map_sum(kernels.loglik, beta, self.fit_intercept)
            return Evaluation(float(ll) + self.constant, unit=self.unit)
        if derivatives in ("score", "steer"):  # (steer: also a float32 information)
            kernel = {"score": kernels.score_sums, "steer": kernels.steering_sums}
            ll, score, *steering, weight_sum, saturated = self.backend.map_sum(
                kernel[derivatives], beta, self.fit_intercept
            )
            return Evaluation(
                float(ll) + self.constant,
                score,
                None,
                float(weight_sum),
                float(saturated),
                steering_info=steering[0] if steering else None,
                unit=self.unit,
            )
        ll, score, info, weight_sum, saturated, margin_parts = self.backend.map_sum(
            kernels.newton_sums, beta, self.fit_intercept
        )
        return Evaluation(
            float(ll) + self.constant,
            score,
            info,
            float(weight_sum),
            float(saturated),
            margin_parts=margin_parts,
            unit=self.unit,
        )


@dataclass(frozen=True)
class Firth:
    """Firth's penalized log-likelihood ``l(b) + 1/2 log|X^T V X|``.

    ``columns`` marks the coefficients in the model (aliased ones are left
    out of the determinant; they must be held at zero by a
    :class:`Restricted` around this objective). The "information" handed to
    the solver is the exact negative Hessian of the penalized log-likelihood
    (where it is positive definite; else the Fisher information ``X^T V X``,
    which logistf and brglm2 use throughout and which converges only linearly,
    slowly on separated data where the penalty's curvature dominates).
    Standard errors are computed from ``X^T V X`` all the same (see
    :mod:`newtonlogit.families.binary.firth`).

    Notes
    -----
    The modified score (Firth 1993; Heinze and Schemper 2002) is

        U*(b) = sum_i [w_i (y_i - n_i p_i) + h_i (1/2 - p_i)] x_i

    with hat values ``h_i = v_i x_i^T (X^T V X)^{-1} x_i``, computed with the
    penalty's curvature by :func:`newtonlogit.kernels.firth_sums` in a
    second pass over the rows. Where ``X^T V X`` is singular the penalized
    log-likelihood is ``-inf``, which the solver's line search rejects.
    """

    likelihood: LogLikelihood
    columns: np.ndarray  # bool mask over beta: coefficients in the model
    # Its score needs the hat values, and they the information: a pass
    # without the information would save nothing.
    score_passes: ClassVar[bool] = False
    steer_passes: ClassVar[bool] = False

    def __call__(self, beta: np.ndarray, derivatives: bool | str = True) -> Evaluation:
        base = self.likelihood(beta, True)
        c = self.columns
        try:
            factor = cholesky(base.info[np.ix_(c, c)])
        except SingularInformation:
            return Evaluation(-np.inf) if not derivatives else _singular(base)
        logdet = 2.0 * float(np.sum(np.log(np.diag(factor[0]))))
        value = base.value + 0.5 * logdet
        if not derivatives:
            return Evaluation(value)
        root = np.zeros((int(c.sum()), beta.size))
        # L^{-1} (LAPACK's triangular inverse: far cheaper than a solve for the
        # small matrices of many refits); cho_factor leaves junk above L.
        inverse_factor, status = lapack.dtrtri(factor[0], lower=1)
        if status != 0:
            raise SingularInformation(f"dtrtri failed ({status})")
        root[:, c] = np.tril(inverse_factor)
        adjustment, diagonal, cross = self.likelihood.backend.map_sum(
            kernels.firth_sums, beta, self.likelihood.fit_intercept, root
        )
        hessian = base.info + diagonal + 2.0 * cross.T @ cross
        # The penalized log-likelihood need not be concave far from its
        # maximum; there the solver uses the Fisher information (logistf's
        # choice throughout).
        return replace(
            base,
            value=value,
            score=base.score + adjustment,
            info=hessian,
            fallback_info=base.info,
        )
