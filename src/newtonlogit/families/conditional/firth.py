"""Firth's penalty for the conditional likelihood (Heinze and Puhr 2010):
maximize ``l(b) + 1/2 log|I(b)|``.

The penalty's gradient is ``1/2 tr(I^{-1} dI/db_j) = 1/2 d/db_j tr(M I(b))``
with ``M = I^{-1}`` held fixed. ``I`` is a sum over sets of the covariance of
``T = sum_{i in S} x_i`` (exact) or over the tied-event terms ``k`` of the
covariance of one row drawn with probabilities ``p_ik`` (Efron, Breslow), so
``tr(M I) = sum Var_M``, with ``Var_M(Z) = E[Z' M Z] - E[Z]' M E[Z]``, and its
derivative in ``eta_i`` is, with ``q(z) = z' M z``,

    exact:       pi_i (E[q(T) | i in S] - E[q(T)]) - 2 (M E[T])' h_i
    Efron/Bres.: sum_k p_ik (q(x_i) - E_k[q] - 2 (M u_k)' (x_i - u_k))

(``h_i = pi_i (E[T | i in S] - E[T])`` as in :mod:`.kernels`). The exact
method carries ``E[q(T)]`` through the same forward and backward recursion as
the means. The penalty's gradient is then ``1/2 sum_i x_i d/deta_i``: one
more pass over the rows per Newton step, ``O(n min(m, n - m) p)`` per set.
"""

from __future__ import annotations

import numpy as np

from ...kernels.block import Block
from ...kernels.ops import _float64
from .kernels import Strata, _centred, _eta, _forward, strata_of


def firth_adjustment(xp, block: Block, beta, method: str, M):
    """``1/2 sum_i w_i x_i dtr(M I)/deta_i`` over the block's strata, ``(p,)``."""
    strata = strata_of(block)
    X = _float64(np, block.X)
    eta = _eta(block, X, beta)
    Xc = _centred(X, strata)
    case = np.asarray(block.y, dtype=np.float64)
    M = np.asarray(M, dtype=np.float64)
    d = np.zeros(X.shape[0])
    if method == "exact":
        _exact(eta, Xc, case, strata, M, d)
    else:
        _approximate(eta, Xc, case, strata, M, d, method)
    w = np.where(strata.informative, strata.weights, 0.0)[strata.index]
    return (0.5 * (Xc.T @ (w * d)),)


def _approximate(eta, X, case, strata: Strata, M, d, method: str) -> None:
    keep = strata.informative
    if not keep.any():
        return
    starts, index = strata.starts, strata.index
    r = np.exp(eta - np.maximum.reduceat(eta, starts)[index])
    cases = strata.cases
    k = np.arange(int(cases.max()))[None, :]
    valid = (k < cases[:, None]) & keep[:, None]
    f = k / np.maximum(cases, 1.0)[:, None] if method == "efron" else 0.0 * k
    f = np.where(valid, f, 0.0)
    q = np.einsum("ip,pq,iq->i", X, M, X)
    sums = {
        name: np.add.reduceat(v, starts, axis=0)
        for name, v in (
            ("B0", r * (1 - case)),
            ("C0", r * case),
            ("Bq", r * (1 - case) * q),
            ("Cq", r * case * q),
            ("B1", (r * (1 - case))[:, None] * X),
            ("C1", (r * case)[:, None] * X),
        )
    }
    D = sums["B0"][:, None] + (1 - f) * sums["C0"][:, None]
    inv = np.where(valid, 1.0 / D, 0.0)
    u = (sums["B1"][:, None, :] + (1 - f)[..., None] * sums["C1"][:, None, :]) * inv[
        ..., None
    ]
    Mu = u @ M
    mean_q = (sums["Bq"][:, None] + (1 - f) * sums["Cq"][:, None]) * inv
    level = mean_q - 2 * np.sum(u * Mu, axis=2)  # E_k[q] - 2 u_k' M u_k
    is_case = case > 0
    control = (inv.sum(1), (inv * level).sum(1), (inv[..., None] * Mu).sum(1))
    weighted = (1 - f) * inv
    cases_ = (
        weighted.sum(1),
        (weighted * level).sum(1),
        (weighted[..., None] * Mu).sum(1),
    )
    A = np.where(is_case, cases_[0][index], control[0][index])
    Z = np.where(is_case, cases_[1][index], control[1][index])
    V = np.where(is_case[:, None], cases_[2][index], control[2][index])
    rows = keep[index]
    d[rows] = (r * (q * A - Z - 2 * np.sum(X * V, axis=1)))[rows]


def _exact(eta, X, case, strata: Strata, M, d) -> None:
    sizes, cases = strata.sizes, strata.cases.astype(np.int64)
    flip = cases > sizes - cases
    small = np.where(flip, sizes - cases, cases)
    keys = np.where(strata.informative, sizes * (sizes.max() + 1) + small, -1)
    for key in np.unique(keys[keys >= 0]):
        chosen = np.flatnonzero(keys == key)
        n, k = int(sizes[chosen[0]]), int(small[chosen[0]])
        rows = strata.starts[chosen][:, None] + np.arange(n)
        sign = np.where(flip[chosen], -1.0, 1.0)[:, None]
        e = sign * eta[rows]
        e = e - e.max(axis=1, keepdims=True)
        x = sign[..., None] * X[rows]
        d[rows] = sign * _exact_sets(e, x, k, M)


def _exact_sets(e, x, k: int, M) -> np.ndarray:
    """``d tr(M Cov T) / d eta_i`` for sets of ``n`` rows and ``k`` cases."""
    n = e.shape[1]
    logF, DF, QF = _moments(e, x, k, M)
    logG, DG, QG = _moments(e[:, ::-1], x[:, ::-1], k, M)
    before = logF[:, :n, :k]
    after = logG[:, n - 1 :: -1, k - 1 :: -1]
    terms = before + after
    top = terms.max(axis=2, keepdims=True)
    share = np.exp(terms - top)
    log_others = top[..., 0] + np.log(share.sum(axis=2))
    share /= share.sum(axis=2, keepdims=True)
    log_total = logF[:, n, k]
    pi = np.exp(e + log_others - log_total[:, None])
    D_before, D_after = DF[:, :n, :k], DG[:, n - 1 :: -1, k - 1 :: -1]
    Q_before, Q_after = QF[:, :n, :k], QG[:, n - 1 :: -1, k - 1 :: -1]
    others = np.einsum("sia,siap->sip", share, D_before + D_after)
    cross = np.einsum("siap,pq,siaq->sia", D_before, M, D_after)
    q_others = np.sum(share * (Q_before + Q_after + 2 * cross), axis=2)
    Mx = x @ M
    q_given = np.sum(x * Mx, axis=2) + 2 * np.sum(Mx * others, axis=2) + q_others
    mean_T, mean_q = DF[:, n, k], QF[:, n, k]
    h = pi[..., None] * (x + others - mean_T[:, None, :])
    return pi * (q_given - mean_q[:, None]) - 2 * np.einsum(
        "sp,pq,siq->si", mean_T, M, h
    )


def _moments(eta, x, k: int, M):
    """:func:`.kernels._forward` plus ``Q(a, j) = E[T' M T]`` over the subsets
    of size ``a`` of the first ``j`` rows."""
    logF, D = _forward(eta, x, k)
    S, n = eta.shape
    Q = np.zeros((S, n + 1, k + 1))
    Mx = x @ M
    q = np.sum(x * Mx, axis=2)
    for j in range(1, n + 1):
        new = logF[:, j, 1:]
        ok = np.isfinite(new)
        safe = np.where(ok, new, 0.0)
        take = eta[:, j - 1, None] + logF[:, j - 1, :-1]
        rho = np.where(ok, np.exp(take - safe), 0.0)
        stay = np.where(ok, np.exp(logF[:, j - 1, 1:] - safe), 0.0)
        grow = (
            Q[:, j - 1, :-1]
            + 2 * np.einsum("sap,sp->sa", D[:, j - 1, :-1], Mx[:, j - 1])
            + q[:, j - 1, None]
        )
        Q[:, j, 1:] = stay * Q[:, j - 1, 1:] + rho * grow
    return logF, D, Q
