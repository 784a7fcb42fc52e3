"""Data files in, output files out: what the command line reads and writes.

- :func:`read_table` reads CSV (plain or compressed: ``.csv.gz``,
  ``.csv.bz2``, ``.csv.xz``, ``.csv.zip``) or Parquet, by extension (``-`` is
  CSV on standard input), into a pandas DataFrame, turning every way a file
  can be wrong into a :class:`~newtonlogit.DataError` that names the file and
  the problem. Long CSV reads report progress. Rows ending in a delimiter
  (``1,2,3,``) are read as they are meant, never shifted by a column; rows
  with more fields than the header are refused.
- :func:`atomic_write` writes a file so that it is never seen half-written:
  the bytes go to a temporary file in the same folder, which is flushed,
  synced and then renamed over the target (``os.replace`` is atomic on POSIX
  and Windows). Errors name the target, never the temporary file.
- :func:`write_files` writes several files all or none: each target is
  checked and every content staged before any target is replaced.

Parquet needs pyarrow, the ``parquet`` extra: ``pip install
'newtonlogit[parquet]'``.
"""

from __future__ import annotations

import io
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import IO, Any

import pandas as pd

from ..exceptions import DataError

COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz", ".zip": "zip"}
CSV_SUFFIXES = tuple(
    base + packed for base in (".csv", ".txt") for packed in ("", *COMPRESSIONS)
)
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
                frame = _read_csv(handle, label, size, progress, compression(path))
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


def compression(path: str) -> str | None:
    """pandas' name of the compression a file name ends in, or None."""
    name = str(path).lower()
    return next((c for s, c in COMPRESSIONS.items() if name.endswith(s)), None)


def _read_csv(
    handle: IO[bytes], label: str, size, progress, packed: str | None = None
) -> pd.DataFrame:
    start, last = time.monotonic(), time.monotonic()
    chunks, rows = [], 0
    try:
        with warnings.catch_warnings():
            # index_col=False: a row ending in a delimiter is not shifted into
            # an index; a row with more fields than the header is an error
            warnings.simplefilter("error", pd.errors.ParserWarning)
            reader = pd.read_csv(
                handle, chunksize=_CHUNK_ROWS, index_col=False, compression=packed
            )
            for chunk in reader:
                chunks.append(chunk)
                rows += chunk.shape[0]
                if (
                    progress is not None
                    and time.monotonic() - last >= _PROGRESS_SECONDS
                ):
                    last = time.monotonic()
                    done = _done(handle, size)
                    progress(f"read {rows:,} rows{done} in {last - start:.0f} s")
    except pd.errors.EmptyDataError:
        raise DataError(f"{label} is empty") from None
    except pd.errors.ParserError as exc:
        raise DataError(f"{label} is not valid CSV: {_first_line(exc)}") from None
    except pd.errors.ParserWarning:
        raise DataError(
            f"{label} is not valid CSV: a row has more fields than the header"
        ) from None
    except (EOFError, OSError, ValueError) as exc:  # damaged archive
        if packed is None or isinstance(exc, UnicodeDecodeError):
            raise
        raise DataError(
            f"{label} is not a valid {packed} file: {_first_line(exc)}"
        ) from None
    if not chunks:
        raise DataError(f"{label} is empty")
    frame = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
    return _without_trailing_empty(frame)


def _without_trailing_empty(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop the nameless, empty last column a header ending in a delimiter
    (``a,b,``) makes."""
    last = str(frame.columns[-1]) if frame.shape[1] else ""
    if last.startswith("Unnamed: ") and frame.iloc[:, -1].isna().all():
        return frame.iloc[:, :-1]
    return frame


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
        packed = compression(path)
        options = {"method": packed} if packed else None
        if packed == "zip":
            options["archive_name"] = Path(path).name[: -len(".zip")]
        with atomic_write(path, "wb") as handle:
            frame.to_csv(handle, index=False, compression=options)


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **kwargs: Any):
    """Open a temporary file next to ``path``; on success rename it to
    ``path``, on any error remove it and leave ``path`` untouched."""
    target = check_target(path)
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
        kwargs.setdefault("newline", "")
    try:
        fd, temp = tempfile.mkstemp(
            dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
        )
    except OSError as exc:
        raise _naming(exc, path) from None
    try:
        with os.fdopen(fd, mode, **kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o666 & ~_umask())
        os.replace(temp, target)
    except BaseException as exc:
        Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename in (temp, None):
            raise _naming(exc, path) from None
        raise


def check_target(path: str | os.PathLike) -> Path:
    """``path`` as a file that can be written: its folder exists, and it is
    not itself a folder. Raises :class:`DataError` naming it."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise DataError(f"cannot write {str(path)!r}: folder {str(folder)!r} not found")
    if target.is_dir():
        raise DataError(f"cannot write {str(path)!r}: it is a folder")
    return folder / target.name


def write_files(contents: dict[str, str | bytes]) -> None:
    """Write every ``{path: content}`` or none: each target is checked and
    every content staged next to it before the first target is replaced."""
    targets = [check_target(p).resolve() for p in contents]
    if len(set(targets)) < len(targets):
        raise DataError(f"the output files {list(contents)} must be different files")
    with ExitStack() as stack:
        for path, content in contents.items():
            mode = "wb" if isinstance(content, bytes) else "w"
            stack.enter_context(atomic_write(path, mode)).write(content)


def _naming(exc: OSError, path) -> OSError:
    """The same error, naming the target instead of a temporary file."""
    return OSError(exc.errno, exc.strerror or _first_line(exc), str(path))


def _umask() -> int:
    # mkstemp creates 0600 files; give the result the permissions of a plain
    # open(). os.umask can only be read by setting it.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = [
    "atomic_write",
    "check_target",
    "read_table",
    "table_kind",
    "write_files",
    "write_table",
]
