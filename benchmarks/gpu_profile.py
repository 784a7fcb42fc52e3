# ruff: noqa: E501 - the report rows read best on one line
"""Where the time of one CuPy fit goes: a timeline of its passes, and cProfile.

Run on a GPU machine from the repository root::

    python benchmarks/gpu_profile.py            # n = 10,000,000, p = 100

It prints markdown (and writes ``$OUT/gpu_profile.md`` when ``OUT`` is set):

1. fit times (median of 3, after a full-size warm-up that settles CuPy's
   memory pool), with and without the subsample warm start;
2. a timeline of one fit: every backend pass (kernel, rows, milliseconds),
   and the host time between passes (input checks, the subsample gather,
   the Newton solves, fit statistics);
3. cProfile of one fit (every pass ends in a host transfer, so cumulative
   times are close to the GPU's own);
4. a sweep over the CuPy backend's block size: one ``newton_sums`` pass, and
   a whole fit.

``--cpu-dry-run`` runs it on tiny data with ``array_api_strict`` for CuPy.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu import Device, make_problem  # noqa: E402  (sets SCIPY_ARRAY_API too)

try:
    import newtonlogit  # noqa: F401
except ImportError:  # not installed: use this checkout
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

LINES: list[str] = []


def emit(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)
    out = os.environ.get("OUT")
    if out:
        with open(os.path.join(out, "gpu_profile.md"), "w") as fh:
            fh.write("\n".join(LINES) + "\n")


def fit_times(dev, X, y, repeats=3, **kwargs):
    import newtonlogit as nl

    times, res = [], None
    for _ in range(repeats):
        dev.sync()
        t = time.perf_counter()
        res = nl.logit(X, y, **kwargs)
        dev.sync()
        times.append(time.perf_counter() - t)
    return times, res


class Timeline:
    """Records every ``map_sum`` call (kernel, rows, start, end) while active."""

    def __init__(self, dev):
        self.dev, self.events = dev, []

    def __enter__(self):
        from newtonlogit.backends.array_api import ArrayAPIBackend

        self.cls, self.original = ArrayAPIBackend, ArrayAPIBackend.map_sum
        original, events, dev = self.original, self.events, self.dev

        def timed_map_sum(backend, kernel, *args):
            dev.sync()
            t0 = time.perf_counter()
            out = original(backend, kernel, *args)
            events.append((kernel.__name__, backend.n_rows, t0, time.perf_counter()))
            return out

        ArrayAPIBackend.map_sum = timed_map_sum
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.dev.sync()
        self.end = time.perf_counter()
        self.cls.map_sum = self.original

    def report(self, label):
        emit(f"\n### Timeline of one fit: {label}\n")
        emit("| step | rows | ms |")
        emit("| --- | --- | --- |")
        last, in_passes = self.start, 0.0
        for name, rows, t0, t1 in self.events:
            if t0 - last > 1e-4:
                emit(f"| (host, between passes) | | {1e3 * (t0 - last):.2f} |")
            emit(f"| {name} | {rows:,} | {1e3 * (t1 - t0):.2f} |")
            in_passes += t1 - t0
            last = t1
        emit(f"| (host, after the last pass) | | {1e3 * (self.end - last):.2f} |")
        total = self.end - self.start
        emit(
            f"| **total** ({len(self.events)} passes: {1e3 * in_passes:.1f} ms; "
            f"elsewhere {1e3 * (total - in_passes):.1f} ms) | | {1e3 * total:.1f} |"
        )


def profile_fit(dev, X, y) -> None:
    import newtonlogit as nl

    prof = cProfile.Profile()
    prof.enable()
    nl.logit(X, y)
    dev.sync()
    prof.disable()
    for key, count in (("cumulative", 40), ("tottime", 25)):
        buf = io.StringIO()
        pstats.Stats(prof, stream=buf).sort_stats(key).print_stats(count)
        emit(f"\n### cProfile of one fit, by {key}\n\n```")
        emit(buf.getvalue().strip())
        emit("```")


def block_sweep(dev, X, y, sizes) -> None:
    from newtonlogit.backends import backend_for
    from newtonlogit.data.design import make_design
    from newtonlogit.families.binary import kernels as _kernels

    cls = backend_for(X)
    default = cls.block_bytes
    emit(f"\n### Block size sweep ({cls.__name__}; default {default:,} bytes)\n")
    emit("| block bytes | block rows | newton_sums pass (ms) | fit (ms, median of 3) |")
    emit("| --- | --- | --- | --- |")
    beta = None
    try:
        for size in sizes:
            cls.block_bytes = size
            backend = cls(make_design(X, y))
            if beta is None:
                beta = fit_times(dev, X, y, repeats=1)[1].coef
            backend.map_sum(_kernels.newton_sums, beta, True)  # warm-up
            passes = []
            for _ in range(3):
                dev.sync()
                t = time.perf_counter()
                backend.map_sum(_kernels.newton_sums, beta, True)
                passes.append(time.perf_counter() - t)
            fits = fit_times(dev, X, y)[0]
            emit(
                f"| {size:,} | {backend.block_rows:,} | {1e3 * statistics.median(passes):.2f} "
                f"| {1e3 * statistics.median(fits):.1f} |"
            )
    finally:
        cls.block_bytes = default


def one_dtype(dev, X, y, dtype, args) -> None:
    Xa, ya = dev.to_api(X), dev.to_api(y)
    fit_times(dev, Xa, ya, repeats=1)  # warm-up at full size: kernels, memory pool
    emit(f"\n## {dtype}: fit times (s)\n")
    emit("| variant | median | all | iterations |")
    emit("| --- | --- | --- | --- |")
    for label, kwargs in [
        ("default", {}),
        ("subsample_start=False", {"subsample_start": False}),
    ]:
        times, res = fit_times(dev, Xa, ya, **kwargs)
        emit(
            f"| {label} | {statistics.median(times):.3f} | "
            + ", ".join(f"{t:.3f}" for t in times)
            + f" | {res.n_iter} |"
        )
    import newtonlogit as nl

    with Timeline(dev) as timeline:
        nl.logit(Xa, ya)
    timeline.report(f"{dtype}, default")
    if dtype == "float64":
        profile_fit(dev, Xa, ya)
        block_sweep(dev, Xa, ya, args.block_bytes)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpu-dry-run", action="store_true")
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--p", type=int, default=100)
    parser.add_argument(
        "--block-bytes",
        type=int,
        nargs="+",
        default=[1 << 32, 1 << 31, 1 << 30, 1 << 28],
    )
    args = parser.parse_args(argv)
    if args.cpu_dry_run:
        args.n, args.p = min(args.n, 200_000), min(args.p, 8)
        args.block_bytes = [1 << 22, 1 << 20]
    t_start = time.perf_counter()
    dev = Device(args.cpu_dry_run)
    emit(f"# Profile of a newtonlogit fit on {dev.name}\n")
    emit(f"- n = {args.n:,}, p = {args.p}")
    X, y, _ = make_problem(dev, args.n, args.p)
    one_dtype(dev, X, y, "float64", args)
    X32 = X.astype(dev.mod.float32)
    del X
    dev.free()
    one_dtype(dev, X32, y, "float32", args)
    emit(f"\n- total wall time of this script: {time.perf_counter() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
