"""Dask backend: one task per partition, a tree sum, the p x p solve on the client.

Conventions
-----------
- The design holds dask arrays (see :mod:`newtonlogit.data.dask`): ``X`` is
  row-chunked with all its columns in one block, and ``y``, ``trials``,
  ``weights`` and ``offset`` are split into the same row chunks as ``X``. Chunk
  ``i`` of every array is *partition* ``i``.
- ``map_sum(kernel, *args)`` builds one task per partition that runs the
  kernel (the same functions of :mod:`newtonlogit.kernels`, over row blocks
  of the partition, through the backend of the partition's chunks: NumPy, or
  CuPy on a GPU) and returns its tuple of sums, then a
  tree of tasks adding those tuples up. The graph is computed on whatever
  scheduler is active: a ``dask.distributed`` client if one is the default,
  else Dask's local threaded scheduler. Only the p x p sums travel back.
- The kernel and its arguments are put in the graph once per pass, as one
  shared task, so a ``(k, k)`` argument is not copied into every partition's
  task.
- A kernel marked :func:`~newtonlogit.kernels.block.response_only` gets a pass
  without ``X``: its tasks depend on the chunks of ``y``, trials, weights and
  offset only, so a source that reads columns separately (Parquet, a
  DataFrame's columns) reads no ``X``. ``passes`` counts both kinds
  (:mod:`newtonlogit.backends.passes`).

Warm start
----------
:meth:`DaskBackend.subsample` gathers the rows of a warm start
(:mod:`newtonlogit.solver.warmstart`) to the client as an in-memory backend,
reading only the partitions that hold them; :meth:`DaskBackend.sampling_frame`
says where to draw them from. Persisted partitions are in memory, so the rows
are drawn from all of them, as in memory. Streamed ones are read whole from
the source, so the rows are drawn from a few partitions picked at random,
just enough to hold them: at 100 equal partitions and one row in 20, 5
partitions, a twentieth of a pass over ``X``. Streamed, a pass costs the read
of every partition whatever it computes, so a score-only pass saves nothing
over a Newton pass (``score_pass_cost``): the fit then takes plain Newton
steps from the warm start instead of steps steered by the subsample's
information.

Persist or stream
-----------------
When the arrays fit in memory they are persisted (computed once and kept by
the workers, or in local memory for the threaded scheduler) for the duration of
the fit; otherwise every pass re-reads the partitions from their source
(Parquet files, ...), holding only a few partitions at a time. The rule, set by
the Dask config key ``newtonlogit.persist``:

- ``"auto"`` (default): persist when the arrays' size is at most
  ``newtonlogit.persist-fraction`` (default 0.5) of the memory limit summed over
  the distributed workers (stream if a worker has no limit), or of the
  machine's memory under the local scheduler;
- ``True`` / ``False``: always / never persist.

For example ``with dask.config.set({"newtonlogit.persist": False}): ...``. The
persisted copy is dropped when the fit ends (:meth:`DaskBackend.release`);
later passes (profile likelihood, ...) stream from the source. If a worker is
lost, Dask recomputes its partitions from their source and the pass goes on.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace
from typing import Any

import dask
import dask.array
import numpy as np

from ..exceptions import DataError
from ..kernels.block import Block, reads_X
from . import backend_for
from .namespace import device_of, namespace_of, to_numpy
from .numpy import pass_costs
from .passes import PassCount

# Partial sums are added in groups of this many per task: a tree of depth
# log_8(partitions), so no single task receives all partitions' results.
SPLIT_EVERY = 8
# The cost of a score-only pass in Newton passes when partitions are streamed
# from their source: the read of every partition, whatever the pass computes.
STREAMED_SCORE_PASS_COST = 1.0


@dataclass(frozen=True)
class _Pass:
    """What every partition task of one pass needs besides its chunks."""

    kernel: Any
    args: tuple
    fields: tuple[str, ...]  # the Block fields the chunks fill, in order
    names: tuple[str, ...]  # X's column names, for error messages


class DaskBackend:
    """Row partitions of dask arrays; block sums added by a tree of tasks."""

    name = "dask"

    def __init__(self, design, *, persist: bool | str | None = None):
        self.design = design
        self.n_rows = int(design.X.shape[0])
        rows = design.X.chunks[0]
        self._source = {
            field: _partitioned(getattr(design, field), rows)
            for field in Block._fields
            if getattr(design, field, None) is not None
        }
        self.stops = tuple(int(s) for s in np.cumsum(design.X.chunks[0]))
        self.passes = PassCount()
        setting = dask.config.get("newtonlogit.persist", "auto")
        self.persisted = should_persist(
            sum(a.nbytes for a in self._source.values()),
            setting if persist is None else persist,
        )
        self._use(_persist(self._source) if self.persisted else self._source)

    @property
    def n_partitions(self) -> int:
        return len(self.stops)

    @property
    def score_pass_cost(self) -> float:
        """A score-only pass's cost in Newton passes: in memory (persisted) as
        for NumPy arrays; streamed, a pass costs its read (see the module
        docstring)."""
        if self.persisted:
            return pass_costs(self.design.X.shape[1])[0]
        return STREAMED_SCORE_PASS_COST

    @property
    def steer_pass_cost(self) -> float | None:
        """A steering pass's cost (float32 Gram on NumPy chunks) where the
        partitions are in memory, as for NumPy arrays; streamed, ``None``."""
        return pass_costs(self.design.X.shape[1])[1] if self.persisted else None

    def _use(self, arrays: dict) -> None:
        self._arrays = arrays  # holds the persisted futures, if any
        self._fields = tuple(arrays)
        self._chunks = {f: list(np.ravel(arrays[f].to_delayed())) for f in arrays}

    def _partitions(self, fields) -> list:
        return list(zip(*(self._chunks[f] for f in fields)))

    def sampling_frame(self, m: int, seed: int = 0) -> np.ndarray | None:
        """The rows a warm start's ``m`` rows are drawn from: every row of
        partitions picked at random until they hold ``m`` (streamed), or
        ``None`` for all rows (persisted, or where every partition is needed)."""
        if self.persisted:
            return None
        sizes = np.diff((0, *self.stops))
        order = np.random.default_rng(seed).permutation(sizes.size)
        enough = np.searchsorted(np.cumsum(sizes[order]), m) + 1
        if enough >= sizes.size:
            return None
        starts = np.asarray((0, *self.stops[:-1]))
        picked = np.sort(order[:enough])
        return np.concatenate(
            [np.arange(starts[i], starts[i] + sizes[i]) for i in picked]
        )

    def subsample(self, rows: np.ndarray, scale: np.ndarray | None = None):
        """An in-memory backend over a copy of the given (sorted) rows, their
        weights multiplied by ``scale`` where given: one task per partition
        that holds some, the rows gathered on the client (NumPy chunks make a
        NumPy backend). Counts as the share of ``X`` read: the partitions
        holding the rows where they stream from the source, the rows
        themselves where they are persisted."""
        rows = np.asarray(rows, dtype=np.int64)
        starts = np.asarray((0, *self.stops[:-1]))
        which = np.searchsorted(self.stops, rows, side="right")
        picked = np.unique(which)
        partitions = self._partitions(self._fields)
        tasks = [
            dask.delayed(_take_rows)(rows[which == i] - starts[i], *partitions[i])
            for i in picked
        ]
        parts = dask.compute(*tasks)
        read = (
            rows.size
            if self.persisted
            else sum(self.stops[i] - starts[i] for i in picked)
        )
        self.passes.X += read / max(self.n_rows, 1)
        taken = {
            f: namespace_of(parts[0][j]).concat([part[j] for part in parts])
            for j, f in enumerate(self._fields)
        }
        if scale is not None:
            w = taken.get("weights")
            taken["weights"] = scale if w is None else w * scale
        sub = replace(
            self.design,
            **{f: taken.get(f) for f in Block._fields},
            totals=None,
        )
        return backend_for(sub.X)(sub)

    def release(self) -> None:
        """Drop the persisted copy (if any); later passes stream from the source."""
        if self.persisted:
            self.persisted = False
            self._use(self._source)

    def map_sum(self, kernel, *args):
        """Sum of ``kernel(np, block, *args)`` over all row blocks of all partitions.

        One task per partition, a tree sum, one ``dask.compute``. A partition
        whose sums are not finite because its data are not raises
        :class:`~newtonlogit.DataError` naming the partition, row and column;
        the persisted copy is then released and no task of the pass is kept.
        """
        names = tuple(self.design.feature_names)
        self.passes.count(kernel)
        fields = self._fields
        if not reads_X(kernel):  # (its tasks never touch X's chunks)
            fields = tuple(f for f in fields if f != "X")
        job = dask.delayed(_Pass(kernel, args, fields, names), traverse=False)
        starts = (0, *self.stops[:-1])
        parts = [
            dask.delayed(_partition_sums, pure=False)(
                job, i, start, *chunks, rows=stop - start
            )
            for i, (start, stop, chunks) in enumerate(
                zip(starts, self.stops, self._partitions(fields))
            )
        ]
        try:
            (total,) = dask.compute(_tree_sum(parts))
        except DataError as exc:
            error = exc
        else:
            if total is None:
                raise DataError("every partition of X is empty: a fit needs data")
            # copies: arrays unpickled from a worker's buffers may be unaligned,
            # which some of SciPy's linear algebra refuses
            return tuple(np.array(x, dtype=np.float64) for x in total)
        # outside the except block, so the traceback no longer pins the pass's
        # futures: the cluster forgets them as soon as the error is handled
        del parts
        self.release()
        raise error.with_traceback(None)

    def map_rows(self, kernel, *args, columns=()):
        """Per-row outputs of ``kernel(np, block, *args)`` as lazy dask arrays.

        Nothing is computed: each output is a dask array chunked as ``X``'s
        rows, one task per partition (the kernel over the partition's blocks).
        ``columns`` gives the width of each output (``None`` for a vector), which
        a lazy array must know before it is computed. The outputs depend on the
        source arrays, never on this backend's persisted copy, which goes when
        the backend does.
        """
        sources = [np.ravel(self._source[f].to_delayed()) for f in self._fields]
        job = dask.delayed(
            _Pass(kernel, args, self._fields, tuple(self.design.feature_names)),
            traverse=False,
        )
        sizes = np.diff((0, *self.stops))
        parts = [
            dask.delayed(_partition_rows, pure=True, nout=len(columns))(
                job, columns, *chunks
            )
            for chunks in zip(*sources)
        ]
        outputs = []
        for j, width in enumerate(columns):
            shape = () if width is None else (width,)
            pieces = [
                dask.array.from_delayed(part[j], (int(m), *shape), dtype=np.float64)
                for part, m in zip(parts, sizes)
            ]
            outputs.append(dask.array.concatenate(pieces, axis=0))
        return tuple(outputs)


def _partition_rows(job: _Pass, columns: tuple, *chunks):
    """Run on a worker: the kernel's per-row outputs over one partition."""
    block = Block(**dict(zip(job.fields, chunks)))
    if block.X.shape[0] == 0:
        return tuple(np.empty((0,) if c is None else (0, c)) for c in columns)
    return backend_for(block.X)(block).map_rows(job.kernel, *job.args)


def _partitioned(values, rows: tuple):
    """A per-row array split into X's row partitions (in-memory ones included,
    e.g. cluster codes made on the client)."""
    if isinstance(values, np.ndarray):
        return dask.array.from_array(values, chunks=(rows, *values.shape[1:]))
    return values


def _tree_sum(parts: list):
    while len(parts) > 1:
        parts = [
            dask.delayed(_add_sums, pure=False)(*parts[i : i + SPLIT_EVERY])
            for i in range(0, len(parts), SPLIT_EVERY)
        ]
    return parts[0]


def _add_sums(*parts):
    """Elementwise sum of kernel tuples (``None`` marks an empty partition)."""
    total = None
    for part in parts:
        if part is None:
            continue
        if total is None:
            total = tuple(np.array(x, dtype=np.float64) for x in part)
        else:
            for acc, x in zip(total, part):
                acc += x
    return total


def _take_rows(local: np.ndarray, *chunks):
    """Run on a worker: the given rows of one partition's chunks (taken where
    they live: NumPy, or CuPy on its GPU)."""
    out = []
    for chunk in chunks:
        xp = namespace_of(chunk)
        out.append(xp.take(chunk, xp.asarray(local, device=device_of(chunk)), axis=0))
    return tuple(out)


def _block(job: _Pass, chunks) -> Block:
    """The partition's chunks as a block; without ``X`` (a response-only
    pass), a stand-in of no columns in ``y``'s library."""
    parts = dict(zip(job.fields, chunks))
    if "X" not in parts:
        parts["X"] = parts["y"][:, None][:, :0]
    return Block(**parts)


def _partition_sums(job: _Pass, index: int, start: int, *chunks, rows=None):
    """Run on a worker: the kernel's sums over one partition, in row blocks.

    ``rows``: the partition's length as the design took it (from a source's
    metadata, say), checked against every chunk's.
    """
    if rows is not None and any(chunk.shape[0] != rows for chunk in chunks):
        found = sorted({int(chunk.shape[0]) for chunk in chunks})
        raise DataError(
            f"partition {index} has {found} rows where {rows} were expected "
            "(the source changed since the fit began?): partition the data again"
        )
    block = _block(job, chunks)
    if block.X.shape[0] == 0:
        return None
    # NumPy chunks, or CuPy chunks summed on their GPU; host sums either way
    sums = backend_for(block.X)(block).map_sum(job.kernel, *job.args)
    if not all(np.isfinite(s).all() for s in sums):
        _check_finite(block, index, start, job.names)
    return sums


def _check_finite(block: Block, index: int, start: int, names) -> None:
    """Raise naming the first non-finite value of the partition's data."""
    stop = start + block.X.shape[0] - 1
    for field, values in block._asdict().items():
        if values is None:
            continue
        values = to_numpy(values)
        bad = ~np.isfinite(values)
        if not bad.any():
            continue
        where = np.argwhere(bad)[0]
        column = f", column {names[where[1]]!r}" if values.ndim == 2 else ""
        raise DataError(
            f"{field} has a non-finite value ({values[tuple(where)]}) in partition "
            f"{index} (rows {start}-{stop}), at row {start + int(where[0])}"
            f"{column}: remove or impute missing values"
        )


def _persist(arrays: dict) -> dict:
    keys = list(arrays)
    return dict(zip(keys, dask.persist(*arrays.values())))


def should_persist(nbytes: float, setting="auto") -> bool:
    """The persist-or-stream rule of the module docstring."""
    if isinstance(setting, bool):
        return setting
    if setting != "auto":
        raise ValueError(
            f"newtonlogit.persist must be 'auto', True or False; got {setting!r}"
        )
    budget = memory_budget()
    fraction = float(dask.config.get("newtonlogit.persist-fraction", 0.5))
    return budget is not None and nbytes <= fraction * budget


def memory_budget() -> float | None:
    """Memory the active scheduler can hold: the distributed workers' summed
    memory limit, or the machine's memory for the local scheduler."""
    client = _default_client()
    if client is not None:
        workers = client.scheduler_info(n_workers=-1)["workers"].values()
        limits = [w.get("memory_limit") or 0 for w in workers]
        return float(sum(limits)) if limits and all(limits) else None
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def _default_client():
    """The distributed client ``dask.compute`` will use, if any (never imports)."""
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return None
    try:
        client = distributed.default_client()
    except ValueError:
        return None
    scheduler = dask.base.get_scheduler()
    return client if getattr(scheduler, "__self__", None) is client else None
