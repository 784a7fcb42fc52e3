"""The math of one row block.

Conventions
-----------
- ``X`` is one row block of the data, shape ``(m, p)``, C- or F-ordered, float32
  or float64. It is never copied whole; a kernel may make block-sized temporaries.
- ``beta`` is the coefficient vector, float64. With ``fit_intercept`` it has
  shape ``(p + 1,)`` and the **intercept comes first**; otherwise ``(p,)``.
  The intercept is never a column of ``X``: kernels add it themselves.
- ``y`` holds successes (0/1 for binary rows), ``trials`` the number of trials
  per row (``None`` means 1), ``weights`` frequency weights (``None`` means 1),
  ``offset`` is added to the linear predictor (``None`` means 0).
- Every kernel returns a tuple of float64 sums over the block's rows. Backends
  add those tuples up over blocks, so a kernel never needs to know how many
  blocks there are or where they live.
- Kernels take the array namespace ``xp`` as their first argument and use only
  array-API functions on the block, so the same code runs on NumPy, CuPy and
  Dask chunks.

The log-likelihood of row ``i`` (without the constant ``log C(n_i, y_i)``) is

    w_i [ y_i eta_i - n_i log(1 + exp(eta_i)) ]

its gradient ``w_i (y_i - n_i p_i) x_i`` and its negative Hessian
``w_i n_i p_i (1 - p_i) x_i x_i^T`` with ``p_i = expit(eta_i)``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

Array = Any


class Block(NamedTuple):
    """One row block of the data; optional parts are ``None`` when trivial."""

    X: Array
    y: Array
    trials: Array | None = None
    weights: Array | None = None
    offset: Array | None = None


def _float64(xp, a):
    return a if a.dtype == xp.float64 else xp.astype(a, xp.float64)


def exp_neg_abs(xp, eta):
    """``exp(-|eta|)``, which never overflows; the building block of the rest."""
    return xp.exp(-xp.abs(eta))


def expit(xp, eta):
    """The logistic function ``1 / (1 + exp(-eta))`` without overflow."""
    e = exp_neg_abs(xp, eta)
    return xp.where(eta >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def log1pexp(xp, eta):
    """``log(1 + exp(eta))`` without overflow or loss of precision."""
    return xp.maximum(eta, 0.0) + xp.log1p(exp_neg_abs(xp, eta))


def linear_predictor(xp, block: Block, beta, fit_intercept: bool):
    """``eta = X b + b0 + offset`` for the block, float64, shape ``(m,)``."""
    X = _float64(xp, block.X)
    coef = beta[1:] if fit_intercept else beta
    eta = X @ xp.asarray(coef, dtype=xp.float64, device=_device(X))
    if fit_intercept:
        eta = eta + float(beta[0])
    if block.offset is not None:
        eta = eta + block.offset
    return eta


def _device(a):
    return getattr(a, "device", None) if not isinstance(a, np.ndarray) else None


def _row_loglik(xp, block: Block, eta):
    """Per-row log-likelihood terms (before weights)."""
    n_log = log1pexp(xp, eta)
    if block.trials is not None:
        n_log = block.trials * n_log
    return block.y * eta - n_log


def _weighted(values, weights):
    return values if weights is None else weights * values


def loglik(xp, block: Block, beta, fit_intercept: bool):
    """Log-likelihood of the block only: the cheap pass used by line searches."""
    eta = linear_predictor(xp, block, beta, fit_intercept)
    return (xp.sum(_weighted(_row_loglik(xp, block, eta), block.weights)),)


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

    Notes
    -----
    ``p (1 - p)`` is computed as ``e / (1 + e)^2`` with ``e = exp(-|eta|)``,
    which has no cancellation when ``p`` is close to 0 or 1. The Gram block
    ``Z^T Z`` with ``Z = sqrt(v) X`` is a block-sized temporary: the only one
    of size ``m x p``.
    """
    X = _float64(xp, block.X)
    eta = linear_predictor(xp, block, beta, fit_intercept)
    e = exp_neg_abs(xp, eta)
    p = xp.where(eta >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
    v = e / ((1.0 + e) * (1.0 + e))
    mean = p if block.trials is None else block.trials * p
    if block.trials is not None:
        v = block.trials * v
    resid = _weighted(block.y - mean, block.weights)
    v = _weighted(v, block.weights)
    ll = xp.sum(_weighted(_row_loglik(xp, block, eta), block.weights))

    Z = X * xp.sqrt(v)[:, None]
    gram = Z.T @ Z
    score_x = resid @ X
    if not fit_intercept:
        return ll, score_x, gram, xp.sum(v)
    vx = v @ X
    k = X.shape[1] + 1
    info = xp.zeros((k, k), dtype=xp.float64, device=_device(X))
    info[0, 0] = xp.sum(v)
    info[0, 1:] = vx
    info[1:, 0] = vx
    info[1:, 1:] = gram
    score = xp.concat([xp.reshape(xp.sum(resid), (1,)), score_x])
    return ll, score, info, xp.sum(v)
