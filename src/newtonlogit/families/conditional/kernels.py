"""The math of one row block, conditional logistic regression (matched sets).

Conventions (conditional)
-------------------------
- ``block.segments`` holds the stratum (matched set) code of every row; the
  rows of a stratum are contiguous and never split across blocks (the fit
  sorts them once, the backends cut blocks at segment boundaries), so every
  sum below is over whole strata.
- ``y`` is the 0/1 case indicator; ``weights``, if any, are constant within a
  stratum (a weight counts the whole matched set that many times).
- ``beta`` has no intercept (it cancels from the conditional likelihood); the
  offset, if any, is added to the linear predictor.
- ``method`` is ``"exact"``, ``"efron"`` or ``"breslow"`` (survival's names).

A stratum with ``n`` rows and ``m`` cases contributes
``log L = sum_cases eta_i - log e_m(r)`` with ``r_i = exp(eta_i)`` and ``e_m``
the elementary symmetric polynomial of degree ``m``: the sum over all subsets
of ``m`` rows of ``prod r``. Its gradient in ``eta`` is the inclusion
probability ``pi_i = P(i is a case | m cases)``, its Hessian the covariance of
the inclusion indicators.

Exact (Gail, Lubin and Rubinstein 1981): ``e_k`` of the first ``j`` rows by the
recursion ``F(k, j) = F(k, j - 1) + r_j F(k - 1, j - 1)``, held in logs; the
mean of ``T = sum_{i in S} x_i`` over subsets of size ``k`` of the first ``j``
rows obeys ``D(k, j) = (1 - rho) D(k, j - 1) + rho (D(k - 1, j - 1) + x_j)``
with ``rho = r_j F(k - 1, j - 1) / F(k, j)`` in ``[0, 1]``: convex
combinations, no cancellation, no overflow. The same recursion run backwards
over the rows gives, for each row ``i``, the subsets of the other rows, hence
``pi_i`` and ``E[T | i in S]``; the information is
``sum_i pi_i x_i (E[T | i in S] - E[T])^T``. All of it costs
``O(n min(m, n - m) p)`` per stratum (a stratum with more cases than controls
is computed with the roles swapped: ``e_m(r) = prod(r) e_{n-m}(1 / r)``).

Efron and Breslow replace ``e_m`` by ``prod_{k<m} (sum_controls r +
(1 - f_k) sum_cases r)`` with ``f_k = k / m`` (Efron) or ``0`` (Breslow): sums
over rows, no recursion.

These are NumPy kernels (``reduceat`` over the contiguous strata, batched
products over sets of one shape): the family takes NumPy, pandas, polars and
Dask data with NumPy chunks, not device arrays.

Every method yields, per row, ``pi_i`` and ``h_i`` with score
``sum_i w (c_i - pi_i) x_i`` and information ``sum_i w x_i h_i^T`` (``h_i``
the row's share of the Hessian in ``eta`` times ``X``), on ``X`` centred
within each stratum (the conditional likelihood does not change when a
stratum's rows are shifted alike; centring keeps the information free of
cancellation).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ...kernels.block import Block
from ...kernels.ops import _float64

METHODS = ("exact", "efron", "breslow")


class Strata(NamedTuple):
    """The strata of one block: start row, rows, cases, weight, informative."""

    starts: np.ndarray
    sizes: np.ndarray
    cases: np.ndarray
    weights: np.ndarray  # one per stratum (1 without weights)
    index: np.ndarray  # stratum of every row, 0..S-1
    informative: np.ndarray  # 0 < cases < sizes


class Parts(NamedTuple):
    """What every method computes for a block (see the module's conventions)."""

    loglik: float
    X: np.ndarray  # the block centred within strata, float64
    case: np.ndarray  # 0/1 case indicator
    pi: np.ndarray  # per row; c_i on rows of uninformative strata
    H: np.ndarray  # (m, p) per-row Hessian rows h_i (0 on uninformative strata)
    weights: np.ndarray  # per row: the stratum's weight, 0 if uninformative
    trace: float  # weighted trace of the Hessian in eta (the step cap's scale)
    strata: Strata


def strata_of(block: Block) -> Strata:
    codes = np.asarray(block.segments)
    n = codes.shape[0]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, n])
    case = np.asarray(block.y, dtype=np.float64)
    cases = np.add.reduceat(case, starts) if n else np.zeros(0)
    weights = (
        np.ones(starts.size)
        if block.weights is None
        else np.asarray(block.weights, dtype=np.float64)[starts]
    )
    index = np.repeat(np.arange(starts.size), sizes)
    informative = (cases > 0) & (cases < sizes)
    return Strata(starts, sizes, cases, weights, index, informative)


def _eta(block: Block, X: np.ndarray, beta) -> np.ndarray:
    eta = X @ np.asarray(beta, dtype=np.float64)
    if block.offset is not None:
        eta = eta + block.offset
    return eta


def _centred(X: np.ndarray, strata: Strata) -> np.ndarray:
    means = np.add.reduceat(X, strata.starts, axis=0) / strata.sizes[:, None]
    return X - means[strata.index]


def stratum_parts(block: Block, beta, method: str, derivatives: bool = True) -> Parts:
    """Log-likelihood and per-row pieces of the block's strata under ``method``."""
    strata = strata_of(block)
    X = _float64(np, block.X)
    case = np.asarray(block.y, dtype=np.float64)
    m, p = X.shape
    eta = _eta(block, X, beta)
    Xc = _centred(X, strata) if m else X
    row_weight = np.where(strata.informative, strata.weights, 0.0)[strata.index]
    pi, H = case.copy(), np.zeros((m, p))
    if method == "exact":
        loglik, trace = _exact(eta, Xc, case, strata, pi, H, derivatives)
    else:
        loglik, trace = _approximate(eta, Xc, case, strata, pi, H, method)
    return Parts(loglik, Xc, case, pi, H, row_weight, trace, strata)


# -- Efron and Breslow ---------------------------------------------------------
def _approximate(eta, X, case, strata: Strata, pi, H, method: str):
    """Efron's or Breslow's likelihood of every informative stratum at once."""
    keep = strata.informative
    if not keep.any():
        return 0.0, 0.0
    starts, index = strata.starts, strata.index
    shift = np.maximum.reduceat(eta, starts)[index]
    r = np.exp(eta - shift)
    d = strata.cases
    control_r = np.add.reduceat(r * (1 - case), starts)
    case_r = np.add.reduceat(r * case, starts)
    k = np.arange(int(d.max()))[None, :]
    valid = k < d[:, None]
    f = k / np.maximum(d, 1.0)[:, None] if method == "efron" else 0.0 * k
    f = np.where(valid, f, 0.0)
    D = control_r[:, None] + (1.0 - f) * case_r[:, None]  # (S, max d)
    inv = np.where(valid & keep[:, None], 1.0 / D, 0.0)
    log_d = np.where(valid & keep[:, None], np.log(D), 0.0)
    ll_s = np.add.reduceat(case * (eta - shift), starts) - log_d.sum(axis=1)
    loglik = float(np.sum(np.where(keep, strata.weights * ll_s, 0.0)))
    one, frac = inv.sum(1), ((1 - f) * inv).sum(1)
    q0, q1, q2 = (
        (inv**2).sum(1),
        ((1 - f) * inv**2).sum(1),
        ((1 - f) ** 2 * inv**2).sum(1),
    )
    is_case = case > 0
    omega = r * np.where(is_case, frac[index], one[index])
    B1 = np.add.reduceat((r * (1 - case))[:, None] * X, starts, axis=0)
    C1 = np.add.reduceat((r * case)[:, None] * X, starts, axis=0)
    # sum_k a_ik u_k / D_k with u_k = (B1 + (1 - f_k) C1) / D_k, a_ik = 1 for a
    # control and 1 - f_k for a case
    control_pull = B1 * q0[:, None] + C1 * q1[:, None]
    case_pull = B1 * q1[:, None] + C1 * q2[:, None]
    pull = np.where(is_case[:, None], case_pull[index], control_pull[index])
    rows = keep[index]
    pi[rows] = omega[rows]
    H[rows] = (omega[:, None] * X - r[:, None] * pull)[rows]
    diagonal = omega - r**2 * np.where(is_case, q2[index], q0[index])
    weight = strata.weights[index]
    return loglik, float(np.sum(np.where(rows, weight * diagonal, 0.0)))


# -- exact: the recursion ------------------------------------------------------
def _forward(eta: np.ndarray, X: np.ndarray | None, k: int):
    """``log e_a`` of the first ``j`` rows, ``a = 0..k``, ``j = 0..n``, and the
    mean ``D`` of ``T`` over those subsets (if ``X`` is given).

    ``eta`` is ``(S, n)``, ``X`` ``(S, n, p)``; returns ``(S, n + 1, k + 1)``
    and ``(S, n + 1, k + 1, p)``.
    """
    S, n = eta.shape
    logF = np.full((S, n + 1, k + 1), -np.inf)
    logF[:, :, 0] = 0.0
    D = None if X is None else np.zeros((S, n + 1, k + 1, X.shape[2]))
    for j in range(1, n + 1):
        before = logF[:, j - 1]
        take = eta[:, j - 1, None] + before[:, :-1]
        new = np.logaddexp(before[:, 1:], take)
        logF[:, j, 1:] = new
        if D is None:
            continue
        ok = np.isfinite(new)
        safe = np.where(ok, new, 0.0)
        rho = np.where(ok, np.exp(take - safe), 0.0)[..., None]
        stay = np.where(ok, np.exp(before[:, 1:] - safe), 0.0)[..., None]
        D[:, j, 1:] = stay * D[:, j - 1, 1:] + rho * (
            D[:, j - 1, :-1] + X[:, j - 1, None, :]
        )
    return logF, D


def _exact(eta, X, case, strata: Strata, pi, H, derivatives: bool):
    """The exact conditional likelihood, strata grouped by (rows, subset size)."""
    sizes, cases = strata.sizes, strata.cases.astype(np.int64)
    flip = cases > sizes - cases
    small = np.where(flip, sizes - cases, cases)
    keys = np.where(strata.informative, sizes * (sizes.max() + 1) + small, -1)
    loglik = trace = 0.0
    for key in np.unique(keys[keys >= 0]):
        chosen = np.flatnonzero(keys == key)
        n, k = int(sizes[chosen[0]]), int(small[chosen[0]])
        rows = strata.starts[chosen][:, None] + np.arange(n)
        sign = np.where(flip[chosen], -1.0, 1.0)[:, None]
        e = sign * eta[rows]
        e = e - e.max(axis=1, keepdims=True)
        c = np.where(sign < 0, 1.0 - case[rows], case[rows])
        w = strata.weights[chosen]
        logF, DF = _forward(e, sign[..., None] * X[rows] if derivatives else None, k)
        log_total = logF[:, n, k]
        loglik += float(w @ (np.sum(c * e, axis=1) - log_total))
        if not derivatives:
            continue
        p_set, h = _inclusion(e, sign[..., None] * X[rows], logF, DF, k)
        # back to the cases' frame: P(case) = 1 - P(control) when flipped
        pi[rows] = np.where(sign < 0, 1.0 - p_set, p_set)
        H[rows] = sign[..., None] * h
        trace += float(w @ np.sum(p_set * (1.0 - p_set), axis=1))
    return loglik, trace


def _inclusion(e, x, logF, DF, k: int):
    """``pi_i`` and ``h_i = pi_i (E[T | i in S] - E[T])`` of every row.

    Row ``i``'s other ``k - 1`` members are ``a`` rows before it and
    ``k - 1 - a`` after it; the backward recursion gives the latter.
    """
    n = e.shape[1]
    logG, DG = _forward(e[:, ::-1], x[:, ::-1], k)
    before = logF[:, :n, :k]  # (S, n, k): a = 0..k-1 rows among rows < i
    after = logG[:, n - 1 :: -1, k - 1 :: -1]  # k - 1 - a rows among rows > i
    terms = before + after
    top = terms.max(axis=2, keepdims=True)
    share = np.exp(terms - top)
    log_others = top[..., 0] + np.log(share.sum(axis=2))
    share /= share.sum(axis=2, keepdims=True)
    log_total = logF[:, n, k]
    p_set = np.exp(e + log_others - log_total[:, None])
    others = np.einsum(
        "sia,siap->sip", share, DF[:, :n, :k] + DG[:, n - 1 :: -1, k - 1 :: -1]
    )
    mean_total = DF[:, n, k]  # E[T], (S, p)
    h = p_set[..., None] * (x + others - mean_total[:, None, :])
    return p_set, h


# -- the kernels ---------------------------------------------------------------
def conditional_loglik(xp, block: Block, beta, method: str):
    """The conditional log-likelihood of the block (the line search's pass)."""
    return (stratum_parts(block, beta, method, derivatives=False).loglik,)


def conditional_sums(xp, block: Block, beta, method: str):
    """Log-likelihood, score, information and the trace of the Hessian in eta."""
    parts = stratum_parts(block, beta, method)
    w = parts.weights
    score = parts.X.T @ (w * (parts.case - parts.pi))
    info = parts.X.T @ (w[:, None] * parts.H)
    return parts.loglik, score, (info + info.T) / 2, parts.trace


def score_rows(parts: Parts) -> np.ndarray:
    """Each row's share of the score, ``c_i (x_i - u) - h_i`` with ``u`` the
    stratum's ``E[T] / m``: survival's score residuals for Breslow and Efron
    (their sum over a stratum is its score)."""
    s = parts.strata
    mean = np.add.reduceat(parts.pi[:, None] * parts.X, s.starts, axis=0)
    u = mean / np.maximum(s.cases, 1.0)[:, None]
    rows = parts.case[:, None] * (parts.X - u[s.index]) - parts.H
    return np.where(s.informative[s.index][:, None], rows, 0.0)


def robust_meat(xp, block: Block, beta, fit_intercept, bread, power, method="exact"):
    """``sum_i w_i s_i s_i^T`` over the rows' score shares (HC0)."""
    parts = stratum_parts(block, beta, method)
    rows = score_rows(parts)
    return ((parts.weights[:, None] * rows).T @ rows,)


def cluster_scores(xp, block: Block, beta, fit_intercept, n_groups, method="exact"):
    """Per-cluster sums of the rows' (weighted) score shares, ``(G, k)``."""
    parts = stratum_parts(block, beta, method)
    rows = parts.weights[:, None] * score_rows(parts)
    out = np.zeros((n_groups, rows.shape[1]))
    np.add.at(out, np.asarray(block.groups), rows)
    return (out,)


def inclusion_probabilities(block: Block, beta) -> np.ndarray:
    """``P(row i is a case | its stratum has its number of cases)``, exactly."""
    parts = stratum_parts(block, beta, "exact")
    return parts.pi
