"""Where the time of one CuPy fit goes (cProfile of nl.logit, after a warm-up).

Run on a GPU machine from the repo root: ``python benchmarks/gpu_profile.py``.
Every backend pass ends in a host transfer (a synchronisation), so cProfile's
cumulative times are close to the GPU's own.
"""

import cProfile
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import cupy as cp  # noqa: E402

import newtonlogit as nl  # noqa: E402


def main(n=10_000_000, p=100):
    rng = cp.random.default_rng(0)
    X = rng.standard_normal((n, p), dtype=cp.float64)
    beta = cp.linspace(-0.3, 0.3, p)
    y = (rng.random(n) < 1 / (1 + cp.exp(-(X @ beta)))).astype(cp.float64)
    nl.logit(X[:100_000], y[:100_000])  # warm up kernels
    for label, kwargs in [
        ("default", {}),
        ("no subsample start", {"subsample_start": False}),
    ]:
        try:
            cp.cuda.Device().synchronize()
            t = time.perf_counter()
            res = nl.logit(X, y, **kwargs)
            cp.cuda.Device().synchronize()
            print(f"{label}: {time.perf_counter() - t:.3f} s, {res.n_iter} iterations")
        except TypeError as exc:
            print(label, "n/a", exc)
    prof = cProfile.Profile()
    prof.enable()
    nl.logit(X, y)
    cp.cuda.Device().synchronize()
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(45)


if __name__ == "__main__":
    main()
