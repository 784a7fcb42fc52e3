"""Array-API backend: row blocks of arrays that stay in their own library.

The same kernels as the NumPy backend run on views of ``X`` in the array's own
namespace (CuPy on a GPU; ``array_api_strict`` on the CPU in the tests, which
proves that the kernels use the standard only). Block sums are accumulated in
float64 where the data live and brought to the host once per pass, as one
flat float64 buffer.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..kernels.block import Block
from .namespace import device_of, namespace_of, to_numpy
from .passes import PassCount


class ArrayAPIBackend:
    """Row blocks (views) of array-API arrays; sums moved to the host once."""

    name = "array_api"
    # Bytes of one block in float64: small blocks on the CPU keep the
    # temporaries in cache; a GPU wants a few large blocks (see CupyBackend).
    block_bytes = 1 << 20

    def __init__(self, design, *, block_rows: int | None = None):
        self.design = design
        self.xp = namespace_of(design.X)
        self.n_rows = design.X.shape[0]
        self.passes = PassCount()  # (see newtonlogit.backends.passes)
        # cluster codes are made on the host (from labels of any type)
        groups = getattr(design, "groups", None)
        self.groups = (
            None
            if groups is None
            else self.xp.asarray(groups, device=device_of(design.X))
        )
        p = max(design.X.shape[1], 1)
        self.block_rows = block_rows or max(256, self.usable_block_bytes() // (8 * p))

    def usable_block_bytes(self) -> int:
        """Bytes of float64 per block for this fit (``block_bytes`` here)."""
        return self.block_bytes

    def blocks(self):
        d = self.design
        for start in range(0, self.n_rows, self.block_rows):
            # clipped: the standard leaves out-of-range slice ends unspecified
            rows = slice(start, min(start + self.block_rows, self.n_rows))
            yield Block(
                d.X[rows, ...],
                d.y[rows],
                None if d.trials is None else d.trials[rows],
                None if d.weights is None else d.weights[rows],
                None if d.offset is None else d.offset[rows],
                None if self.groups is None else self.groups[rows],
            )

    def subsample(self, rows: np.ndarray, scale: np.ndarray | None = None):
        """A backend of the same kind over a copy of the given rows only, their
        weights multiplied by ``scale`` where given (inverse sampling rates).

        The rows are gathered on the data's device (``take``); used for warm
        starts on a small random subsample.
        """
        xp, d = self.xp, self.design
        self.passes.X += len(rows) / max(self.n_rows, 1)
        index = xp.asarray(np.asarray(rows, dtype=np.int64), device=device_of(d.X))

        def take(a):
            return None if a is None else xp.take(a, index, axis=0)

        weights = take(d.weights)
        if scale is not None:
            scale = xp.asarray(scale, dtype=xp.float64, device=device_of(d.X))
            weights = scale if weights is None else weights * scale
        sub = replace(
            d,
            X=take(d.X),
            y=take(d.y),
            trials=take(d.trials),
            weights=weights,
            offset=take(d.offset),
            groups=take(self.groups),
        )
        return type(self)(sub, block_rows=self.block_rows)

    def map_sum(self, kernel, *args):
        """Sum of ``kernel(xp, block, *args)`` over all row blocks, on the host.

        The partial sums stay on the data's device in float64; the host sees
        one transfer per call.
        """
        self.passes.count(kernel)
        xp = self.xp
        total = None
        for block in self.blocks():
            part = kernel(xp, block, *args)
            total = (
                list(part) if total is None else [a + b for a, b in zip(total, part)]
            )
        return self.to_host(total)

    def map_rows(self, kernel, *args, columns=()):
        """Per-row outputs of ``kernel(xp, block, *args)`` over all blocks,
        stacked in order on the data's device (no transfer)."""
        parts = [kernel(self.xp, block, *args) for block in self.blocks()]
        return tuple(self.xp.concat(outputs, axis=0) for outputs in zip(*parts))

    def to_host(self, arrays) -> tuple[np.ndarray, ...]:
        """float64 NumPy copies of ``arrays`` through a single transfer."""
        xp = self.xp
        flat = xp.concat([xp.reshape(xp.astype(a, xp.float64), (-1,)) for a in arrays])
        host = to_numpy(flat)
        out, start = [], 0
        for a in arrays:
            size = int(np.prod(a.shape))
            out.append(host[start : start + size].reshape(tuple(a.shape)))
            start += size
        return tuple(out)
