"""scipy.sparse input: row blocks of a CSR (or CSC) matrix, the intercept implicit.

The kernels need only two things from a sparse block (see
:mod:`newtonlogit._kernels`): ``X @ b`` and ``r @ X``, which scipy.sparse does
as they are written, and the weighted Gram, registered here as
:func:`sparse_gram`: a sparse product ``Z^T Z`` of ``Z = s * [1, X]``, whose
work is ``sum_i nnz_i^2`` rather than ``m p^2``, turned dense (``k x k``) for
the solver. Blocks are slices of rows, so each temporary holds one block's
nonzeros; ``X`` is never copied or densified whole. CSR slices by rows for
free; a CSC matrix is sliced too (each slice scans its nonzeros), which is
slower but keeps the memory bound: convert to CSR first where memory allows.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._kernels import BlockOps, register_block_ops
from .numpy import NumpyBackend

# Nonzeros per row block: big enough that the dense k x k result of each
# block's Gram is cheap next to the sparse product, small enough to stay
# O(block) in memory.
BLOCK_NONZEROS = 1 << 21


def _as_float64(xp, X):
    return X if X.dtype == np.float64 else X.astype(np.float64)


def sparse_gram(xp, X, s: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """:func:`newtonlogit._kernels.generic_gram` for a scipy.sparse block."""
    Z = sp.csr_matrix(X, dtype=np.float64, copy=True)
    Z.data *= np.repeat(s, np.diff(Z.indptr))
    if fit_intercept:
        Z = sp.hstack([sp.csr_matrix(s[:, None]), Z], format="csr")
    return (Z.T @ Z).toarray()


register_block_ops(sp.spmatrix, BlockOps(_as_float64, sparse_gram))
register_block_ops(sp.sparray, BlockOps(_as_float64, sparse_gram))


class SparseBackend(NumpyBackend):
    """Row blocks of a scipy.sparse matrix; everything else as in NumPy's."""

    name = "scipy.sparse"

    def __init__(self, design, *, block_rows: int | None = None, n_threads=None):
        n, _ = design.X.shape
        if block_rows is None:
            per_row = max(design.X.nnz / max(n, 1), 1.0)
            block_rows = int(np.clip(BLOCK_NONZEROS / per_row, 1024, 1 << 18))
        super().__init__(design, block_rows=block_rows, n_threads=n_threads)
