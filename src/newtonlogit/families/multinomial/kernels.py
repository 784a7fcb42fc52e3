"""The math of one row block, multinomial (K classes): see :mod:`._kernels`.

Kernels here follow the conventions of :mod:`newtonlogit.kernels` (pure
functions of one row block and the coefficients, written against the array
namespace ``xp``, returning float64 sums) and add their own below.

Conventions (multinomial)
-------------------------
- ``y`` holds class codes 0..K-1 as float64; code 0 is the base (reference)
  class, whose linear predictor is fixed at 0.
- ``beta`` has shape ``((K - 1) * k,)``, **class-major**: entries
  ``j * k:(j + 1) * k`` are the coefficients of non-base class ``j + 1``, each
  block intercept first (as in the binary kernels) when ``fit_intercept``.
- ``offset`` is ``(m,)`` (added to every non-base linear predictor) or
  ``(m, K - 1)``.

With ``eta_i0 = 0``, ``p_ij = exp(eta_ij) / sum_l exp(eta_il)`` and one-hot
``y_ij``, row ``i`` contributes ``w_i [ sum_j y_ij eta_ij - log sum_l exp(eta_il) ]``
to the log-likelihood, ``w_i (y_ij - p_ij) x_i`` to the score of class ``j`` and
``w_i (p_ij [j = l] - p_ij p_il) x_i x_i^T`` to the information block ``(j, l)``.
"""

from __future__ import annotations

from ...kernels.block import Block, _device, _weighted, streaming
from ...kernels.ops import _float64


def multinomial_eta(xp, block: Block, beta, fit_intercept: bool, n_classes: int):
    """Linear predictors of the non-base classes, float64, shape ``(m, K - 1)``."""
    return xp.permute_dims(_eta_t(xp, block, beta, fit_intercept, n_classes), (1, 0))


def _eta_t(xp, block: Block, beta, fit_intercept: bool, n_classes: int, XT=None):
    """Linear predictors transposed, ``(K - 1, m)``.

    ``XT``, if given, is the block from :func:`_design_t` (``(k, m)``, with its
    intercept row); otherwise ``block.X`` is used as it is.
    """
    like = block.X if XT is None else XT
    B = xp.reshape(
        xp.asarray(beta, dtype=xp.float64, device=_device(like)), (n_classes - 1, -1)
    )
    if XT is not None:
        eta = B @ XT
    else:
        coef = B[:, 1:] if fit_intercept else B
        eta = coef @ xp.permute_dims(_float64(xp, block.X), (1, 0))
        if fit_intercept:
            eta = eta + B[:, 0:1]
    if block.offset is not None:
        off = block.offset
        eta = eta + (off[None, :] if off.ndim == 1 else xp.permute_dims(off, (1, 0)))
    return eta


def _design_t(xp, X, fit_intercept: bool):
    """The block transposed, ``(k, m)``, C-ordered, intercept row first.

    A block-sized copy: with the rows along the last, contiguous axis, the
    elementwise products below run over long contiguous rows instead of
    ``k``-long ones, which is several times faster for small ``k``.
    """
    k = X.shape[1] + int(fit_intercept)
    XT = xp.empty((k, X.shape[0]), dtype=xp.float64, device=_device(X))
    if fit_intercept:
        XT[0, :] = 1.0
    XT[int(fit_intercept) :, :] = xp.permute_dims(X, (1, 0))
    return XT  # filled in place: concat would keep a transposed input's order


def _softmax_parts(xp, eta_t):
    """Stable pieces of the softmax with a zero base class, from ``(K - 1, m)``.

    Returns ``E = exp(eta - M)``, ``e0 = exp(-M)``, ``S = e0 + sum_j E_j`` and
    ``log Z = M + log S`` with ``M = max(0, max_j eta_j)`` per row, so that no
    exponential overflows and ``S >= 1``.
    """
    M = xp.maximum(xp.max(eta_t, axis=0), 0.0)
    E = xp.exp(eta_t - M[None, :])
    e0 = xp.exp(-M)
    S = e0 + xp.sum(E, axis=0)
    return E, e0, S, M + xp.log(S)


def softmax_with_base(xp, eta):
    """Class probabilities ``(m, K)``, base class first, from ``eta (m, K - 1)``."""
    E, e0, S, _ = _softmax_parts(xp, xp.permute_dims(eta, (1, 0)))
    P = xp.concat([e0[None, :], E], axis=0) / S[None, :]
    return xp.permute_dims(P, (1, 0))


def _one_hot_t(xp, y, n_classes: int, like):
    """``(K - 1, m)`` indicators of the non-base classes."""
    codes = xp.arange(1, n_classes, dtype=xp.float64, device=_device(like))
    return xp.astype(codes[:, None] == y[None, :], xp.float64)


@streaming
def multinomial_loglik(xp, block: Block, beta, fit_intercept: bool, n_classes: int):
    """Multinomial log-likelihood of the block only (the line search's pass)."""
    eta = _eta_t(xp, block, beta, fit_intercept, n_classes)
    *_, log_z = _softmax_parts(xp, eta)
    Y = _one_hot_t(xp, block.y, n_classes, eta)
    return (xp.sum(_weighted(xp.sum(Y * eta, axis=0) - log_z, block.weights)),)


@streaming
def multinomial_score_sums(xp, block: Block, beta, fit_intercept: bool, n_classes: int):
    """:func:`multinomial_sums` without the information: ``(loglik, score,
    weight_sum)`` from products of ``X`` with ``K - 1`` vectors, for a step
    whose information is held (:mod:`newtonlogit.solver.warmstart`)."""
    X = _float64(xp, block.X)
    K1 = n_classes - 1
    eta = _eta_t(xp, block, beta, fit_intercept, n_classes)  # (K1, m)
    E, e0, S, log_z = _softmax_parts(xp, eta)
    P = E / S[None, :]
    others = xp.ones((K1, K1), dtype=xp.float64, device=_device(X)) - xp.eye(
        K1, dtype=xp.float64, device=_device(X)
    )
    Q = (e0[None, :] + others @ E) / S[None, :]  # 1 - P, without cancellation
    w = block.weights
    Y = _one_hot_t(xp, block.y, n_classes, X)
    ll = xp.sum(_weighted(xp.sum(Y * eta, axis=0) - log_z, w))
    R = Y - P if w is None else w[None, :] * (Y - P)
    V = P * Q if w is None else w[None, :] * (P * Q)
    RX = R @ X  # (K1, p)
    if fit_intercept:
        RX = xp.concat([xp.sum(R, axis=1)[:, None], RX], axis=1)
    return ll, xp.reshape(RX, (-1,)), xp.sum(V)


def multinomial_sums(xp, block: Block, beta, fit_intercept: bool, n_classes: int):
    """Log-likelihood, score and full block information of the block, in one pass.

    Returns
    -------
    loglik : scalar
    score : ((K - 1) * k,)
        Class-major, as ``beta``.
    info : ((K - 1) * k, (K - 1) * k)
        The Fisher information, blocks ``(j, l)`` in class-major order.
    weight_sum : scalar
        ``sum_i w_i sum_j p_ij (1 - p_ij)``, the trace of the IRLS weights; with
        the Newton decrement it gives the RMS change of the linear predictors.

    Notes
    -----
    All ``(K - 1) K / 2`` distinct blocks come out of **one** product: with
    ``G = [sqrt(w) p_1 x~, ..., sqrt(w) p_{K-1} x~]`` (``(K - 1) k`` columns,
    ``x~`` the row with its intercept 1), ``-G^T G`` holds every off-diagonal
    block ``-X~^T diag(w p_j p_l) X~``. The diagonal blocks
    ``X~^T diag(w p_j (1 - p_j)) X~`` are then computed directly (one batched
    product) rather than as ``diag(w p_j) - w p_j^2``, which would cancel when
    ``p_j`` is near 1; ``1 - p_j`` is itself formed as the sum of the other
    classes' probabilities, never by subtraction. Everything is held
    transposed (classes or coefficients by rows), see :func:`_design_t`.
    """
    X = _float64(xp, block.X)
    m, K1 = X.shape[0], n_classes - 1
    XT = _design_t(xp, X, fit_intercept)  # (k, m)
    k = XT.shape[0]
    eta = _eta_t(xp, block, beta, fit_intercept, n_classes, XT)  # (K1, m)
    E, e0, S, log_z = _softmax_parts(xp, eta)
    P = E / S[None, :]
    others = xp.ones((K1, K1), dtype=xp.float64, device=_device(X)) - xp.eye(
        K1, dtype=xp.float64, device=_device(X)
    )
    Q = (e0[None, :] + others @ E) / S[None, :]  # 1 - P, without cancellation
    w = block.weights
    Y = _one_hot_t(xp, block.y, n_classes, X)
    ll = xp.sum(_weighted(xp.sum(Y * eta, axis=0) - log_z, w))
    R = Y - P if w is None else w[None, :] * (Y - P)
    V = P * Q if w is None else w[None, :] * (P * Q)
    sw_p = P if w is None else xp.sqrt(w)[None, :] * P

    score = xp.reshape(R @ xp.permute_dims(XT, (1, 0)), (K1 * k,))
    G = xp.reshape(sw_p[:, None, :] * XT[None, :, :], (K1 * k, m))
    info = -(G @ xp.permute_dims(G, (1, 0)))
    H = xp.sqrt(V)[:, None, :] * XT[None, :, :]  # (K1, k, m)
    diagonal = xp.matmul(H, xp.permute_dims(H, (0, 2, 1)))
    for j in range(K1):
        info[j * k : (j + 1) * k, j * k : (j + 1) * k] = diagonal[j, ...]
    return ll, score, info, xp.sum(V)
