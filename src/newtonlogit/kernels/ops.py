"""How to compute with one storage of a row block ``X``: the registry of block ops.

The two operations on ``X`` itself that depend on how ``X`` is stored (the
float64 view used for ``X b`` and ``r^T X``, and the weighted Gram, the only
``O(m p^2)`` work) go through :func:`block_ops`. Backends may register faster
versions for their array types (:func:`register_block_ops`: a buffered ``syrk``
for NumPy, a sparse product for ``scipy.sparse``); the generic versions below
are plain array-API code and define what the hooks must compute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


def _float64(xp, a):
    ops = _registered_ops(a)  # e.g. scipy.sparse blocks, which xp cannot cast
    if ops is not None and ops.as_float64 is not _float64:
        return ops.as_float64(xp, a)
    return a if a.dtype == xp.float64 else xp.astype(a, xp.float64)


def generic_gram(xp, X, s, fit_intercept: bool, extra=()):
    """Information of one block, ``Z^T Z`` with ``Z = s * [1, X]`` (float64),
    and ``Z^T E`` for the columns ``E`` of ``extra``.

    ``s = sqrt(v)`` are the square roots of the IRLS weights. With an intercept
    the first row and column are ``(sum v, v^T X)``; without one the result is
    ``(s X)^T (s X)``. ``extra`` are 1-D float64 columns; their products with
    ``Z``, shape ``(k, len(extra))``, come from the same product (a Newton
    pass gets its score this way, :func:`newton_sums`). ``Z`` is a block-sized
    temporary, never a copy of ``X``.
    """
    X = _float64(xp, X)
    columns = [s[:, None]] if fit_intercept else []
    columns += [X * s[:, None], *(e[:, None] for e in extra)]
    Z = xp.concat(columns, axis=1) if len(columns) > 1 else columns[0]
    gram = Z.T @ Z
    k = gram.shape[0] - len(extra)
    return gram[:k, :k], gram[:k, k:]


def generic_row_dot(xp, X, D):
    """``sum_j X_ij D_ij`` for every row: the diagonal of ``X D^T``."""
    return xp.sum(X * D, axis=1)


class BlockOps(NamedTuple):
    """How to compute with one storage of ``X`` (see the module's conventions).

    ``as_float64(xp, X)`` returns ``X`` ready for float64 products ``X @ b`` and
    ``r @ X`` (a block-sized cast at most); ``gram(xp, X, s, fit_intercept,
    extra=())`` returns what :func:`generic_gram` returns, ``(info, cross)``,
    for ``X`` in its own dtype or as ``as_float64`` returned it (a Newton pass
    casts a block once);
    ``row_dot(xp, X, D)`` what :func:`generic_row_dot` returns for a dense ``D``;
    ``steering_gram(xp, X, s, fit_intercept)``, where given, the information
    as ``gram`` returns it, computed faster and less exactly (float32
    products), for passes whose information only steers (``None``: ``gram``).
    """

    as_float64: Callable = _float64
    gram: Callable = generic_gram
    row_dot: Callable = generic_row_dot
    steering_gram: Callable | None = None


_BLOCK_OPS: dict[type, BlockOps] = {}


def register_block_ops(array_type: type, ops: BlockOps) -> None:
    """Use ``ops`` for blocks whose ``X`` is an instance of ``array_type``."""
    _BLOCK_OPS[array_type] = ops


def _registered_ops(X) -> BlockOps | None:
    for cls in type(X).__mro__:
        ops = _BLOCK_OPS.get(cls)
        if ops is not None:
            return ops
    return None


def block_ops(X) -> BlockOps:
    """The registered operations for ``X``'s type, else the generic ones."""
    return _registered_ops(X) or BlockOps()
