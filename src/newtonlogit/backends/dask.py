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
from dataclasses import dataclass
from typing import Any

import dask
import dask.array
import numpy as np

from ..exceptions import DataError
from ..kernels.block import Block
from . import backend_for
from .namespace import to_numpy

# Partial sums are added in groups of this many per task: a tree of depth
# log_8(partitions), so no single task receives all partitions' results.
SPLIT_EVERY = 8


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
        setting = dask.config.get("newtonlogit.persist", "auto")
        self.persisted = should_persist(
            sum(a.nbytes for a in self._source.values()),
            setting if persist is None else persist,
        )
        self._use(_persist(self._source) if self.persisted else self._source)

    @property
    def n_partitions(self) -> int:
        return len(self.stops)

    def _use(self, arrays: dict) -> None:
        self._arrays = arrays  # holds the persisted futures, if any
        self._fields = tuple(arrays)
        chunks = [np.ravel(arrays[f].to_delayed()) for f in self._fields]
        self._partitions = list(zip(*chunks))

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
        job = dask.delayed(_Pass(kernel, args, self._fields, names), traverse=False)
        starts = (0, *self.stops[:-1])
        parts = [
            dask.delayed(_partition_sums, pure=False)(job, i, start, *chunks)
            for i, (start, chunks) in enumerate(zip(starts, self._partitions))
        ]
        try:
            (total,) = dask.compute(_tree_sum(parts))
        except DataError as exc:
            error = exc
        else:
            if total is None:
                raise DataError("every partition of X is empty: a fit needs data")
            return total
        # outside the except block, so the traceback no longer pins the pass's
        # futures: the cluster forgets them as soon as the error is handled
        del parts
        self.release()
        raise error.with_traceback(None)


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


def _partition_sums(job: _Pass, index: int, start: int, *chunks):
    """Run on a worker: the kernel's sums over one partition, in row blocks."""
    block = Block(**dict(zip(job.fields, chunks)))
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
