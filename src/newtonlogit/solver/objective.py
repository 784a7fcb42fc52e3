"""Objectives that wrap another objective: penalties and restrictions.

Each objective is a callable ``objective(beta, derivatives) -> Evaluation``
(see :mod:`newtonlogit.solver.newton`). A family's likelihood asks a backend
for block sums; the wrappers here only adjust its value and derivatives, so
every variant runs on every backend and every family. The wrappers pass
score-only and steering passes through (``score_passes``, ``steer_passes``:
see :mod:`newtonlogit.solver.newton`). Also the aliasing diagnosis of an
information matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.linalg import lapack

from .newton import Evaluation


@dataclass(frozen=True)
class Ridge:
    """``objective(beta) - alpha / 2 * ||beta||^2`` over the penalized entries."""

    objective: object
    alpha: float
    penalized: np.ndarray  # bool mask, False for the intercept

    @property
    def score_passes(self) -> bool:
        return bool(getattr(self.objective, "score_passes", False))

    @property
    def steer_passes(self) -> bool:
        return bool(getattr(self.objective, "steer_passes", False))

    def __call__(self, beta: np.ndarray, derivatives: bool | str = True) -> Evaluation:
        base = self.objective(beta, derivatives)
        b = np.where(self.penalized, beta, 0.0)
        value = base.value - 0.5 * self.alpha * float(b @ b)
        if not derivatives:
            return Evaluation(value)
        penalty = self.alpha * np.diag(self.penalized.astype(np.float64))
        return replace(
            base,
            value=value,
            score=base.score - self.alpha * b,
            info=None if base.info is None else base.info + penalty,
            steering_info=(
                None if base.steering_info is None else base.steering_info + penalty
            ),
        )


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

    @property
    def steer_passes(self) -> bool:
        return bool(getattr(self.objective, "steer_passes", False))

    def __call__(
        self, beta_free: np.ndarray, derivatives: bool | str = True
    ) -> Evaluation:
        base = self.objective(self.expand(beta_free), derivatives)
        if not derivatives:
            return base
        f = self.free

        def free(matrix):
            return None if matrix is None else matrix[np.ix_(f, f)]

        return replace(
            base,
            score=base.score[f],
            info=free(base.info),
            fallback_info=free(base.fallback_info),
            steering_info=free(base.steering_info),
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
