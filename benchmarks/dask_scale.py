"""Larger than memory: newtonlogit's Dask backend next to dask-ml on one cluster.

Writes a Parquet dataset several times larger than the summed memory limit of a
``LocalCluster``'s workers, then fits it with

- ``newtonlogit.logit`` (exact Newton, partitions streamed from Parquet),
- the same with ``subsample_start=False``: the previous method, Newton from
  the intercept-only start (no warm start from a sample of partitions),
- with ``--baseline SRC``, the newtonlogit package found in the folder ``SRC``
  (another checkout's ``src``, on the client and the workers): the A/B of
  two versions of the library in one run,
- dask-ml ``LogisticRegression(solver="newton")`` (unpenalized Newton),
- dask-ml ``LogisticRegression()`` (its default: ADMM, L2 with C=1),

each in a fresh process with a fresh cluster of the same shape, and reports
total time, time per iteration, the passes over X (the reads of the files'
feature columns, counted where they happen, divided by the number of files:
the same count for every method and version), peak worker memory (the RSS the workers
report to the scheduler, sampled every 0.5 s) and the ratios to newtonlogit.
Each fit has a wall-clock limit; one that runs past it is reported as such.

Usage (needs ``pip install dask-ml``; writes under benchmarks/_data/)::

    python benchmarks/dask_scale.py                    # ~6.3 GB, 4 x 500 MB
    python benchmarks/dask_scale.py --rows 400000 --workers 2   # smoke test
    python benchmarks/dask_scale.py --rows 400000 --workers 2 --stream \
        --methods newtonlogit,"newtonlogit (previous)"   # without dask-ml

``--stream`` never persists the partitions (as for data larger than the
workers' memory), so that a smoke-sized run streams every pass from Parquet.

The data are deleted at the end unless ``--keep-data``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
READ_LOG = "NEWTONLOGIT_BENCH_READS"  # (a file each read of X adds a line to)
METHODS = (
    "newtonlogit",
    "newtonlogit (previous)",
    "newtonlogit (baseline)",
    "dask-ml newton",
    "dask-ml admm (default)",
)


def write_data(path: Path, rows: int, features: int, rows_per_file: int) -> dict:
    """Simulated logistic data, one Parquet file per partition (never all in RAM)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.mkdir(parents=True, exist_ok=True)
    beta = np.linspace(-1, 1, features + 1)
    lengths = []
    rng = np.random.default_rng(0)
    for i, start in enumerate(range(0, rows, rows_per_file)):
        m = min(rows_per_file, rows - start)
        X = rng.standard_normal((m, features))
        eta = beta[0] + X @ beta[1:]
        y = (rng.random(m) < 1 / (1 + np.exp(-eta))).astype(np.float64)
        columns = {f"x{j + 1}": X[:, j] for j in range(features)} | {"y": y}
        pq.write_table(pa.table(columns), path / f"part-{i:05d}.parquet")
        lengths.append(m)
    nbytes = sum(f.stat().st_size for f in path.glob("*.parquet"))
    meta = {"rows": rows, "features": features, "lengths": lengths, "bytes": nbytes}
    (path / "meta.json").write_text(json.dumps(meta))
    return meta


def load(path: Path, meta: dict):
    """X and y as dask arrays: one chunk per file, sizes from the metadata.

    Built from one delayed pyarrow read per file rather than through
    ``dask.dataframe``, whose optimizer may fuse a projected Parquet frame's
    partitions (differently for X and for y).
    """
    import dask
    import dask.array as da

    files = sorted(path.glob("*.parquet"))
    features = [f"x{j + 1}" for j in range(meta["features"])]
    X_parts, y_parts = [], []
    for file, m in zip(files, meta["lengths"]):
        X_read = dask.delayed(_read_columns)(str(file), features)
        y_read = dask.delayed(_read_columns)(str(file), ["y"])
        X_parts.append(da.from_delayed(X_read, (m, len(features)), np.float64))
        y_parts.append(da.from_delayed(y_read, (m, 1), np.float64)[:, 0])
    return da.concatenate(X_parts), da.concatenate(y_parts)


def _read_columns(file: str, columns: list[str]) -> np.ndarray:
    import pyarrow.parquet as pq

    log = os.environ.get(READ_LOG)
    if log and columns != ["y"]:  # (one line per read of a file's X)
        with open(log, "a") as f:
            f.write(file + "\n")
    table = pq.read_table(file, columns=columns)
    return np.column_stack([table[c].to_numpy() for c in columns])


class MemoryMonitor:
    """Samples the workers' RSS, as reported to the scheduler, in a thread."""

    def __init__(self, client, every: float = 0.5):
        self.client, self.every = client, every
        self.peak_worker = 0.0
        self.peak_total = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            workers = self.client.scheduler_info(n_workers=-1)["workers"].values()
            rss = [w["metrics"]["memory"] for w in workers]
            if rss:
                self.peak_worker = max(self.peak_worker, max(rss))
                self.peak_total = max(self.peak_total, sum(rss))
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def run_one(method: str, args) -> dict:
    """One fit in this process, on a fresh cluster; prints a JSON line."""
    import dask
    import dask.array as da
    import distributed

    path = Path(args.data)
    meta = json.loads((path / "meta.json").read_text())
    reads = path / f"reads-{os.getpid()}.log"
    os.environ[READ_LOG] = str(reads)  # (before the workers start: they inherit it)
    reads.unlink(missing_ok=True)
    with (
        distributed.LocalCluster(
            n_workers=args.workers,
            threads_per_worker=1,
            memory_limit=args.memory,
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        X, y = load(path, meta)
        stamps: list[float] = []
        passes = None
        # the library is imported, here and on the workers, before the clock
        # starts: a fit's time, not an import's (newtonlogit's import, with
        # pandas and SciPy, took ~2 s here and ~1 s on a fresh worker)
        if method.startswith("newtonlogit"):
            import newtonlogit as nl
            from newtonlogit.backends.dask import should_persist

            library = "newtonlogit"
        else:
            from dask_ml.linear_model import LogisticRegression

            library = "dask_ml.linear_model"
        client.run(importlib.import_module, library)
        start = time.perf_counter()
        with (
            MemoryMonitor(client) as memory,
            dask.config.set({"newtonlogit.persist": False if args.stream else "auto"}),
        ):
            if method.startswith("newtonlogit"):
                res = nl.logit(
                    X,
                    y,
                    callback=lambda row: _stamp(stamps),
                    subsample_start=method != "newtonlogit (previous)",
                )
                coef, n_iter = res.coef, res.n_iter
                persisted = not args.stream and should_persist(X.nbytes)
                kinds = "/".join(res.history["pass"].str[0])
                note = f"{res.message}; persisted: {persisted}; passes {kinds}"
            else:
                original = da.compute

                def counted(*a, **k):  # dask-glm computes once per iteration
                    _stamp(stamps)
                    return original(*a, **k)

                da.compute = counted
                solver = "newton" if "newton" in method else "admm"
                est = LogisticRegression(solver=solver).fit(X, y)
                coef = np.r_[est.intercept_, est.coef_]
                # the first compute is dask-glm's normalization pass
                n_iter, note = len(stamps) - 1, f"solver={solver}"
                stamps = stamps[1:]
        total = time.perf_counter() - start
    if reads.exists():  # (the loading itself reads no file)
        passes = len(reads.read_text().splitlines()) / len(meta["lengths"])
        reads.unlink()
    truth = np.linspace(-1, 1, meta["features"] + 1)
    out = {
        "method": method,
        "total_s": total,
        "n_iter": n_iter,
        "passes_X": passes,
        "per_iter_s": _per_iteration(stamps, total, n_iter),
        "peak_worker_rss": memory.peak_worker,
        "peak_total_rss": memory.peak_total,
        "max_abs_err_vs_truth": float(np.max(np.abs(coef - truth))),
        "coef": [float(c) for c in coef],
        "note": note,
    }
    print(json.dumps(out), flush=True)
    return out


def _stamp(stamps: list) -> None:
    """Record (and print, for a run cut by the timeout) the start of a pass."""
    stamps.append(time.perf_counter())
    print(f"stamp {stamps[-1]}", flush=True)


def _per_iteration(stamps, total, n_iter) -> float:
    if len(stamps) >= 2:
        return float(np.median(np.diff(stamps)))
    return total / max(n_iter, 1)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=37_500_000)
    parser.add_argument("--features", type=int, default=20)
    parser.add_argument("--rows-per-file", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--memory", default="500MB", help="memory limit per worker")
    parser.add_argument("--timeout", type=float, default=1500, help="s per fit")
    parser.add_argument("--data", default=str(HERE / "_data" / "dask_scale"))
    parser.add_argument("--keep-data", action="store_true")
    parser.add_argument("--stream", action="store_true", help="never persist")
    parser.add_argument(
        "--methods",
        default=",".join(METHODS),
        help="comma-separated, of " + ", ".join(METHODS),
    )
    parser.add_argument(
        "--baseline",
        help="folder holding another newtonlogit package (a checkout's src), "
        "fitted as the method 'newtonlogit (baseline)'",
    )
    parser.add_argument("--run", choices=METHODS, help=argparse.SUPPRESS)
    parser.add_argument("--json", default=str(HERE / "_data" / "dask_scale.json"))
    args = parser.parse_args(argv)
    if args.run:
        run_one(args.run, args)
        return

    path = Path(args.data)
    t = time.perf_counter()
    meta = write_data(path, args.rows, args.features, args.rows_per_file)
    print(
        f"wrote {meta['rows']:,} rows x {meta['features']} features, "
        f"{meta['bytes'] / 1e9:.2f} GB in {len(meta['lengths'])} files "
        f"({time.perf_counter() - t:.0f} s); cluster: {args.workers} workers x "
        f"{args.memory}",
        flush=True,
    )
    methods = [m.strip() for m in args.methods.split(",")]
    if args.baseline and "newtonlogit (baseline)" not in methods:
        methods.insert(1, "newtonlogit (baseline)")
    if unknown := set(methods) - set(METHODS):
        parser.error(f"unknown method(s) {sorted(unknown)}")
    results = []
    try:
        for method in methods:
            results.append(_run_subprocess(method, args))
    finally:
        if not args.keep_data:
            shutil.rmtree(path, ignore_errors=True)
    Path(args.json).write_text(json.dumps({"meta": meta, "results": results}))
    print(report(meta, args, results))


def _run_subprocess(method: str, args) -> dict:
    command = [sys.executable, __file__, "--run", method, "--data", args.data]
    command += ["--workers", str(args.workers), "--memory", args.memory]
    command += ["--stream"] if args.stream else []
    env = dict(os.environ)
    if method == "newtonlogit (baseline)":
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (args.baseline, env.get("PYTHONPATH")) if p
        )
    t = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=args.timeout, env=env
        )
    except subprocess.TimeoutExpired as exc:
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else exc.stdout
        stamps = [
            float(ln.split()[1])
            for ln in (out or "").splitlines()
            if ln.startswith("stamp ")
        ]
        seen = ""
        if method.startswith("dask-ml"):  # the first pass normalizes
            stamps = stamps[1:]
        if len(stamps) >= 2:
            per = np.median(np.diff(stamps))
            seen = f" ({len(stamps) - 1} iterations done, {per:.0f} s each)"
        return {
            "method": method,
            "failed": f"no result within {args.timeout:.0f} s{seen}",
        }
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if done.returncode or not lines:
        tail = done.stderr.strip().splitlines()[-1:] or ["?"]
        return {
            "method": method,
            "failed": f"exit {done.returncode} after "
            f"{time.perf_counter() - t:.0f} s: {tail[0][:200]}",
        }
    return json.loads(lines[-1])


def report(meta: dict, args, results: list[dict]) -> str:
    """A Markdown table, ratios relative to newtonlogit; then newtonlogit's
    passes over X and time against the previous method of the same run."""
    done = {r["method"]: r for r in results if "failed" not in r}
    base = done.get("newtonlogit")
    lines = [
        f"{meta['rows']:,} rows x {meta['features']} features, "
        f"{meta['bytes'] / 1e9:.2f} GB of Parquet in {len(meta['lengths'])} files; "
        f"LocalCluster of {args.workers} workers x 1 thread x {args.memory}"
        f"{'; partitions streamed (--stream)' if args.stream else ''}.",
        "",
        "| method | total | iterations | passes over X | per iteration | "
        "peak worker RSS | total / newtonlogit | per iteration / newtonlogit | "
        "max abs error vs true coef |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        if "failed" in r:
            lines.append(f"| {r['method']} | {r['failed']} | | | | | | | |")
            continue
        ratio = per = "1.00"
        if base is not None and r is not base:
            ratio = f"{r['total_s'] / base['total_s']:.2f}"
            per = f"{r['per_iter_s'] / base['per_iter_s']:.2f}"
        passes = "" if r.get("passes_X") is None else f"{r['passes_X']:.2f}"
        lines.append(
            f"| {r['method']} | {r['total_s']:.1f} s | {r['n_iter']} | {passes} | "
            f"{r['per_iter_s']:.2f} s | {r['peak_worker_rss'] / 1e6:.0f} MB | "
            f"{ratio} | {per} | {r['max_abs_err_vs_truth']:.2g} |"
        )
    for name, what in (
        ("newtonlogit (previous)", "the previous method (intercept-only start)"),
        ("newtonlogit (baseline)", f"the baseline package (`{args.baseline}`)"),
    ):
        other = done.get(name)
        if base is None or other is None or not other.get("passes_X"):
            continue
        lines += [
            "",
            f"newtonlogit against {what}: "
            f"{base['passes_X']:.2f} passes over X against "
            f"{other['passes_X']:.2f} "
            f"({base['passes_X'] / other['passes_X']:.2f}); "
            f"{base['total_s']:.1f} s against {other['total_s']:.1f} s "
            f"(time ratio {base['total_s'] / other['total_s']:.2f}).",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
