"""CuPy backend: the block kernels on the GPU.

``X`` is walked in a few large row blocks (views); each kernel call is a
handful of cuBLAS/elementwise launches through the array-API namespace of
array-api-compat. Sums are accumulated on the device in float64 and copied to
the host once per pass; the p x p solve stays on the host in float64.
"""

from __future__ import annotations

from .array_api import ArrayAPIBackend


class CupyBackend(ArrayAPIBackend):
    """Row blocks of CuPy arrays on their GPU."""

    name = "cupy"
    # About 1 GiB of float64 per block: few enough kernel launches that their
    # overhead vanishes at n = 10^7, while the block temporaries (a float64
    # copy of a float32 block and sqrt(v) X) stay a small part of GPU memory.
    block_bytes = 1 << 30
