"""In-memory backend: row blocks of NumPy arrays, summed on the host."""

from __future__ import annotations

import numpy as np

from .._kernels import Block

# A block of about this many bytes (in float64) keeps the kernel's temporaries
# in cache and its memory at O(block x p), whatever n is.
BLOCK_BYTES = 1 << 20


def default_block_rows(n_features: int) -> int:
    return int(np.clip(BLOCK_BYTES // (8 * max(n_features, 1)), 256, 65536))


class NumpyBackend:
    """Row blocks of in-memory arrays (views, never copies of ``X``)."""

    name = "numpy"
    xp = np

    def __init__(self, design, *, block_rows: int | None = None):
        self.design = design
        self.n_rows = design.X.shape[0]
        self.block_rows = block_rows or default_block_rows(design.X.shape[1])

    def blocks(self):
        d = self.design
        for start in range(0, self.n_rows, self.block_rows):
            rows = slice(start, start + self.block_rows)
            yield Block(
                d.X[rows],
                d.y[rows],
                None if d.trials is None else d.trials[rows],
                None if d.weights is None else d.weights[rows],
                None if d.offset is None else d.offset[rows],
                None if d.groups is None else d.groups[rows],
            )

    def map_sum(self, kernel, *args):
        """Sum of ``kernel(np, block, *args)`` over all row blocks."""
        total = None
        for block in self.blocks():
            part = kernel(np, block, *args)
            if total is None:
                total = [np.array(x, dtype=np.float64) for x in part]
            else:
                for acc, x in zip(total, part):
                    acc += x
        return tuple(total)
