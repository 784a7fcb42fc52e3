"""CuPy backend: the block kernels on the GPU.

``X`` is walked in a few large row blocks (views); each kernel call is a
handful of cuBLAS/elementwise launches through the array-API namespace of
array-api-compat. Sums are accumulated on the device in float64 and copied to
the host once per pass; the p x p solve stays on the host in float64.

The information of a block is one ``Z.T @ Z`` of ``Z = sqrt(v) [1, X]`` written
into a float64 buffer (:func:`cupy_gram`, the kernels' Gram hook for CuPy
arrays): the intercept row comes out of the same cuBLAS ``gemm``, where the
generic Gram needs a second pass over ``Z`` for it. cuBLAS ``syrk`` was tried
and dropped: 25x slower than ``gemm`` for these tall blocks on an H200
(``benchmarks/RESULTS.md``).

CuPy is imported (already imported by the caller, whose ``X`` is a CuPy
array) only when a backend is made, never by loading this module.
"""

from __future__ import annotations

from ..kernels.ops import BlockOps, register_block_ops
from .array_api import ArrayAPIBackend
from .numpy import gram_into


def cupy_gram(xp, X, s, fit_intercept: bool, extra=()):
    """:func:`newtonlogit.kernels.ops.generic_gram` as one ``gemm`` on the GPU."""
    import cupy

    m, p = X.shape
    Z = cupy.empty((m, p + int(fit_intercept) + len(extra)), dtype=cupy.float64)
    return gram_into(cupy, Z, X, s, fit_intercept, extra)


def cupy_gram32(xp, X, s, fit_intercept: bool):
    """:func:`cupy_gram` in float32, returned as float64: the information of
    a steering pass (``BlockOps.steering_gram``)."""
    import cupy

    m, p = X.shape
    Z = cupy.empty((m, p + int(fit_intercept)), dtype=cupy.float32)
    info, _ = gram_into(cupy, Z, X, s, fit_intercept)
    return info.astype(cupy.float64), None


class CupyBackend(ArrayAPIBackend):
    """Row blocks of CuPy arrays on their GPU."""

    name = "cupy"
    # Up to 4 GiB of float64 per block, and at most a sixteenth of the GPU's
    # free memory: a block's temporaries (Z, and a float64 copy of a float32
    # block) take two blocks. One Newton pass over 10,000,000 x 100 on an
    # H200: 17.5 ms with 4 GiB blocks, 18.4 with 1 GiB, 23.9 with 256 MiB
    # (kernel launches and host round trips per block add up).
    block_bytes = 1 << 32
    free_memory_share = 16
    # A float32 Gram against a float64 one, both bound by reading X; not
    # yet measured on a device (benchmarks/gpu.py reports it).
    steer_pass_cost = 0.6

    def __init__(self, design, *, block_rows: int | None = None):
        import cupy

        register_block_ops(
            cupy.ndarray, BlockOps(gram=cupy_gram, steering_gram=cupy_gram32)
        )
        super().__init__(design, block_rows=block_rows)

    def usable_block_bytes(self) -> int:
        free, _ = self.design.X.device.mem_info
        return max(min(self.block_bytes, free // self.free_memory_share), 1 << 20)
