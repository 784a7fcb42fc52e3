"""``newtonlogit fit DATA --dask [--scheduler ADDRESS]``: read with dask.dataframe.

DATA may be a glob (``'data/*.parquet'``) or a directory of Parquet files, or
CSV files; partitions are read by the workers, never gathered. Without
``--scheduler`` the fit runs on Dask's local threaded scheduler; with it, on
the ``dask.distributed`` scheduler at that address.
"""

from __future__ import annotations

import contextlib
import glob
from collections.abc import Iterator
from typing import Any

from ..exceptions import DataError
from ..files.tables import CSV_SUFFIXES, compression


@contextlib.contextmanager
def dask_session(scheduler: str | None) -> Iterator[None]:
    """Connect to ``scheduler`` (if given) for the duration of the fit."""
    try:
        import dask.dataframe  # noqa: F401
    except ImportError:
        raise DataError('--dask needs Dask: pip install "newtonlogit[dask]"') from None
    if scheduler is None:
        yield
        return
    import distributed

    try:
        client = distributed.Client(scheduler, timeout=10)
    except (OSError, TimeoutError) as exc:
        raise DataError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
    with client:
        yield


def read_dask_table(path: str) -> Any:
    """A dask DataFrame of the Parquet or CSV files at ``path``."""
    import dask.dataframe as dd

    if path == "-":
        raise DataError("--dask reads files, not standard input")
    if "://" not in path and not glob.glob(path):
        raise DataError(f"{path!r}: no such file(s)")
    try:
        if path.lower().endswith(CSV_SUFFIXES):
            # a compressed file is one partition (it cannot be split); a row
            # ending in a delimiter is not shifted into an index
            packed = compression(path)
            return dd.read_csv(
                path,
                index_col=False,
                compression=packed,
                blocksize=None if packed else "default",
            )
        return dd.read_parquet(path)
    except (FileNotFoundError, OSError) as exc:
        raise DataError(f"{path!r}: {exc}") from None
