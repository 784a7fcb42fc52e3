"""Objectives the Newton solver maximizes: the log-likelihood and its variants.

Each objective is a callable ``objective(beta, derivatives) -> Evaluation``
(see :mod:`newtonlogit.newton`). The log-likelihood asks a backend for block
sums; penalties and restrictions wrap another objective and only adjust its
value and derivatives, so every variant runs on every backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

from . import _kernels
from .newton import Evaluation


@dataclass(frozen=True)
class LogLikelihood:
    """Binomial log-likelihood of the data held by ``backend``.

    ``constant`` is ``sum w log C(n, y)`` (zero for binary rows), added so that
    the value matches what R and statsmodels report for grouped counts.
    """

    backend: object
    fit_intercept: bool
    constant: float = 0.0

    def __call__(self, beta: np.ndarray, derivatives: bool = True) -> Evaluation:
        if not derivatives:
            (ll,) = self.backend.map_sum(_kernels.loglik, beta, self.fit_intercept)
            return Evaluation(float(ll) + self.constant)
        ll, score, info, weight_sum = self.backend.map_sum(
            _kernels.newton_sums, beta, self.fit_intercept
        )
        return Evaluation(float(ll) + self.constant, score, info, float(weight_sum))


@dataclass(frozen=True)
class Ridge:
    """``objective(beta) - alpha / 2 * ||beta||^2`` over the penalized entries."""

    objective: object
    alpha: float
    penalized: np.ndarray  # bool mask, False for the intercept

    def __call__(self, beta: np.ndarray, derivatives: bool = True) -> Evaluation:
        base = self.objective(beta, derivatives)
        b = np.where(self.penalized, beta, 0.0)
        value = base.value - 0.5 * self.alpha * float(b @ b)
        if not derivatives:
            return Evaluation(value)
        info = base.info + self.alpha * np.diag(self.penalized.astype(np.float64))
        return Evaluation(value, base.score - self.alpha * b, info, base.weight_sum)


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

    def __call__(self, beta_free: np.ndarray, derivatives: bool = True) -> Evaluation:
        base = self.objective(self.expand(beta_free), derivatives)
        if not derivatives:
            return base
        f = self.free
        return Evaluation(
            base.value, base.score[f], base.info[np.ix_(f, f)], base.weight_sum
        )


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
