"""Objectives the Newton solver maximizes: the log-likelihood and its variants.

Each objective is a callable ``objective(beta, derivatives) -> Evaluation``
(see :mod:`newtonlogit.newton`). The log-likelihood asks a backend for block
sums; penalties and restrictions wrap another objective and only adjust its
value and derivatives, so every variant runs on every backend.
An objective whose ``score_passes`` is true also takes ``derivatives="score"``:
the value and score without the information (``info=None``), one read of the
data without the Gram, for steps steered by held information
(:func:`newtonlogit.newton.newton`). The log-likelihood offers it, and the
penalty and restriction wrappers pass it through; Firth's penalty does not
(its score needs the hat values, which need the information).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
from scipy.linalg import lapack

from . import _kernels
from .newton import Evaluation, SingularInformation, cholesky


@dataclass(frozen=True)
class LogLikelihood:
    """Binomial log-likelihood of the data held by ``backend``.

    ``constant`` is ``sum w log C(n, y)`` (zero for binary rows), added so that
    the value matches what R and statsmodels report for grouped counts.
    """

    backend: object
    fit_intercept: bool
    constant: float = 0.0
    score_passes: ClassVar[bool] = True

    def __call__(self, beta: np.ndarray, derivatives: bool | str = True) -> Evaluation:
        if not derivatives:
            (ll,) = self.backend.map_sum(_kernels.loglik, beta, self.fit_intercept)
            return Evaluation(float(ll) + self.constant)
        if derivatives == "score":
            ll, score, weight_sum, saturated = self.backend.map_sum(
                _kernels.score_sums, beta, self.fit_intercept
            )
            value = float(ll) + self.constant
            return Evaluation(value, score, None, float(weight_sum), float(saturated))
        ll, score, info, weight_sum, saturated, margin_parts = self.backend.map_sum(
            _kernels.newton_sums, beta, self.fit_intercept
        )
        return Evaluation(
            float(ll) + self.constant,
            score,
            info,
            float(weight_sum),
            float(saturated),
            margin_parts=margin_parts,
        )


@dataclass(frozen=True)
class Ridge:
    """``objective(beta) - alpha / 2 * ||beta||^2`` over the penalized entries."""

    objective: object
    alpha: float
    penalized: np.ndarray  # bool mask, False for the intercept

    @property
    def score_passes(self) -> bool:
        return bool(getattr(self.objective, "score_passes", False))

    def __call__(self, beta: np.ndarray, derivatives: bool | str = True) -> Evaluation:
        base = self.objective(beta, derivatives)
        b = np.where(self.penalized, beta, 0.0)
        value = base.value - 0.5 * self.alpha * float(b @ b)
        if not derivatives:
            return Evaluation(value)
        info = base.info
        if info is not None:
            info = info + self.alpha * np.diag(self.penalized.astype(np.float64))
        return replace(base, value=value, score=base.score - self.alpha * b, info=info)


@dataclass(frozen=True)
class Restricted:
    """The objective as a function of the free entries of beta only.

    The other entries are held at ``fixed`` (zero for dropped aliased columns;
    a trial value for a profile likelihood).
    """

    objective: object
    free: np.ndarray  # bool mask over the full beta
    fixed: np.ndarray  # full-length values used where ``free`` is False

    def expand(self, beta_free: np.ndarray) -> np.ndarray:
        full = np.array(self.fixed, dtype=np.float64)
        full[self.free] = beta_free
        return full

    @property
    def score_passes(self) -> bool:
        return bool(getattr(self.objective, "score_passes", False))

    def __call__(
        self, beta_free: np.ndarray, derivatives: bool | str = True
    ) -> Evaluation:
        base = self.objective(self.expand(beta_free), derivatives)
        if not derivatives:
            return base
        f = self.free
        fallback = base.fallback_info
        return replace(
            base,
            score=base.score[f],
            info=None if base.info is None else base.info[np.ix_(f, f)],
            fallback_info=None if fallback is None else fallback[np.ix_(f, f)],
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
    :mod:`newtonlogit.firth`).

    Notes
    -----
    The modified score (Firth 1993; Heinze and Schemper 2002) is

        U*(b) = sum_i [w_i (y_i - n_i p_i) + h_i (1/2 - p_i)] x_i

    with hat values ``h_i = v_i x_i^T (X^T V X)^{-1} x_i``, computed with the
    penalty's curvature by :func:`newtonlogit._kernels.firth_sums` in a
    second pass over the rows. Where ``X^T V X`` is singular the penalized
    log-likelihood is ``-inf``, which the solver's line search rejects.
    """

    likelihood: LogLikelihood
    columns: np.ndarray  # bool mask over beta: coefficients in the model
    # Its score needs the hat values, and they the information: a pass
    # without the information would save nothing.
    score_passes: ClassVar[bool] = False

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
            _kernels.firth_sums, beta, self.likelihood.fit_intercept, root
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


def _singular(base: Evaluation) -> Evaluation:
    return replace(base, value=-np.inf)


def aliased_columns(info: np.ndarray, tol: float = 1e-10) -> np.ndarray:
    """Indices of columns that are linear combinations of earlier ones.

    Works on the information matrix scaled to unit diagonal. An unpivoted
    Cholesky factor's squared diagonal ``L_jj^2`` is the share of column ``j``
    left after projecting out the columns before it, so the first column with
    ``L_jj^2 < tol`` (or where the factorization breaks down) is aliased, as R
    reports it: the later column of a dependent set is the one dropped.
    """
    k = info.shape[0]
    diag = np.diag(info).copy()
    aliased = [j for j in range(k) if not diag[j] > 0]
    keep = [j for j in range(k) if diag[j] > 0]
    d = np.sqrt(np.where(diag > 0, diag, 1.0))
    scaled = info / np.outer(d, d)
    while keep:
        factor, status = lapack.dpotrf(scaled[np.ix_(keep, keep)], lower=1)
        n_good = len(keep) if status == 0 else status - 1
        small = np.flatnonzero(np.diag(factor)[:n_good] ** 2 < tol)
        if small.size:
            bad = int(small[0])
        elif status == 0:
            break
        else:
            bad = n_good
        aliased.append(keep.pop(bad))
    return np.array(sorted(aliased), dtype=np.intp)
