"""Data files in, output files out: what the command line reads and writes.

- :func:`read_table` reads CSV or Parquet (by extension; ``-`` is CSV on
  standard input) into a pandas DataFrame, turning every way a file can be
  wrong into a :class:`~newtonlogit.DataError` that names the file and the
  problem. Long CSV reads report progress.
- :func:`atomic_write` writes a file so that it is never seen half-written:
  the bytes go to a temporary file in the same folder, which is flushed,
  synced and then renamed over the target (``os.replace`` is atomic on POSIX
  and Windows).

Parquet needs pyarrow, the ``parquet`` extra: ``pip install
'newtonlogit[parquet]'``.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pandas as pd

from ..exceptions import DataError

CSV_SUFFIXES = (".csv", ".txt", ".csv.gz", ".csv.bz2", ".csv.zip", ".csv.xz")
PARQUET_SUFFIXES = (".parquet", ".pq")
_CHUNK_ROWS = 500_000
_PROGRESS_SECONDS = 1.0


def table_kind(path: str) -> str:
    """``"csv"`` or ``"parquet"`` from a file name (``-`` is CSV)."""
    name = str(path).lower()
    if name == "-" or name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    raise DataError(
        f"{path}: unknown file type; use a .csv or .parquet file (or - for CSV "
        "on standard input)"
    )


def read_table(
    path: str, progress: Callable[[str], None] | None = None
) -> pd.DataFrame:
    """Read a CSV or Parquet file into a DataFrame.

    Parameters
    ----------
    path : str
        File name, or ``-`` for CSV on standard input.
    progress : callable, optional
        Called with a line of text every second or so during a long read.

    Raises
    ------
    DataError
        Missing or unreadable file, empty file, malformed CSV, Parquet
        without pyarrow, a file with a header but no rows.
    """
    kind = table_kind(path)
    label = "standard input" if path == "-" else repr(str(path))
    try:
        if kind == "parquet":
            frame = _read_parquet(path, label)
        elif path == "-":
            frame = _read_csv(sys.stdin.buffer, label, None, progress)
        else:
            with open(path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                frame = _read_csv(handle, label, size, progress)
    except FileNotFoundError:
        raise DataError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{label} is a folder, not a data file") from None
    except PermissionError:
        raise DataError(f"{label}: permission denied") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"{label} is not a text CSV file ({exc.reason})") from None
    if frame.shape[1] == 0:
        raise DataError(f"{label} has no columns")
    if frame.shape[0] == 0:
        raise DataError(f"{label} has a header but no data rows")
    return frame


def _read_csv(handle: IO[bytes], label: str, size, progress) -> pd.DataFrame:
    start, last = time.monotonic(), time.monotonic()
    chunks, rows = [], 0
    try:
        reader = pd.read_csv(handle, chunksize=_CHUNK_ROWS)
        for chunk in reader:
            chunks.append(chunk)
            rows += chunk.shape[0]
            if progress is not None and time.monotonic() - last >= _PROGRESS_SECONDS:
                last = time.monotonic()
                done = _done(handle, size)
                progress(f"read {rows:,} rows{done} in {last - start:.0f} s")
    except pd.errors.EmptyDataError:
        raise DataError(f"{label} is empty") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{label} is not valid CSV: {_first_line(exc)}") from None
    if not chunks:
        raise DataError(f"{label} is empty")
    return chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)


def _done(handle, size) -> str:
    if not size:
        return ""
    try:
        return f" ({100 * handle.tell() / size:.0f}%)"
    except (OSError, io.UnsupportedOperation):
        return ""


def _read_parquet(path: str, label: str) -> pd.DataFrame:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(
            "reading Parquet needs pyarrow: pip install 'newtonlogit[parquet]'"
        ) from None
    import pyarrow as pa

    try:
        return pq.read_table(path).to_pandas()
    except (pa.ArrowInvalid, pa.ArrowException) as exc:
        if not Path(path).exists():
            raise FileNotFoundError(path) from None
        raise DataError(f"{label} is not a valid Parquet file: {exc}") from None


def write_table(frame: pd.DataFrame, path: str | None) -> None:
    """Write ``frame`` as CSV to ``path`` (stdout if None or ``-``) or as
    Parquet by extension; files are written atomically."""
    if path is None or path == "-":
        frame.to_csv(sys.stdout, index=False)
        return
    if table_kind(path) == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise DataError(
                "writing Parquet needs pyarrow: pip install 'newtonlogit[parquet]'"
            ) from None
        with atomic_write(path, "wb") as handle:
            frame.to_parquet(handle, index=False)
    else:
        with atomic_write(path, "w") as handle:
            frame.to_csv(handle, index=False)


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **kwargs: Any):
    """Open a temporary file next to ``path``; on success rename it to
    ``path``, on any error remove it and leave ``path`` untouched."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DataError(f"cannot write {str(path)!r}: folder {str(folder)!r} not found")
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
        kwargs.setdefault("newline", "")
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    # mkstemp creates 0600 files; give the result the permissions of a plain
    # open(). os.umask can only be read by setting it.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["atomic_write", "read_table", "table_kind", "write_table"]
