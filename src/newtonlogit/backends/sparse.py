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

# Nonzeros per row block: k^2 / GRAM_SHARE, within [MIN_NONZEROS, MAX_NONZEROS]
# (a block's temporaries are O(its nonzeros), whatever X's size). SciPy's sparse
# product slows down per row on longer blocks (its k x k result fills up),
# while short blocks pay for turning each block's result dense: at
# 1,000,000 x 2,000 one-hot (16 nonzeros a row), one Newton pass took 1.6 s on
# two threads with 16k-row blocks (k^2 / 16 nonzeros) against 2.1 s with 8k or
# 33k rows and 2.8 s with 66k rows (the former rule, a sixteenth of X's).
GRAM_SHARE = 16
MIN_NONZEROS = 1 << 16
MAX_NONZEROS = 1 << 21


def _as_float64(xp, X):
    return X if X.dtype == np.float64 else X.astype(np.float64)


def scaled_rows(X, s: np.ndarray, fit_intercept: bool) -> sp.csr_matrix:
    """``Z = s * [1, X]`` as one new CSR matrix (the block's only copy)."""
    X = X.tocsr()
    m, p = X.shape
    counts = np.diff(X.indptr)
    if not fit_intercept:
        data = np.repeat(s, counts) * X.data
        return sp.csr_matrix((data, X.indices, X.indptr), shape=(m, p))
    indptr = X.indptr + np.arange(m + 1)
    first = np.zeros(X.nnz + m, dtype=bool)
    first[indptr[:-1]] = True
    data = np.empty(X.nnz + m)
    data[first] = s
    data[~first] = np.repeat(s, counts) * X.data
    indices = np.zeros(X.nnz + m, dtype=X.indices.dtype)
    indices[~first] = X.indices + 1
    return sp.csr_matrix((data, indices, indptr), shape=(m, p + 1))


def sparse_gram(xp, X, s: np.ndarray, fit_intercept: bool) -> np.ndarray:
    """:func:`newtonlogit._kernels.generic_gram` for a scipy.sparse block."""
    Z = scaled_rows(X, s, fit_intercept)
    return (Z.T @ Z).toarray()


def sparse_row_dot(xp, X, D: np.ndarray) -> np.ndarray:
    """Row sums of the elementwise product of sparse ``X`` and dense ``D``."""
    return np.asarray(X.multiply(D).sum(axis=1)).ravel()


_SPARSE_OPS = BlockOps(_as_float64, sparse_gram, sparse_row_dot)
register_block_ops(sp.spmatrix, _SPARSE_OPS)
register_block_ops(sp.sparray, _SPARSE_OPS)


class SparseBackend(NumpyBackend):
    """Row blocks of a scipy.sparse matrix; everything else as in NumPy's."""

    name = "scipy.sparse"

    def __init__(self, design, *, block_rows: int | None = None, n_threads=None):
        n, p = design.X.shape
        if block_rows is None:
            per_row = max(design.X.nnz / max(n, 1), 1.0)
            target = np.clip((p + 1) ** 2 // GRAM_SHARE, MIN_NONZEROS, MAX_NONZEROS)
            block_rows = int(np.clip(target / per_row, 256, 1 << 18))
        super().__init__(design, block_rows=block_rows, n_threads=n_threads)
