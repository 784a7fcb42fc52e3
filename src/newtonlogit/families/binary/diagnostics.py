"""The binary family's per-row diagnostics, one row block at a time.

See :mod:`newtonlogit.kernels.block` for the conventions. The kernels here
return *per-row* outputs (mapped by ``backend.map_rows``) or sums (mapped by
``backend.map_sum``). Definitions follow R's ``glm`` for a binomial model with
prior weights ``a_i = w_i n_i`` (frequency weight times trials) and observed
proportion ``y_i / n_i``:

- response ``y/n - p``; working ``(y/n - p) / (p (1 - p))``;
- Pearson ``sqrt(a) (y/n - p) / sqrt(p (1 - p))``;
- deviance ``sign(y - n p) sqrt(d)`` with the unit deviance
  ``d = 2 w [y log(y / (n p)) + (n - y) log((n - y) / (n (1 - p)))]``;
- hat value ``h = v x' (X'VX)^{-1} x`` with ``v = a p (1 - p)``;
- dfbeta ``(X'VX)^{-1} x sqrt(v) r_D / (1 - h)`` with ``r_D`` the deviance
  residual: R's ``dfbeta`` of a ``glm`` (``lm.influence`` on the IRLS fit,
  with the deviance residuals as the weighted residuals). With the Pearson
  residual in place of ``r_D`` it would be Pregibon's one-step approximation
  of ``b - b_(i)``; the two agree where the residuals are small.
"""

from __future__ import annotations

from ...kernels.block import (
    Block,
    _device,
    _weighted,
    exp_neg_abs,
    linear_predictor,
)
from ...kernels.ops import block_ops
from .kernels import _row_loglik

# The per-row outputs of :func:`influence_rows`, in order (dfbeta is last).
ROW_OUTPUTS = (
    "eta",
    "fitted",
    "hat",
    "response",
    "working",
    "pearson",
    "deviance",
)


def _fitted(xp, block: Block, eta):
    """``(p, p (1 - p), n, a)``: probability, its variance, trials, prior weight."""
    e = exp_neg_abs(xp, eta)
    q = 1.0 / (1.0 + e)
    p = xp.where(eta >= 0, q, e * q)
    variance = e * q * q
    n = xp.ones_like(eta) if block.trials is None else block.trials
    return p, variance, n, _weighted(n, block.weights)


def unit_deviance(xp, block: Block, eta):
    """``2 w [l_saturated - l]`` of every row: the squared deviance residual."""
    saturated = 0.0 if block.trials is None else _saturated_terms(xp, block)
    d = 2.0 * _weighted(saturated - _row_loglik(xp, block, eta), block.weights)
    return xp.maximum(d, 0.0)


def _saturated_terms(xp, block: Block):
    """``y log(y / n) + (n - y) log(1 - y / n)`` of grouped rows (0 log 0 = 0)."""
    n, y = block.trials, block.y
    safe_n = xp.where(n > 0, n, 1.0)
    prop = y / safe_n
    terms = y * xp.log(xp.where(y > 0, prop, 1.0)) + (n - y) * xp.log(
        xp.where(n - y > 0, 1.0 - prop, 1.0)
    )
    return terms


def _leverage(xp, block: Block, beta, fit_intercept: bool, bread):
    """``eta``, the fitted parts, ``X_block bread`` and the hat values."""
    ops = block_ops(block.X)
    X = ops.as_float64(xp, block.X)
    eta = linear_predictor(xp, block, beta, fit_intercept, X)
    p, variance, n, a = _fitted(xp, block, eta)
    B = xp.asarray(bread, dtype=xp.float64, device=_device(eta))
    XB = X @ B[1:, :] + B[0, :] if fit_intercept else X @ B
    if fit_intercept:
        quad = ops.row_dot(xp, X, XB[:, 1:]) + XB[:, 0]
    else:
        quad = ops.row_dot(xp, X, XB)
    return eta, p, variance, n, a, XB, a * variance * quad


def hat_rows(xp, block: Block, beta, fit_intercept: bool, bread):
    """``(eta, hat)`` of every row: what the goodness-of-fit tests need."""
    eta, *_, hat = _leverage(xp, block, beta, fit_intercept, bread)
    return eta, hat


def influence_rows(xp, block: Block, beta, fit_intercept: bool, bread):
    """The outputs named in :data:`ROW_OUTPUTS`, then dfbeta ``(m, k)``.

    ``bread`` is ``(X'VX)^{-1}`` over the full coefficient vector (zero rows
    and columns for aliased coefficients). Temporaries are block-sized:
    ``X_block bread`` is ``m x k``; no ``n x n`` or ``n x p`` array is made.
    """
    eta, p, variance, n, a, XB, hat = _leverage(xp, block, beta, fit_intercept, bread)
    has_trials = n > 0
    prop = block.y / xp.where(has_trials, n, 1.0)
    response = xp.where(has_trials, prop - p, 0.0)
    safe_variance = xp.where(variance > 0, variance, 1.0)
    working = response / safe_variance
    pearson = xp.sqrt(a) * response / xp.sqrt(safe_variance)
    deviance = xp.sign(response) * xp.sqrt(unit_deviance(xp, block, eta))
    leave = xp.where(hat < 1.0, 1.0 - hat, 1.0)
    dfbeta = XB * (xp.sqrt(a * variance) * deviance / leave)[:, None]
    return eta, p, hat, response, working, pearson, deviance, dfbeta


def linear_predictor_rows(xp, block: Block, beta, fit_intercept: bool):
    """``(eta,)`` of every row: what discrimination and calibration need."""
    return (linear_predictor(xp, block, beta, fit_intercept),)


def influence_columns(k: int) -> tuple:
    """The widths of :func:`influence_rows`' outputs (for lazy backends)."""
    return (None,) * len(ROW_OUTPUTS) + (k,)


def gof_sums(xp, block: Block, beta, fit_intercept: bool):
    """Sums behind the le Cessie-van Houwelingen-Copas-Hosmer test, one pass.

    Returns ``(sse, expected, dvd, Xvd)``: the unweighted sum of squares over
    Bernoulli trials ``sum w [y (1 - p)^2 + (n - y) p^2]``, its expectation
    ``sum v`` (``v = w n p (1 - p)``), ``sum v d^2`` and ``X' (v d)`` with
    ``d = 1 - 2 p`` (intercept entry first).
    """
    X = block_ops(block.X).as_float64(xp, block.X)
    eta = linear_predictor(xp, block, beta, fit_intercept, X)
    p, variance, n, a = _fitted(xp, block, eta)
    y = block.y
    sse = xp.sum(_weighted(y * (1.0 - p) ** 2 + (n - y) * p**2, block.weights))
    v = a * variance
    d = 1.0 - 2.0 * p
    vd = v * d
    Xvd = vd @ X
    if fit_intercept:
        Xvd = xp.concat([xp.reshape(xp.sum(vd), (1,)), Xvd])
    return sse, xp.sum(v), xp.sum(vd * d), Xvd


def deviance_sums(xp, block: Block, beta, fit_intercept: bool):
    """``(sum d_i, rows with positive prior weight)``: the scale of dfbetas."""
    eta = linear_predictor(xp, block, beta, fit_intercept)
    _, _, _, a = _fitted(xp, block, eta)
    d = unit_deviance(xp, block, eta)
    return xp.sum(d), xp.sum(xp.astype(a > 0, xp.float64))


__all__ = [
    "ROW_OUTPUTS",
    "deviance_sums",
    "gof_sums",
    "hat_rows",
    "influence_columns",
    "influence_rows",
    "linear_predictor_rows",
    "unit_deviance",
]
