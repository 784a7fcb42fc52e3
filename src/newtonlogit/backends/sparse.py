"""scipy.sparse input: row blocks of a CSR (or CSC) matrix, the intercept implicit.

The kernels need only two things from a sparse block (see
:mod:`newtonlogit.kernels`): ``X @ b`` and ``r @ X``, which scipy.sparse does
as they are written, and the weighted Gram, registered here as
:func:`sparse_gram`: a sparse product ``Z^T Z`` of ``Z = s * [1, X]``, whose
work is ``sum_i nnz_i^2`` rather than ``m p^2``, turned dense (``k x k``) for
the solver. Blocks are slices of rows, so each temporary holds one block's
nonzeros; ``X`` is never copied or densified whole. CSR slices by rows for
free; a CSC matrix is sliced too (each slice scans its nonzeros), which is
slower but keeps the memory bound: convert to CSR first where memory allows.

One-hot encoded categories get a faster Gram (:func:`grouped_gram`). Their
columns fall into contiguous *groups* with at most one nonzero per row in each
(a categorical's levels; a numeric column is a group of its own), found once
per fit from a sample of rows (:func:`column_groups`). The information block
of two groups is then one weighted ``bincount`` over the block's rows (a
contingency table), ``G (G + 1) / 2`` of them for ``G`` groups, where SciPy's
product does ``nnz_i^2`` scattered updates per row. The backend uses it when
that is fewer operations (:func:`worth_grouping`), tags its row blocks with the
groups (``X.column_groups``), and the hook checks every block: a row with two
nonzeros in one group (one the sample missed) sends that block to SciPy's
product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ..kernels.ops import BlockOps, register_block_ops
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
# Grouped Gram (see the module's docstring): used while its bincount terms per
# row, G (G + 1) / 2, are fewer than GROUPED_ADVANTAGE (nnz + 1)^2 (measured on
# 300,000-row one-hot designs: 1.3-2.6x faster a pass below that ratio, 0.9x
# at 0.59). Its blocks hold at least GROUPED_BLOCK_BYTES of codes and values
# (16 bytes per group and row), and enough rows for the bincounts to outweigh
# writing the k x k result: G (G + 1) / 2 x rows >= 2 k^2 (a pass over
# 1,000,000 x 2,000 one-hot took 1.35 s with 16,000-row blocks, 0.77 s with
# 58,000, 0.81 s with 100,000).
MAX_GROUPS = 64
GROUPED_ADVANTAGE = 0.5
GROUPED_BLOCK_BYTES = 2 << 20
GROUP_SAMPLE_ROWS = 20_000


def _as_float64(xp, X):
    if X.dtype == np.float64:
        return X
    wide = X.astype(np.float64)
    if hasattr(X, "column_groups"):
        wide.column_groups = X.column_groups
    return wide


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


def sparse_gram(xp, X, s: np.ndarray, fit_intercept: bool, extra=()) -> np.ndarray:
    """:func:`newtonlogit.kernels.ops.generic_gram` for a scipy.sparse block.

    Grouped (:func:`grouped_gram`) where the block carries column groups and
    fits them; otherwise SciPy's sparse product. The products with the
    ``extra`` columns are one sparse-dense product.
    """
    groups = getattr(X, "column_groups", None)
    info = None if groups is None else grouped_gram(X, s, fit_intercept, groups)
    if info is None:
        Z = scaled_rows(X, s, fit_intercept)
        info = (Z.T @ Z).toarray()
    if not extra:
        return info, np.zeros((info.shape[0], 0))
    E = np.empty((s.size, len(extra)), order="F")  # (SciPy's product: 1.4x
    for j, column in enumerate(extra):  # faster than with C order)
        np.multiply(s, column, out=E[:, j])
    cross = np.asarray(X.T @ E)
    if fit_intercept:
        cross = np.vstack([E.sum(axis=0), cross])
    return info, cross


@dataclass(frozen=True)
class ColumnGroups:
    """Contiguous runs of columns, each expected to hold at most one nonzero
    per row."""

    starts: np.ndarray  # first column of each group, (G,)
    sizes: np.ndarray  # columns in each group, (G,)
    group_of: np.ndarray  # group of each column, (p,)
    local: np.ndarray  # position of each column within its group, (p,)


def column_groups(X) -> ColumnGroups:
    """The fewest contiguous column groups with one nonzero per row at most,
    for the rows of the canonical CSR matrix ``X`` (a sample of the data).

    A row's sorted column indices pair each column with its left neighbour;
    a group starting at column ``a`` may take column ``j`` as long as no row
    has a nonzero in ``[a, j)`` besides ``j``, i.e. while the latest left
    neighbour of ``j`` (over all rows) is before ``a``. Greedy from the left.
    """
    indices, firsts = X.indices, X.indptr[:-1]
    has_left = np.ones(indices.size, dtype=bool)
    has_left[firsts[firsts < indices.size]] = False
    at = np.flatnonzero(has_left)
    left = np.full(X.shape[1], -1, dtype=np.int64)
    np.maximum.at(left, indices[at], indices[at - 1])
    starts = [0]
    for j in range(1, X.shape[1]):
        if left[j] >= starts[-1]:
            starts.append(j)
    starts = np.array(starts, dtype=np.int64)
    sizes = np.diff(np.append(starts, X.shape[1]))
    return ColumnGroups(
        starts,
        sizes,
        np.repeat(np.arange(starts.size, dtype=np.int32), sizes),
        np.arange(X.shape[1]) - np.repeat(starts, sizes),
    )


def worth_grouping(groups: ColumnGroups, nonzeros_per_row: float) -> bool:
    """Whether :func:`grouped_gram` should beat SciPy's product: its
    ``G (G + 1) / 2`` bincount terms a row against SciPy's ``(nnz + 1)^2``
    scattered updates, each term costing about twice an update on two threads
    (``bincount`` holds the GIL; see ``GROUPED_ADVANTAGE``)."""
    g = groups.sizes.size
    return (
        g <= MAX_GROUPS
        and g * (g + 1) / 2 < GROUPED_ADVANTAGE * (nonzeros_per_row + 1) ** 2
    )


def grouped_gram(X, s: np.ndarray, fit_intercept: bool, groups: ColumnGroups):
    """:func:`newtonlogit.kernels.ops.generic_gram` of a CSR block whose rows have
    at most one nonzero in each column group; ``None`` where a row has two.

    Each row's nonzero in group ``a`` is coded by its position in the group
    (``size`` for none): the block of the information for groups ``a`` and
    ``b`` is ``bincount`` of the pair codes, weighted by ``v x_a x_b``.
    """
    X = X.tocsr()
    m = X.shape[0]
    group = groups.group_of[X.indices]
    row = np.repeat(np.arange(m, dtype=np.int32), np.diff(X.indptr))
    if np.any((group[1:] == group[:-1]) & (row[1:] == row[:-1])):
        return None
    sizes = groups.sizes
    codes = np.empty((sizes.size, m), dtype=np.intp)
    codes[:] = sizes[:, None]
    codes[group, row] = groups.local[X.indices]
    values = np.zeros((sizes.size, m))
    values[group, row] = X.data
    del group, row
    v = s * s
    f = int(fit_intercept)
    info = np.empty((X.shape[1] + f,) * 2)
    if fit_intercept:
        info[0, 0] = v.sum()
    cols = [slice(a + f, a + f + n) for a, n in zip(groups.starts, sizes)]
    for a, (size_a, code_a) in enumerate(zip(sizes, codes)):
        va = v * values[a]
        if fit_intercept:
            vx = np.bincount(code_a, weights=va, minlength=size_a + 1)[:size_a]
            info[0, cols[a]] = info[cols[a], 0] = vx
        # within a group only the diagonal: one nonzero per row
        info[cols[a], cols[a]] = 0.0
        diagonal = np.arange(cols[a].start, cols[a].stop)
        info[diagonal, diagonal] = np.bincount(
            code_a, weights=va * values[a], minlength=size_a + 1
        )[:size_a]
        for b in range(a + 1, sizes.size):
            size_b = sizes[b]
            pairs = np.bincount(
                code_a * (size_b + 1) + codes[b],
                weights=va * values[b],
                minlength=(size_a + 1) * (size_b + 1),
            ).reshape(size_a + 1, size_b + 1)[:size_a, :size_b]
            info[cols[a], cols[b]] = pairs
            info[cols[b], cols[a]] = pairs.T
    return info


def sparse_row_dot(xp, X, D: np.ndarray) -> np.ndarray:
    """Row sums of the elementwise product of sparse ``X`` and dense ``D``."""
    return np.asarray(X.multiply(D).sum(axis=1)).ravel()


_SPARSE_OPS = BlockOps(_as_float64, sparse_gram, sparse_row_dot)
register_block_ops(sp.spmatrix, _SPARSE_OPS)
register_block_ops(sp.sparray, _SPARSE_OPS)


class SparseBackend(NumpyBackend):
    """Row blocks of a scipy.sparse matrix; everything else as in NumPy's."""

    name = "scipy.sparse"
    streaming_blocks = False  # (blocks are sized by their nonzeros)
    steer_pass_cost = None  # (no float32 product: the exact one steers)
    score_pass_cost = None  # (the solver's)

    def __init__(
        self, design, *, block_rows: int | None = None, n_threads=None, **_streaming
    ):
        X = design.X
        n, p = X.shape
        per_row = max(X.nnz / max(n, 1), 1.0)
        self.groups = None
        if X.format == "csr" and X.has_canonical_format and n > 0:
            sample = X[:: max(1, n // GROUP_SAMPLE_ROWS)]
            groups = column_groups(sample)
            if worth_grouping(groups, per_row):
                self.groups = groups
        if block_rows is None and self.groups is not None:
            g = self.groups.sizes.size
            rows = max(
                GROUPED_BLOCK_BYTES // (16 * g), 4 * (p + 1) ** 2 // (g * (g + 1))
            )
            block_rows = int(np.clip(rows, 4096, 1 << 18))
        elif block_rows is None:
            target = np.clip((p + 1) ** 2 // GRAM_SHARE, MIN_NONZEROS, MAX_NONZEROS)
            block_rows = int(np.clip(target / per_row, 256, 1 << 18))
        super().__init__(design, block_rows=block_rows, n_threads=n_threads)
        # (streaming kernels get the same blocks: sized by their nonzeros)

    def blocks(self, start: int = 0, stop: int | None = None, cuts=None):
        for block in super().blocks(start, stop, cuts):
            if self.groups is not None:
                block.X.column_groups = self.groups  # read by sparse_gram
            yield block
