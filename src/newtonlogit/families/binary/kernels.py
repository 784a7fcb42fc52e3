"""The binary (binomial) family's sums over one row block.

See :mod:`newtonlogit.kernels.block` for the conventions every kernel follows.
Here ``y`` holds successes (0/1 for binary rows) and ``trials`` the number of
trials per row. The log-likelihood of row ``i`` (without the constant
``log C(n_i, y_i)``) is

    w_i [ y_i eta_i - n_i log(1 + exp(eta_i)) ]

its gradient ``w_i (y_i - n_i p_i) x_i`` and its negative Hessian
``w_i n_i p_i (1 - p_i) x_i x_i^T`` with ``p_i = expit(eta_i)``.
"""

from __future__ import annotations

import numpy as np

from ...kernels.block import (
    Block,
    _device,
    _weighted,
    exp_neg_abs,
    expit,
    linear_predictor,
    log1pexp,
    quadratic_form,
    response_only,
    segment_sums,
    streaming,
)
from ...kernels.ops import _float64, block_ops

# |eta| beyond which a fitted probability counts as certain: p (1 - p) < 3e-7.
SATURATED_ETA = 15.0


def _row_loglik(xp, block: Block, eta, e=None):
    """Per-row log-likelihood terms (before weights); ``e = exp(-|eta|)``."""
    n_log = log1pexp(xp, eta) if e is None else xp.maximum(eta, 0.0) + xp.log1p(e)
    if block.trials is not None:
        n_log = block.trials * n_log
    return block.y * eta - n_log


@streaming
def loglik(xp, block: Block, beta, fit_intercept: bool):
    """Log-likelihood of the block only: the cheap pass used by line searches."""
    eta = linear_predictor(xp, block, beta, fit_intercept)
    return (xp.sum(_weighted(_row_loglik(xp, block, eta), block.weights)),)


def _first_order(xp, block: Block, X, beta, fit_intercept: bool):
    """The O(m) part of a pass: ``(loglik, resid, v, p, saturated)``.

    ``X`` is the block's float64 view (``as_float64``). ``resid = w (y - n p)``
    are the score's row weights and ``v = w n p (1 - p)`` the IRLS weights.
    ``p (1 - p)`` is computed as ``e / (1 + e)^2`` with ``e = exp(-|eta|)``,
    which has no cancellation when ``p`` is close to 0 or 1.
    """
    eta = linear_predictor(xp, block, beta, fit_intercept, X)
    e = exp_neg_abs(xp, eta)
    q = 1.0 / (1.0 + e)
    p = xp.where(eta >= 0, q, e * q)
    v = e * q * q
    mean = p if block.trials is None else block.trials * p
    if block.trials is not None:
        v = block.trials * v
    resid = _weighted(block.y - mean, block.weights)
    v = _weighted(v, block.weights)
    ll = xp.sum(_weighted(_row_loglik(xp, block, eta, e), block.weights))
    return ll, resid, v, p, _saturated(xp, block, eta)


# The square root of the IRLS weight a row with positive case weight gets at
# least in the Gram of a Newton pass, so that ``r / s`` and ``c / s`` stay
# finite (``v`` underflows to 0 for ``|eta|`` beyond 745). Such a row then adds
# 1e-200 x x^T to the information instead of less: below its round-off. A row
# of case weight c gets c times that, so that scaling all weights scales the
# information and nothing else.
ROOT_WEIGHT_FLOOR = 1e-100


def newton_sums(xp, block: Block, beta, fit_intercept: bool):
    """Everything one Newton step needs from the block, in one pass.

    Returns
    -------
    loglik : scalar
        Weighted log-likelihood (without the binomial constant).
    score : (k,)
        Gradient of the log-likelihood, ``X^T (w (y - n p))``.
    info : (k, k)
        Fisher information ``X^T V X`` with ``v = w n p (1 - p)``.
    weight_sum : scalar
        ``sum(v)``, the total IRLS weight; the solver's step cap uses it.
    saturated : scalar
        Weighted number of trials on rows fitted as (numerically) certain and
        right: every trial a success and ``eta > SATURATED_ETA``, or every
        trial a failure and ``eta < -SATURATED_ETA``. Rows running off this way
        are the sign of separation (see :mod:`newtonlogit.families.binary.separation`).
    margin_parts : (2 + 2 k,)
        The sums behind average and at-the-mean marginal effects, with the
        case weights ``c = w n`` and ``f = p (1 - p)`` (so ``sum c f`` is
        ``weight_sum``): ``sum c``, ``sum c offset``, ``sum c f (1 - 2 p) x``
        and ``sum c x`` (``x`` with the intercept's 1 first, where there is
        one). A fit's last pass gives its marginal effects this way.

    Notes
    -----
    All ``O(m p)`` work is one Gram (:func:`generic_gram`, or the faster hook
    registered for ``X``'s type), with block-sized temporaries: that of
    ``Z = s [1, X]``, ``s = sqrt(v)``, bordered by three columns ``r / s``,
    ``s (1 - 2 p)`` and ``c / s`` (``c = w n``, the case weights). Their
    products with ``Z`` are the score ``X^T r``, ``X^T (v (1 - 2 p))`` and
    ``X^T c``: reading ``X`` once for all of them is cheaper than the
    matrix-vector products (measured at 1,000,000 x 100: a pass 0.46 s -> 0.40 s,
    and no separate pass for the marginal effects).
    """
    ops = block_ops(block.X)
    X = ops.as_float64(xp, block.X)  # cast once (float32 blocks) for all products
    ll, resid, v, p, saturated = _first_order(xp, block, X, beta, fit_intercept)
    c = _case_weights(xp, block)
    s = xp.maximum(xp.sqrt(v), ROOT_WEIGHT_FLOOR)
    if c is None:  # every row one trial: c / s = 1 / s
        inverse = 1.0 / s
        extra = (resid * inverse, s * (1.0 - 2.0 * p), inverse)
    else:  # rows without trials or weight keep s = 0 (and have r = c = 0);
        # the floor scales with the case weight, as v does: ``sqrt(c)`` times
        s = xp.where(c > 0, xp.maximum(xp.sqrt(v), ROOT_WEIGHT_FLOOR * xp.sqrt(c)), 0.0)
        inverse = 1.0 / xp.where(s > 0, s, 1.0)
        extra = (resid * inverse, s * (1.0 - 2.0 * p), c * inverse)
    info, cross = ops.gram(xp, X, s, fit_intercept, extra)
    parts = _margin_parts(xp, block, c, cross[:, 1], cross[:, 2])
    return ll, cross[:, 0], info, xp.sum(v), saturated, parts


@streaming
def score_sums(xp, block: Block, beta, fit_intercept: bool):
    """:func:`newton_sums` without the information, ``(loglik, score,
    weight_sum, saturated)``: an ``O(m p)`` pass, for a step whose
    information comes from elsewhere (:mod:`newtonlogit.solver.warmstart`)."""
    X = block_ops(block.X).as_float64(xp, block.X)
    ll, resid, v, _, saturated = _first_order(xp, block, X, beta, fit_intercept)
    return ll, _score(xp, X, resid, fit_intercept), xp.sum(v), saturated


def steering_sums(xp, block: Block, beta, fit_intercept: bool):
    """``(loglik, score, info, weight_sum, saturated)`` as :func:`newton_sums`
    has them, the information from the block storage's ``steering_gram``
    (float32 products for NumPy and CuPy arrays: about half the time of the
    float64 Gram), the value and score in float64: a pass whose information
    only steers the next steps (``derivatives="steer"``)."""
    ops = block_ops(block.X)
    X = ops.as_float64(xp, block.X)
    ll, resid, v, _, saturated = _first_order(xp, block, X, beta, fit_intercept)
    gram = ops.steering_gram or ops.gram
    info, _ = gram(xp, X, xp.sqrt(v), fit_intercept)
    return ll, _score(xp, X, resid, fit_intercept), info, xp.sum(v), saturated


def _score(xp, X, resid, fit_intercept: bool):
    """``[1, X]^T resid`` (``X^T resid`` without an intercept)."""
    score = resid @ X
    if fit_intercept:
        score = xp.concat([xp.reshape(xp.sum(resid), (1,)), score])
    return score


def _case_weights(xp, block: Block):
    """``w n``: how many Bernoulli trials each row stands for."""
    c = block.trials
    if block.weights is not None:
        c = block.weights if c is None else block.weights * c
    return c


@streaming
@response_only
def null_sums(xp, block: Block, beta):
    """Intercept-only model ``eta = b0 + offset``: value, score and information.

    Never touches ``X``; the pass costs O(m). ``beta`` has shape ``(1,)``.
    """
    eta = xp.zeros_like(block.y) + float(beta[0])
    if block.offset is not None:
        eta = eta + block.offset
    e = exp_neg_abs(xp, eta)
    p = xp.where(eta >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    v = e / ((1.0 + e) * (1.0 + e))
    mean = p if block.trials is None else block.trials * p
    if block.trials is not None:
        v = block.trials * v
    resid = xp.sum(_weighted(block.y - mean, block.weights))
    v = xp.sum(_weighted(v, block.weights))
    ll = xp.sum(_weighted(_row_loglik(xp, block, eta), block.weights))
    return ll, xp.reshape(resid, (1,)), xp.reshape(v, (1, 1)), v


@response_only
def saturated_loglik(xp, block: Block):
    """Log-likelihood of the saturated model, ``p_i = y_i / n_i``.

    Zero for binary rows; for grouped counts
    ``sum w [y log(y / n) + (n - y) log(1 - y / n)]`` (without the binomial
    constant, like :func:`loglik`).
    """
    if block.trials is None:
        return (xp.sum(xp.zeros_like(block.y)),)
    n, y = block.trials, block.y
    safe_n = xp.where(n > 0, n, 1.0)
    prop = y / safe_n
    terms = y * xp.log(xp.where(y > 0, prop, 1.0)) + (n - y) * xp.log(
        xp.where(n - y > 0, 1.0 - prop, 1.0)
    )
    return (xp.sum(_weighted(terms, block.weights)),)


def leverages(xp, block: Block, beta, fit_intercept: bool, bread):
    """GLM hat values ``h_i = v_i x_i' (X'VX)^-1 x_i``, ``v_i = n_i p_i (1 - p_i)``.

    Per row of the block (not a sum); the frequency weight of a row is left
    out, so that a weighted row has the leverage of each of its copies.
    """
    eta = linear_predictor(xp, block, beta, fit_intercept)
    e = exp_neg_abs(xp, eta)
    v = e / ((1.0 + e) * (1.0 + e))
    if block.trials is not None:
        v = block.trials * v
    return v * quadratic_form(xp, block.X, bread, fit_intercept)


def robust_meat(xp, block: Block, beta, fit_intercept: bool, bread, power: int):
    """The "meat" ``sum_i w_i r_i^2 / (1 - h_i)^power x_i x_i'`` of a sandwich.

    ``r_i = y_i - n_i p_i``; ``power`` 0 gives HC0/HC1, 1 HC2 and 2 HC3 (the
    leverages ``h_i`` are only computed when ``power > 0``). Frequency weights
    enter once: a weighted row counts as that many identical rows.
    """
    eta = linear_predictor(xp, block, beta, fit_intercept)
    p = expit(xp, eta)
    mean = p if block.trials is None else block.trials * p
    c = _weighted((block.y - mean) ** 2, block.weights)
    if power:
        h = leverages(xp, block, beta, fit_intercept, bread)
        c = c / (1.0 - h) ** power
    # The same weighted Gram as the information (sqrt(c) [1, X] squared), so
    # the backend's fast or sparse Gram serves the sandwich too.
    meat, _ = block_ops(block.X).gram(xp, block.X, xp.sqrt(c), fit_intercept)
    return (meat,)


def cluster_scores(xp, block: Block, beta, fit_intercept: bool, n_groups: int):
    """Per-cluster score sums ``s_g = sum_{i in g} w_i r_i x_i``, shape (G, k).

    ``block.groups`` holds the integer cluster code of every row. Blocks add
    up, so clusters may span blocks.
    """
    X = _float64(xp, block.X)
    eta = linear_predictor(xp, block, beta, fit_intercept, X)
    p = expit(xp, eta)
    mean = p if block.trials is None else block.trials * p
    resid = _weighted(block.y - mean, block.weights)
    if block.groups is None:
        raise ValueError("cluster_scores needs the blocks' cluster codes (groups)")
    scores = resid[:, None] * X
    if fit_intercept:
        scores = xp.concat([resid[:, None], scores], axis=1)
    return (segment_sums(xp, block.groups, scores, n_groups),)


def _margin_parts(xp, block: Block, c, gx, cx):
    """:func:`newton_sums`' ``margin_parts`` from ``gx`` and ``cx`` (``c = None``:
    one trial a row)."""
    if c is None:
        c = xp.ones_like(block.y)
    offset = 0.0 if block.offset is None else block.offset
    totals = xp.stack([xp.sum(c), xp.sum(c * offset)])
    return xp.concat([totals, gx, cx])


def _saturated(xp, block: Block, eta):
    """Weighted trials on rows fitted as certain, and rightly so."""
    if eta.shape[0] == 0 or not float(xp.max(xp.abs(eta))) > SATURATED_ETA:
        # (no row is: one reduction instead of the nine below, a third of a
        # score pass's elementwise work on 2,600-row blocks)
        return xp.zeros((), dtype=xp.float64, device=_device(eta))
    trials = 1.0 if block.trials is None else block.trials
    certain = ((block.y >= trials) & (eta > SATURATED_ETA)) | (
        (block.y <= 0) & (eta < -SATURATED_ETA)
    )
    n = xp.astype(certain, xp.float64)
    if block.trials is not None:
        n = n * block.trials
    return xp.sum(_weighted(n, block.weights))


def hat_values(xp, block: Block, beta, fit_intercept: bool, inv_info):
    """``(p, h)`` for the block: fitted probabilities and the hat values
    ``h_i = v_i x_i^T (X^T V X)^{-1} x_i`` (``v = w n p (1 - p)``).

    ``inv_info`` is ``(X^T V X)^{-1}`` over all rows, in the order of ``beta``
    (zero rows and columns for coefficients left out). The hat values are the
    diagonal of ``V^{1/2} X I^{-1} X^T V^{1/2}``, computed row by row from
    ``X_block I^{-1}`` (a block-sized temporary): never the ``n x n`` matrix.
    """
    X = _float64(xp, block.X)
    eta = linear_predictor(xp, block, beta, fit_intercept)
    e = exp_neg_abs(xp, eta)
    p = xp.where(eta >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    v = e / ((1.0 + e) * (1.0 + e))
    if block.trials is not None:
        v = block.trials * v
    v = _weighted(v, block.weights)
    A = xp.asarray(inv_info, dtype=xp.float64, device=_device(X))
    if fit_intercept:
        quad = xp.sum((X @ A[1:, 1:]) * X, axis=1) + 2.0 * (X @ A[1:, 0]) + A[0, 0]
    else:
        quad = xp.sum((X @ A) * X, axis=1)
    return p, v * quad


def flac_pseudo_sums(
    xp, block: Block, beta_aug, firth_beta, fit_intercept: bool, inv_info
):
    """:func:`newton_sums` of FLAC's pseudo-observations of the block.

    Each row ``i`` stands for two pseudo-rows with its ``x_i`` and offset, one
    event and one non-event, each of weight ``h_i / 2`` (the Firth hat value,
    recomputed here from ``firth_beta`` and ``inv_info``): one grouped row with
    1 success in 2 trials and weight ``h_i / 2``. ``beta_aug`` always has an
    intercept slot first, holding the model's intercept (if any) plus the
    coefficient of the pseudo-observation indicator.
    """
    _, h = hat_values(xp, block, firth_beta, fit_intercept, inv_info)
    ones = xp.ones_like(h)
    pseudo = Block(block.X, ones, 2.0 * ones, 0.5 * h, block.offset)
    return newton_sums(xp, pseudo, beta_aug, True)


def firth_sums(xp, block: Block, beta, fit_intercept: bool, root):
    """The gradient and curvature of Firth's penalty ``1/2 log|I|`` from the block.

    Parameters
    ----------
    root : (c, k) float64
        ``L^{-1}`` of the Cholesky factor ``I = L L^T`` of the information over
        the ``c`` coefficients in the model, with zero columns for the others:
        ``z_i = root x_i`` has ``q_il = x_i^T I^{-1} x_l = z_i^T z_l``.

    Returns
    -------
    adjustment : (k,)
        ``sum_i h_i (1/2 - p_i) x_i`` with hat values ``h_i = v_i |z_i|^2``.
    diagonal : (k, k)
        ``sum_i h_i (3 p_i (1 - p_i) - 1/2) x_i x_i^T``.
    cross : (c (c + 1) / 2, k)
        ``sum_i a_i (z_i z_i^T) x_i^T`` with ``a_i = v_i (1/2 - p_i)``, the
        symmetric ``z_i z_i^T`` stored as its upper triangle (off-diagonal
        entries times sqrt(2)).

    Notes
    -----
    The negative Hessian of ``1/2 log|I|`` is
    ``diagonal + 2 sum_{i,l} a_i a_l q_il^2 x_i x_l^T``, and
    ``q_il^2 = (z_i (x) z_i)^T (z_l (x) z_l)`` makes the double sum
    ``2 C^T C`` with ``C = cross``: sums over single rows only,
    ``O(m c^2 k / 2)`` per block, never an ``n x n`` matrix.
    """
    X = _float64(xp, block.X)
    if fit_intercept:
        ones = xp.ones((X.shape[0], 1), dtype=xp.float64, device=_device(X))
        X = xp.concat([ones, X], axis=1)
    eta = linear_predictor(xp, block, beta, fit_intercept)
    e = exp_neg_abs(xp, eta)
    p = xp.where(eta >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    pq = e / ((1.0 + e) * (1.0 + e))
    v = pq if block.trials is None else block.trials * pq
    v = _weighted(v, block.weights)
    Z = X @ xp.asarray(root, dtype=xp.float64, device=_device(X)).T
    h = v * xp.sum(Z * Z, axis=1)
    adjustment = (h * (0.5 - p)) @ X
    d = h * (3.0 * pq - 0.5)
    diagonal = (X * d[:, None]).T @ X
    aX = X * (v * (0.5 - p))[:, None]
    return adjustment, diagonal, _kron_rows_gram(xp, Z, aX)


def _kron_rows_gram(xp, Z, aX):
    """``C = sum_i u_i ax_i^T`` with ``u_i`` the entries ``z_ia z_ib`` (a <= b)
    of ``z_i z_i^T``, off-diagonal ones times sqrt(2), so that ``C^T C`` is the
    sum over all pairs (a, b). One GEMM per chunk of rows, the chunk sized so
    that its ``chunk x c(c+1)/2`` temporary stays about 8 MB."""
    m, c = Z.shape
    first, second = np.triu_indices(c)
    scale = xp.asarray(np.where(first == second, 1.0, np.sqrt(2.0)), device=_device(Z))
    first = xp.asarray(first, device=_device(Z))
    second = xp.asarray(second, device=_device(Z))
    chunk = max(1, (1 << 20) // max(scale.shape[0], 1))
    total = xp.zeros((scale.shape[0], aX.shape[1]), dtype=xp.float64, device=_device(Z))
    for start in range(0, m, chunk):
        rows = slice(start, min(start + chunk, m))
        Zc = Z[rows, :]
        pairs = xp.take(Zc, first, axis=1) * xp.take(Zc, second, axis=1) * scale
        total = total + pairs.T @ aX[rows, :]
    return total
