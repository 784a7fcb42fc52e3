"""In-memory backend: row blocks of NumPy arrays, summed on the host.

Two things make a pass over ``X`` fast here, both measured (see
``benchmarks/RESULTS.md``):

- The information of a block is one ``Z.T @ Z`` of ``Z = sqrt(v) [1, X]``
  written into a per-thread float64 buffer (:func:`buffer_gram`, registered as
  the kernels' Gram hook for NumPy arrays). NumPy's ``matmul`` sees that both
  operands are the same buffer and calls BLAS ``syrk`` (half the flops of a
  ``gemm``) *with the GIL released*; the intercept row comes out of the same
  call. SciPy's ``blas.dsyrk`` wrapper, used before, holds the GIL: two
  threads then took longer than one (0.92 s against 0.76 s for a pass over
  1,000,000 x 100, where NumPy's product takes 0.37 s on two threads). A
  float32 block is widened to float64 in the buffer: a float32 Gram (about
  twice as fast) was tried and dropped, because its rounding, amplified by the
  condition number of uncentred data, moved the covariance of the spector data
  by 4e-4 relative.
- Row blocks are spread over threads, each adding up its own partial sums, with
  BLAS held to one thread meanwhile: NumPy's elementwise work (``exp``, the
  weights) then runs in parallel too, and OpenBLAS's own threads, which spin
  badly when the cores are shared, stay out of the way.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np

from ..kernels.block import Block
from ..kernels.ops import BlockOps, register_block_ops
from .passes import PassCount
from .threads import one_blas_thread

# A block of about this many bytes (in float64) keeps the kernel's temporaries
# in cache and its memory at O(block x p), whatever n is. With many columns a
# block gets at least ROWS_PER_FEATURE * p rows instead: syrk on short blocks
# is inefficient and the per-block k x k work must stay small next to it
# (measured at p = 495: 264-row blocks cost 1.7x the CPU time of 4096-row ones).
# 2 MiB against 1 MiB, one Newton pass on 2 threads (medians of 5): 0.34 s
# against 0.41 s at 4,000,000 x 10, 0.47 s against 0.49 s at 1,000,000 x 100;
# fewer, longer NumPy calls per pass, while the block still sits in cache.
BLOCK_BYTES = 2 << 20
ROWS_PER_FEATURE = 4
# Streaming kernels (``kernels.block.streaming``: value and score passes) get
# blocks of about this many bytes whatever p is. Their per-block work is a few
# dozen NumPy calls on m-vectors around two matrix-vector products: longer
# blocks mean fewer calls, shorter ones that the second product finds the
# block in cache. Score passes on 2 threads, in bare Gram passes (medians of
# 11): 1,000,000 x 100 0.35 / 0.31 / 0.37 on 2 / 4 / 8 MiB blocks, 300,000 x
# 100 0.45 / 0.42 / 0.52, 4,000,000 x 10 1.02 / 1.03 / 1.07, 100,000 x 1,000
# 0.10 / 0.045 / 0.046 (on 2 MiB the rows are too few).
STREAMING_BYTES = 4 << 20


def default_block_rows(n_features: int) -> int:
    p = max(n_features, 1)
    rows = max(BLOCK_BYTES // (8 * p), ROWS_PER_FEATURE * p)
    return int(np.clip(rows, 256, 65536))


def streaming_block_rows(n_features: int) -> int:
    """Rows of a streaming kernel's block (:data:`STREAMING_BYTES`)."""
    rows = STREAMING_BYTES // (8 * max(n_features, 1))
    return int(np.clip(rows, 256, 1 << 18))


def pass_costs(n_features: int) -> tuple[float, float]:
    """What a score pass and a steering pass (float32 Gram) cost in exact
    Newton passes over ``X`` of ``n_features`` columns, for the solver's
    choice between them (:func:`newtonlogit.solver.steering.next_pass`).

    Per row, on 2 threads (ns), fitted to passes timed at p = 10, 100 and
    1,000 (4,000,000, 1,000,000 and 100,000 rows): a Newton pass
    ``42 + 1.5 p + 0.012 p^2`` (the ``O(m)`` work, the reads and the
    ``syrk``), a steering pass ``34 + 1.2 p + 0.006 p^2`` (the ``syrk`` in
    float32), a score pass ``15 + 0.45 p`` (two matrix-vector products on a
    block in cache). So a score pass is 0.34, 0.19 and 0.03 of a Newton pass
    at p = 10, 100 and 1,000, a steering pass 0.80, 0.69 and 0.53.
    """
    p = float(max(n_features, 1))
    newton = 42.0 + 1.5 * p + 0.012 * p * p
    steer = 34.0 + 1.2 * p + 0.006 * p * p
    return (15.0 + 0.45 * p) / newton, steer / newton


def default_threads() -> int:
    """Cores this process may use (``sched_getaffinity`` where available)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # pragma: no cover - macOS, Windows
        return os.cpu_count() or 1


_buffers = threading.local()


def _buffer(m: int, k: int, dtype) -> np.ndarray:
    """A per-thread C-ordered ``(m, k)`` scratch array of ``dtype``, reused
    across blocks."""
    arrays = getattr(_buffers, "arrays", None)
    if arrays is None:
        arrays = _buffers.arrays = {}
    buf = arrays.get(np.dtype(dtype))
    if buf is None or buf.size < m * k:
        buf = arrays[np.dtype(dtype)] = np.empty(m * k, dtype=dtype)
    return buf[: m * k].reshape(m, k)


def gram_into(module, Z, X, s, fit_intercept: bool, extra=()):
    """``Z.T @ Z`` after writing ``Z = [s * [1, X], extra...]`` into the
    buffer ``Z`` (float64; float32 for a steering pass), split as
    :func:`newtonlogit.kernels.ops.generic_gram` returns it.

    :func:`newtonlogit.kernels.ops.generic_gram` as one matrix product, the
    intercept row and the extra columns included, for a library with
    ``multiply(..., out=)`` (``module``: NumPy, CuPy).
    """
    first, stop = int(fit_intercept), int(fit_intercept) + X.shape[1]
    if fit_intercept:
        Z[:, 0] = s
    module.multiply(X, s[:, None], out=Z[:, first:stop])
    for j, column in enumerate(extra):
        Z[:, stop + j] = column
    # The bordering columns' products with each other are never used; on rows
    # fitted as certain with huge case weights (c / s)^2 may overflow. The
    # parts returned are the solver's to check (a non-finite information or
    # score stops a fit with a named error).
    with np.errstate(over="ignore"):
        gram = Z.T @ Z
    return gram[:stop, :stop], gram[:stop, stop:]


def buffer_gram(xp, X: np.ndarray, s: np.ndarray, fit_intercept: bool, extra=()):
    """:func:`gram_into` on a per-thread buffer: one BLAS ``syrk``.

    NumPy sees that both operands of ``Z.T @ Z`` are the same buffer, runs it
    as ``syrk`` and fills in the lower triangle.
    """
    m, p = X.shape
    Z = _buffer(m, p + fit_intercept + len(extra), np.float64)
    return gram_into(np, Z, X, s, fit_intercept, extra)


def buffer_gram32(xp, X: np.ndarray, s: np.ndarray, fit_intercept: bool):
    """:func:`buffer_gram` in float32 (``syrk`` at about half the time of
    float64's), returned as float64: the information of a steering pass.

    Its rounding is relative ``1e-7`` times the condition number of the
    uncentred columns, far below the subsample's error that steers the
    other steps; where it breaks the information's positive definiteness
    the solver evaluates the information exactly instead.
    """
    m, p = X.shape
    Z = _buffer(m, p + fit_intercept, np.float32)
    info, _ = gram_into(np, Z, X, s, fit_intercept)
    return info.astype(np.float64), None


register_block_ops(np.ndarray, BlockOps(gram=buffer_gram, steering_gram=buffer_gram32))

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _executor(n_threads: int) -> ThreadPoolExecutor:
    """A process-wide pool of at least ``n_threads`` workers (made once)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < n_threads:
            _pool = ThreadPoolExecutor(n_threads, thread_name_prefix="newtonlogit")
            _pool_size = n_threads
        return _pool


def map_blocks(func, X, n_threads: int | None = None) -> list:
    """``[func(start, block) ...]`` over the row blocks of the array ``X``
    (:func:`default_block_rows` rows each), in order, on the threads that
    fits use (each a contiguous span of blocks, as in ``map_sum``): a check
    that reads all of ``X`` then costs what a fit's pass does."""
    step = default_block_rows(X.shape[1])
    starts = list(range(0, X.shape[0], step))
    n_threads = min(n_threads or default_threads(), len(starts))
    per = -(-len(starts) // max(n_threads, 1))

    def span(first: int) -> list:
        return [func(a, X[a : a + step]) for a in starts[first : first + per]]

    with one_blas_thread():
        if n_threads <= 1:
            return span(0)
        pool = _executor(n_threads)
        spans = [pool.submit(span, i) for i in range(0, len(starts), per)]
        return [out for future in spans for out in future.result()]


class NumpyBackend:
    """Row blocks of in-memory arrays (views, never copies of ``X``).

    Parameters
    ----------
    design : Design
    block_rows : int, optional
        Rows per block (default: about 2 MiB of float64 per block); given,
        the blocks of every kernel.
    streaming_rows : int, optional
        Rows per block of the streaming kernels (default: about 4 MiB of
        float64 per block, :func:`streaming_block_rows`; ``block_rows`` where
        that is given and this is not).
    n_threads : int, optional
        Threads over row blocks (default: the usable cores). ``1`` runs the
        blocks in order in the calling thread. BLAS is held to one thread
        either way: its own threads on blocks this small cost more than they
        save (multithreaded ``syrk`` was up to 40x slower on a shared 2-core
        machine).
    """

    name = "numpy"
    xp = np
    streaming_blocks = True  # (streaming kernels: STREAMING_BYTES blocks)

    def __init__(
        self,
        design,
        *,
        block_rows: int | None = None,
        n_threads=None,
        streaming_rows: int | None = None,
    ):
        self.design = design
        self.n_rows = design.X.shape[0]
        self.block_rows = block_rows or default_block_rows(design.X.shape[1])
        self.n_threads = n_threads or default_threads()
        self._cuts = self.cuts()
        self._streaming_cuts = self._cuts
        if block_rows is None:
            streaming_rows = streaming_rows or streaming_block_rows(design.X.shape[1])
        if self.streaming_blocks and streaming_rows:
            self._streaming_cuts = self.cuts(streaming_rows)
        self.passes = PassCount()  # (see newtonlogit.backends.passes)

    @property
    def score_pass_cost(self) -> float:
        """A score pass's cost in exact Newton passes (:func:`pass_costs`)."""
        return pass_costs(self.design.X.shape[1])[0]

    @property
    def steer_pass_cost(self) -> float:
        """A steering pass's cost in exact Newton passes (:func:`pass_costs`)."""
        return pass_costs(self.design.X.shape[1])[1]

    def subsample(self, rows: np.ndarray, scale: np.ndarray | None = None):
        """A backend of the same kind over a copy of the given rows only, their
        weights multiplied by ``scale`` where given (inverse sampling rates).
        Reading them counts as their share of a pass over ``X``."""
        d = self.design
        self.passes.X += len(rows) / max(self.n_rows, 1)

        def take(a):  # (np.take: 11 ms against 17 for X[rows], 50,000 x 100)
            return None if a is None else np.take(a, rows, axis=0)

        weights = take(d.weights)
        if scale is not None:
            weights = scale if weights is None else weights * scale
        sub = replace(
            d,
            X=d.X[rows],
            y=d.y[rows],
            trials=take(d.trials),
            weights=weights,
            offset=take(d.offset),
            groups=take(d.groups),
        )
        return type(self)(sub, n_threads=self.n_threads)

    def cuts(self, block_rows: int | None = None) -> list[int]:
        """Where blocks start and end: every ``block_rows`` rows (default:
        the backend's), moved forward to the next change of ``segments`` (a
        group of rows is never split), with thread spans made of whole blocks."""
        segments = getattr(self.design, "segments", None)
        step = block_rows or self.block_rows
        cuts = list(range(0, self.n_rows, step)) + [self.n_rows]
        if segments is None or self.n_rows == 0:
            return cuts
        changes = np.flatnonzero(segments[1:] != segments[:-1]) + 1
        ends = np.append(changes, self.n_rows)
        moved = ends[np.minimum(np.searchsorted(ends, cuts[1:]), ends.size - 1)]
        return [0, *sorted(set(moved.tolist()))]

    def blocks(self, start: int = 0, stop: int | None = None, cuts=None):
        d = self.design
        stop = self.n_rows if stop is None else stop
        cuts = [c for c in (cuts or self._cuts) if start <= c <= stop]
        for first, last in zip(cuts[:-1], cuts[1:]):
            rows = slice(first, last)
            yield Block(
                d.X[rows],
                d.y[rows],
                None if d.trials is None else d.trials[rows],
                None if d.weights is None else d.weights[rows],
                None if d.offset is None else d.offset[rows],
                None if d.groups is None else d.groups[rows],
                None if getattr(d, "segments", None) is None else d.segments[rows],
            )

    def _sum_rows(self, kernel, args, start, stop, cuts=None):
        total = None
        for block in self.blocks(start, stop, cuts):
            part = kernel(np, block, *args)
            if total is None:
                total = [np.array(x, dtype=np.float64) for x in part]
            else:
                for acc, x in zip(total, part):
                    acc += x
        return total

    def map_sum(self, kernel, *args):
        """Sum of ``kernel(np, block, *args)`` over all row blocks.

        With several threads, thread ``t`` sums a contiguous span of blocks and
        the spans' sums are added in order, so the result does not depend on
        timing.
        """
        self.passes.count(kernel)
        cuts = (
            self._streaming_cuts if getattr(kernel, "streaming", False) else self._cuts
        )
        n_blocks = len(cuts) - 1
        n_threads = min(self.n_threads, n_blocks)
        per = -(-n_blocks // max(n_threads, 1))
        spans = [
            (cuts[a], cuts[min(a + per, n_blocks)]) for a in range(0, n_blocks, per)
        ]
        with one_blas_thread():
            if n_threads <= 1:
                return tuple(self._sum_rows(kernel, args, 0, self.n_rows, cuts))
            futures = [
                _executor(n_threads).submit(self._sum_rows, kernel, args, a, b, cuts)
                for a, b in spans
            ]
            parts = [f.result() for f in futures]
        total = parts[0]
        for part in parts[1:]:
            for acc, x in zip(total, part):
                acc += x
        return tuple(total)

    def map_rows(self, kernel, *args, columns=()):
        """Per-row outputs of ``kernel(np, block, *args)``, blocks stacked in order.

        The kernel returns a tuple of arrays with one row per row of its block;
        the result is that tuple over all rows (NumPy arrays). ``columns`` (the
        width of each output, ``None`` for a vector) is what the lazy backends
        need to describe outputs they have not computed; here it is unused.
        """
        blocks = list(self.blocks())
        n_threads = min(self.n_threads, len(blocks))
        with one_blas_thread():
            if n_threads <= 1:
                parts = [kernel(np, block, *args) for block in blocks]
            else:  # map keeps the blocks' order
                pool = _executor(n_threads)
                parts = list(pool.map(lambda block: kernel(np, block, *args), blocks))
        return tuple(np.concatenate(outputs) for outputs in zip(*parts))
