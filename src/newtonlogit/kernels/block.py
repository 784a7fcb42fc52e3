"""The row block and the numerics every family's kernels share.

Conventions
-----------
- ``X`` is one row block of the data, shape ``(m, p)``, C- or F-ordered, float32
  or float64. It is never copied whole; a kernel may make block-sized temporaries.
- ``beta`` is the coefficient vector, float64. With ``fit_intercept`` it has
  shape ``(p + 1,)`` and the **intercept comes first**; otherwise ``(p,)``.
  The intercept is never a column of ``X``: kernels add it themselves.
- ``y`` holds the response of the block, ``trials`` the number of trials per
  row (``None`` means 1), ``weights`` frequency weights (``None`` means 1),
  ``offset`` is added to the linear predictor (``None`` means 0).
- Every kernel returns a tuple of float64 sums over the block's rows. Backends
  add those tuples up over blocks, so a kernel never needs to know how many
  blocks there are or where they live.
- Kernels take the array namespace ``xp`` as their first argument and use only
  array-API functions on the block, so the same code runs on NumPy, CuPy and
  Dask chunks. Operations on ``X`` that depend on its storage go through
  :func:`newtonlogit.kernels.ops.block_ops`.
- A kernel that never reads ``X`` (only ``y``, ``trials``, ``weights``,
  ``offset``) is marked :func:`response_only`: a backend that reads its data
  from files (Dask) then leaves ``X`` out of the pass, and counts the pass
  as one over the response (:class:`newtonlogit.backends.passes.PassCount`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .ops import _float64, block_ops

Array = Any


class Block(NamedTuple):
    """One row block of the data; optional parts are ``None`` when trivial."""

    X: Array
    y: Array
    trials: Array | None = None
    weights: Array | None = None
    offset: Array | None = None
    groups: Array | None = None  # integer cluster codes 0..G-1 (cluster covariance)
    # Codes of groups of rows that stay together in one block (the strata of a
    # matched design); rows of a group are contiguous.
    segments: Array | None = None


def streaming(kernel):
    """Mark ``kernel`` as a streaming one: it reads each row of ``X`` once or
    twice in matrix-vector products, with no ``O(p^2)`` work per block (value
    and score passes). A backend may hand it longer blocks than the Gram's:
    its cost is the number of NumPy calls per pass, not the cache."""
    kernel.streaming = True
    return kernel


def response_only(kernel):
    """Mark ``kernel`` as reading no ``X``: its block's ``X`` may then be a
    stand-in of no columns (see :func:`reads_X`)."""
    kernel.reads_X = False
    return kernel


def reads_X(kernel) -> bool:
    """Whether ``kernel`` reads its block's ``X`` (true unless marked
    :func:`response_only`)."""
    return getattr(kernel, "reads_X", True)


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


def linear_predictor(xp, block: Block, beta, fit_intercept: bool, X=None):
    """``eta = X b + b0 + offset`` for the block, float64, shape ``(m,)``.

    ``X`` may pass the block's float64 view when the caller already has it.
    """
    if X is None:
        X = block_ops(block.X).as_float64(xp, block.X)
    coef = beta[1:] if fit_intercept else beta
    eta = X @ xp.asarray(coef, dtype=xp.float64, device=_device(X))
    if fit_intercept:
        eta = eta + float(beta[0])
    if block.offset is not None:
        eta = eta + block.offset
    return eta


def _device(a):
    return getattr(a, "device", None) if not isinstance(a, np.ndarray) else None


def _weighted(values, weights):
    return values if weights is None else weights * values


def quadratic_form(xp, X, M, fit_intercept: bool):
    """``x_i' M x_i`` for every row, with ``x_i = (1, X_i)`` under an intercept.

    A block-sized temporary ``X M``; never an ``m x m`` matrix.
    """
    X = _float64(xp, X)
    M = xp.asarray(M, dtype=xp.float64, device=_device(X))
    row_dot = block_ops(X).row_dot
    if not fit_intercept:
        return row_dot(xp, X, X @ M)
    return row_dot(xp, X, X @ M[1:, 1:]) + 2.0 * (X @ M[1:, 0]) + M[0, 0]


def segment_sums(xp, codes, values, n_groups: int):
    """Sums of the rows of ``values`` (m, k) per code ``0..n_groups-1``: (G, k).

    The standard has no ``bincount``: rows are sorted by code, summed
    cumulatively, and each code's sum is the difference of the cumulative sums
    at its ends (``searchsorted``). Codes absent from the block sum to 0. The
    differences lose about ``eps`` times the largest partial sum, which for
    scores at an estimate is a random walk: round-off, not cancellation.
    """
    order = xp.argsort(codes)
    sorted_codes = xp.take(codes, order)
    cumulative = xp.cumulative_sum(
        xp.take(values, order, axis=0), axis=0, include_initial=True
    )
    every = xp.arange(n_groups, dtype=codes.dtype, device=_device(codes))
    starts = xp.searchsorted(sorted_codes, every, side="left")
    ends = xp.searchsorted(sorted_codes, every, side="right")
    return xp.take(cumulative, ends, axis=0) - xp.take(cumulative, starts, axis=0)
