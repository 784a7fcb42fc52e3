# ruff: noqa: E501 - the report rows read best on one line
"""newtonlogit on a GPU (CuPy): correctness against the CPU fit, then timings.

Run from the repository root on a machine with a CUDA GPU, CuPy, PyTorch and
scikit-learn::

    pip install -e . --no-deps -q; python benchmarks/gpu.py

It prints a markdown report to stdout (and to ``$OUT/gpu_results.md`` when
``OUT`` is set), part by part, so that a failure or a timeout keeps what was
already measured. Parts:

1. correctness: ``nl.logit`` on CuPy arrays against the NumPy backend on the
   same data (float64: 1e-8 relative, float32: 1e-5), multi-block sums,
   predictions, the mixed-input error, the scikit-learn estimator;
2. timings at n = 10,000,000, p = 100, float64 and float32, on a well-scaled
   and a raw-scale problem (equicorrelated columns scaled 1e-2..1e3; the same
   linear predictor and labels): newtonlogit on the GPU; the floor
   (iterations x one chunked float64 Gram pass over the same X, same run);
   the NumPy backend on the host CPUs on the first 1,000,000 rows (so marked,
   with the time scaled to n); scikit-learn's array-API ``lbfgs`` on the same
   GPU through PyTorch tensors sharing the CuPy memory;
3. the p x p Newton solve on the host (SciPy) against cuSOLVER.

``--cpu-dry-run`` runs everything on tiny data with ``array_api_strict``
standing in for CuPy (and for PyTorch), to catch bugs without a GPU.
"""

from __future__ import annotations

import os

# scikit-learn's array-API dispatch needs this before scipy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import argparse  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

try:
    import newtonlogit  # noqa: F401
except ImportError:  # not installed (pip without network): use this checkout
    sys.path.insert(
        0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    )

START = time.perf_counter()
LINES: list[str] = []
SUMMARY: dict[str, object] = {}
BREAKDOWN: list[str] = []
OUT_OF_TIME: list[bool] = []  # set by the hard-limit alarm


def emit(line: str = "") -> None:
    print(line, flush=True)
    LINES.append(line)


def save() -> None:
    out = os.environ.get("OUT")
    if out:
        with open(os.path.join(out, "gpu_results.md"), "w") as fh:
            fh.write("\n".join(LINES) + "\n")


def _out_of_time(signum, frame):
    OUT_OF_TIME.append(True)
    raise TimeoutError("hard time limit reached; the remaining parts are skipped")


def elapsed() -> float:
    return float("inf") if OUT_OF_TIME else time.perf_counter() - START


def run_part(name: str, budget: float, fn, *args, in_table: bool = False):
    """Run one part; an exception is reported (as a table row inside a table),
    never fatal."""
    if elapsed() > budget:
        if in_table:
            emit(f"| {name}: skipped, time budget used | | | | | | | |")
        else:
            emit(f"\n- **{name}: skipped**, time budget of {budget:.0f} s used up")
        save()
        return None
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - report and go on
        message = f"{type(exc).__name__}: {exc}".replace("|", "/").replace("\n", " ")
        if in_table:
            emit(f"| {name}: **failed** | `{message[:300]}` | | | | | | |")
        else:
            emit(f"\n- **{name} failed**: `{message}`")
        traceback.print_exc(file=sys.stderr)
        return None
    finally:
        save()


class Device:
    """The array library holding the data: CuPy, or array_api_strict (dry run).

    ``mod`` is a NumPy-like module used to make data (cupy, or numpy in the
    dry run); ``to_api`` turns its arrays into what newtonlogit is given.
    """

    def __init__(self, dry_run: bool):
        self.dry_run = dry_run
        if dry_run:
            import array_api_strict as xp

            self.mod, self.xp = np, xp
            self.name = "array_api_strict on the CPU (dry run, not a GPU)"
            return
        import cupy as cp

        self.mod = self.xp = cp
        props = cp.cuda.runtime.getDeviceProperties(cp.cuda.Device().id)
        total = cp.cuda.Device().mem_info[1] / 2**30
        self.name = f"{props['name'].decode()} ({total:.0f} GiB), CuPy {cp.__version__}"

    def to_api(self, a):
        return self.xp.asarray(a) if self.dry_run else a

    def to_numpy(self, a) -> np.ndarray:
        if self.dry_run:
            return np.asarray(a)
        return a.get()

    def sync(self) -> None:
        if not self.dry_run:
            self.mod.cuda.Device().synchronize()

    def normal(self, shape, seed):
        if self.dry_run:
            return np.random.default_rng(seed).standard_normal(shape)
        return self.mod.random.RandomState(seed).standard_normal(shape)

    def uniform(self, n, seed):
        if self.dry_run:
            return np.random.default_rng(seed).random(n)
        return self.mod.random.RandomState(seed).random_sample(n)

    def free(self) -> None:
        if not self.dry_run:
            self.mod.get_default_memory_pool().free_all_blocks()


def make_problem(dev: Device, n: int, p: int, seed: int = 0):
    """Well-scaled X (float64, equicorrelated 0.5), labels, and column scales.

    The raw-scale problem is ``X * scales`` with the same labels: its MLE is
    the well-scaled one divided by ``scales``.
    """
    m = dev.mod
    X = dev.normal((n, p), seed)
    X *= np.sqrt(0.5)
    X += np.sqrt(0.5) * dev.normal((n, 1), seed + 1)
    b = np.random.default_rng(seed + 2).standard_normal(p)
    b[::2] *= -1.0
    eta = X @ m.asarray(b)
    scale = 2.0 / float(m.std(eta))
    eta *= scale
    eta += -0.5
    y = (dev.uniform(n, seed + 3) < 1.0 / (1.0 + m.exp(-eta))).astype(m.float64)
    scales = m.asarray(np.logspace(-2, 3, p))
    return X, y, scales


def rel_err(a, ref) -> float:
    """``max_j |a_j - ref_j| / |ref_j|``."""
    a, ref = np.asarray(a, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    return float(np.max(np.abs(a - ref) / np.maximum(np.abs(ref), 1e-300)))


def timed(dev: Device, fn, *args, **kwargs):
    dev.sync()
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    dev.sync()
    return out, time.perf_counter() - t


# -- part 1: correctness ---------------------------------------------------------


def correctness(dev: Device, n: int, p: int) -> None:
    import newtonlogit as nl

    emit(f"\n## Correctness against the NumPy backend (n = {n:,}, p = {p})\n")
    emit("| check | value | threshold | pass |")
    emit("| --- | --- | --- | --- |")
    X, y, scales = make_problem(dev, n, p, seed=11)
    for problem in ("well-scaled", "raw-scale"):
        Xp = X if problem == "well-scaled" else X * scales
        for dtype, tol in (("float64", 1e-8), ("float32", 1e-5)):
            Xd = Xp.astype(getattr(dev.mod, dtype))
            res = nl.logit(dev.to_api(Xd), dev.to_api(y))
            ref = nl.logit(dev.to_numpy(Xd), dev.to_numpy(y))
            for what, got, want in (
                ("params", res.params, ref.params),
                ("std errors", res.std_errors, ref.std_errors),
            ):
                err = rel_err(got, want)
                emit(
                    f"| {problem} {dtype}: {what} (iter {res.n_iter} vs "
                    f"{ref.n_iter}) | {err:.1e} | {tol:.0e} | {_ok(err <= tol)} |"
                )
            err = abs(res.loglik - ref.loglik) / abs(ref.loglik)
            emit(
                f"| {problem} {dtype}: loglik | {err:.1e} | {tol:.0e} | {_ok(err <= tol)} |"
            )
    for check in (
        _check_blocks,
        _check_inference,
        _check_predict,
        _check_mixed,
        _check_estimator,
        _check_dask,
    ):
        try:
            check(dev, X, y)
        except Exception as exc:  # noqa: BLE001 - report and go on
            message = f"{type(exc).__name__}: {exc}".replace("|", "/").replace(
                "\n", " "
            )
            emit(
                f"| {check.__name__}: **failed** | `{message[:300]}` | | {_ok(False)} |"
            )
            traceback.print_exc(file=sys.stderr)


def _ok(flag: bool) -> str:
    SUMMARY.setdefault("correctness", True)
    SUMMARY["correctness"] = SUMMARY["correctness"] and flag
    return "yes" if flag else "**NO**"


def _check_blocks(dev, X, y) -> None:
    from newtonlogit.backends import backend_for
    from newtonlogit.data.design import make_design
    from newtonlogit.families.binary import kernels as _kernels

    design = make_design(dev.to_api(X), dev.to_api(y))
    host = make_design(dev.to_numpy(X), dev.to_numpy(y))
    beta = np.linspace(-0.3, 0.3, X.shape[1] + 1)
    many = backend_for(design.X)(design, block_rows=X.shape[0] // 7 + 1)
    cpu = backend_for(host.X)(host)
    got = many.map_sum(_kernels.newton_sums, beta, True)
    want = cpu.map_sum(_kernels.newton_sums, beta, True)
    err = max(rel_err(np.ravel(g), np.ravel(w)) for g, w in zip(got, want))
    emit(
        f"| newton_sums over 7 device blocks vs NumPy | {err:.1e} | 1e-12 | {_ok(err <= 1e-12)} |"
    )


def _check_inference(dev, X, y) -> None:
    """HC3 standard errors, deviances and the summary of a device fit."""
    import newtonlogit as nl

    res = nl.logit(dev.to_api(X), dev.to_api(y), cov_type="HC3")
    ref = nl.logit(dev.to_numpy(X), dev.to_numpy(y), cov_type="HC3")
    if not hasattr(res, "deviance"):
        emit("| inference on device | n/a (no inference in this newtonlogit) | | |")
        return
    err = max(
        rel_err(res.std_errors, ref.std_errors),
        rel_err([res.deviance, res.null_deviance], [ref.deviance, ref.null_deviance]),
    )
    text = str(res.summary())
    emit(
        f"| HC3 std errors, deviances, summary ({len(text)} chars) vs NumPy | "
        f"{err:.1e} | 1e-8 | {_ok(err <= 1e-8)} |"
    )


def _check_predict(dev, X, y) -> None:
    import newtonlogit as nl

    res = nl.logit(dev.to_api(X), dev.to_api(y))
    pred = res.predict(dev.to_api(X))
    same_type = type(pred) is type(dev.to_api(X))
    err = float(np.max(np.abs(dev.to_numpy(pred) - res.predict(dev.to_numpy(X)))))
    emit(
        f"| predict on device: {type(pred).__name__} out, vs host | {err:.1e} | 1e-12 | {_ok(same_type and err <= 1e-12)} |"
    )


def _check_mixed(dev, X, y) -> None:
    import newtonlogit as nl

    try:
        nl.logit(dev.to_api(X), dev.to_numpy(y))
    except ValueError as exc:
        emit(f"| device X with NumPy y -> ValueError | `{exc}` | | {_ok(True)} |")
    else:
        emit(f"| device X with NumPy y -> ValueError | no error | | {_ok(False)} |")


def _check_estimator(dev, X, y) -> None:
    import sklearn

    import newtonlogit as nl

    with sklearn.config_context(array_api_dispatch=True):
        clf = nl.LogisticRegression().fit(dev.to_api(X), dev.to_api(y))
        proba = clf.predict_proba(dev.to_api(X))
    ref = nl.LogisticRegression().fit(dev.to_numpy(X), dev.to_numpy(y))
    err = rel_err(dev.to_numpy(clf.coef_), ref.coef_)
    kind = type(clf.coef_).__name__
    err_p = float(
        np.max(np.abs(dev.to_numpy(proba) - ref.predict_proba(dev.to_numpy(X))))
    )
    emit(
        f"| LogisticRegression under array_api_dispatch: coef_ is {kind}, "
        f"coef / proba vs NumPy | {err:.1e} / {err_p:.1e} | 1e-8 | {_ok(err <= 1e-8 and err_p <= 1e-8)} |"
    )


def _check_dask(dev, X, y) -> None:
    """A Dask array of the device's chunks (CuPy; NumPy in the dry run), fitted
    on a real ``dask.distributed`` cluster (threads in this process, sharing
    the GPU), against the NumPy fit."""
    try:
        import dask.array as da
        from distributed import Client, LocalCluster
    except ImportError:
        emit("| Dask with device chunks | n/a (dask or distributed missing) | | |")
        return
    import newtonlogit as nl

    rows = X.shape[0] // 5 + 1
    Xd = da.from_array(X, chunks=(rows, -1), asarray=False)
    yd = da.from_array(y, chunks=rows, asarray=False)
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False) as cluster:
        with Client(cluster):
            res = nl.logit(Xd, yd, cov_type="HC1")
    # the Dask backend has no subsample warm start: compare like with like
    ref = nl.logit(
        dev.to_numpy(X), dev.to_numpy(y), cov_type="HC1", subsample_start=False
    )
    err = max(rel_err(res.params, ref.params), rel_err(res.std_errors, ref.std_errors))
    meta = type(Xd._meta)
    kind = f"{meta.__module__.split('.')[0]}.{meta.__name__}"
    emit(
        f"| Dask array of {kind} chunks ({Xd.numblocks[0]} partitions), distributed: "
        f"params, HC1 std errors vs NumPy | {err:.1e} | 1e-8 | {_ok(err <= 1e-8)} |"
    )


# -- part 2: timings -------------------------------------------------------------


def timings(dev: Device, args) -> None:
    emit(f"\n## Timings (n = {args.n:,}, p = {args.p}) on {dev.name}\n")
    emit(
        "Ratios are to newtonlogit on the GPU for the same problem; the floor is "
        "iterations x one chunked float64 Gram pass over the same X (float32 "
        "blocks upcast), measured in the same run. Coefficient error is "
        "max_j |b_j - b_nl_j| / |b_nl_j| against newtonlogit's GPU fit. "
        f"The NumPy backend runs on the first {args.cpu_rows:,} rows and its time "
        f"is scaled by n / {args.cpu_rows:,} (marked ~).\n"
    )
    emit(
        "| problem | dtype | method | time (s) | iterations | x newtonlogit GPU | x floor | max rel coef err |"
    )
    emit("| --- | --- | --- | --- | --- | --- | --- | --- |")
    save()
    X, y, scales = make_problem(dev, args.n, args.p, seed=0)
    for dtype in ("float64", "float32"):
        for problem in ("well-scaled", "raw-scale"):
            if elapsed() > args.budget:
                emit(f"| {problem} | {dtype} | skipped: time budget used | | | | | |")
                continue
            Xp = X.astype(getattr(dev.mod, dtype))
            if problem == "raw-scale":
                Xp *= scales.astype(Xp.dtype)
            run_part(
                f"timings {problem} {dtype}",
                args.budget,
                one_problem,
                dev,
                args,
                Xp,
                y,
                problem,
                dtype,
                in_table=True,
            )
            del Xp
            dev.free()
    if BREAKDOWN:
        emit("\n### Pieces of one pass over X (well-scaled data, same blocks)\n")
        emit("| dtype | piece | time (ms) |")
        emit("| --- | --- | --- |")
        for line in BREAKDOWN:
            emit(line)


def one_problem(dev, args, X, y, problem, dtype) -> None:
    import newtonlogit as nl

    Xa, ya = dev.to_api(X), dev.to_api(y)
    nl.logit(Xa[:20000, ...], ya[:20000])  # warm-up: compiles the device kernels
    nl.logit(Xa, ya)  # warm-up at full size: CuPy's memory pool grows once
    with count_passes(Xa.shape[0]) as passes:
        res, t_nl = timed(dev, nl.logit, Xa, ya)
    t_nl = statistics.median(
        [t_nl] + [timed(dev, nl.logit, Xa, ya)[1] for _ in range(2)]
    )
    t_gram = _gram_pass_time(dev, Xa, ya)
    floor = res.n_iter * t_gram
    t_pass = _newton_pass_time(dev, Xa, ya, res.coef)
    key = f"{problem} {dtype}"
    # (n: Newton, f: steering, with float32 information, s: score)
    kinds = "/".join({"steer": "f"}.get(k, k[0]) for k in res.history["pass"])
    SUMMARY[key] = {"nl": t_nl, "floor": floor, "iter": res.n_iter}
    SUMMARY[key].update(gram=t_gram, kinds=kinds)

    def row(method, t, iters, err, approx=""):
        ratio = f"{approx}{t / t_nl:.2f}" if t is not None else ""
        tf = f"{approx}{t / floor:.2f}" if t is not None else ""
        ts = f"{approx}{t:.3f}" if t is not None else "failed"
        emit(
            f"| {problem} | {dtype} | {method} | {ts} | {iters} | {ratio} | {tf} | {err} |"
        )

    row(
        "newtonlogit GPU",
        t_nl,
        f"{res.n_iter} (passes: "
        + ", ".join(f"{name} {count}" for name, count in sorted(passes.items()))
        + ")",
        f"final decrement {res.history['decrement'].iloc[-1]:.1e}",
    )
    row("floor (iter x Gram pass)", floor, f"{res.n_iter} x {t_gram:.4f} s", "")
    row("one newton_sums pass", t_pass, 1, f"pass / Gram pass = {t_pass / t_gram:.2f}")
    save()
    if problem == "well-scaled":
        run_part(
            f"pass breakdown {key}",
            args.budget,
            pass_breakdown,
            dev,
            Xa,
            ya,
            res.coef,
            dtype,
            in_table=True,
        )
    cpu = run_part(
        f"NumPy backend {key}", args.budget, _numpy_fit, dev, args, X, y, in_table=True
    )
    if cpu is not None:
        row(
            f"NumPy backend, host CPUs ({cpu[2]:,} rows)",
            cpu[0] * args.n / cpu[2],
            cpu[1],
            "n/a (subsample)",
            "~",
        )
    save()
    sk = run_part(
        f"scikit-learn {key}", args.budget, _sklearn_fit, dev, args, X, y, in_table=True
    )
    if sk is not None:
        t_sk, it_sk, coef = sk
        capped = " (hit max_iter)" if it_sk >= args.sklearn_max_iter else ""
        SUMMARY[key]["sklearn"] = t_sk
        SUMMARY[key]["sklearn_err"] = rel_err(coef, res.coef)
        row(
            f"sklearn lbfgs GPU ({args.sklearn_lib})",
            t_sk,
            f"{it_sk}{capped}",
            f"{rel_err(coef, res.coef):.1e}",
        )


class count_passes:
    """Counts the backend's passes over all n rows by kernel, and the passes
    over fewer rows (a warm start's subsample), while active."""

    def __init__(self, n_rows: int):
        self.n_rows = n_rows

    def __enter__(self):
        import collections

        from newtonlogit.backends.array_api import ArrayAPIBackend

        self.counts, self.cls = collections.Counter(), ArrayAPIBackend
        self.original = original = ArrayAPIBackend.map_sum
        counts, n_rows = self.counts, self.n_rows

        def counting(backend, kernel, *args):
            full = backend.n_rows == n_rows
            counts[kernel.__name__ if full else "subsample"] += 1
            return original(backend, kernel, *args)

        ArrayAPIBackend.map_sum = counting
        return self.counts

    def __exit__(self, *exc):
        self.cls.map_sum = self.original


def pass_breakdown(dev, Xa, ya, beta, dtype) -> None:
    """Chunked timings of the pieces of one Newton pass (block rows as the backend)."""
    xp, n = _namespace(Xa), Xa.shape[0]
    rows = _block_rows(Xa, ya)
    b = xp.asarray(beta[1:], device=Xa.device)
    blocks = [Xa[s : min(s + rows, n), ...] for s in range(0, n, rows)]

    def up(B):
        return B if B.dtype == xp.float64 else xp.astype(B, xp.float64)

    def v_of(B):
        return xp.ones((B.shape[0],), dtype=xp.float64, device=Xa.device) * 0.2

    from newtonlogit.kernels.ops import block_ops

    def gram(B, extra=()):
        v = v_of(B)
        return block_ops(B).gram(xp, up(B), xp.sqrt(v), True, tuple(v for _ in extra))

    def steering_gram(B):  # (the steering passes' information, float32 products)
        ops = block_ops(B)
        return (ops.steering_gram or ops.gram)(xp, up(B), xp.sqrt(v_of(B)), True)

    pieces = {
        "upcast block to float64": lambda: [up(B) for B in blocks],
        "eta = X @ b": lambda: [up(B) @ b for B in blocks],
        "r @ X (one gemv: the score before the bordered Gram)": lambda: [
            v_of(B) @ up(B) for B in blocks
        ],
        "Gram hook, Z = s [1, X] written and Z^T Z": lambda: [gram(B) for B in blocks],
        "Gram hook bordered by 3 columns (score, margin sums), as in a pass": lambda: [
            gram(B, range(3)) for B in blocks
        ],
        "steering Gram hook (float32 products, where the backend has them)": lambda: [
            steering_gram(B) for B in blocks
        ],
        "X^T X (gemm, float64: the floor's piece)": lambda: [
            up(B).T @ up(B) for B in blocks
        ],
    }
    if dtype == "float32":
        pieces["X^T X in float32 (sgemm)"] = lambda: [B.T @ B for B in blocks]
    for name, fn in pieces.items():
        fn()
        t = statistics.median(timed(dev, fn)[1] for _ in range(3))
        BREAKDOWN.append(f"| {dtype} | {name} | {1e3 * t:.2f} |")


def _block_rows(Xa, ya) -> int:
    """Rows per block of the backend that fits ``Xa`` (as in a fit)."""
    from newtonlogit.backends import backend_for
    from newtonlogit.data.design import make_design

    return backend_for(Xa)(make_design(Xa, ya)).block_rows


def _gram_pass_time(dev, Xa, ya) -> float:
    """Median of 3 chunked float64 Gram passes with the backend's block rows."""
    xp = _namespace(Xa)
    rows = _block_rows(Xa, ya)
    n = Xa.shape[0]

    def gram():
        G = xp.zeros((Xa.shape[1], Xa.shape[1]), dtype=xp.float64)
        for s in range(0, n, rows):
            B = Xa[s : min(s + rows, n), ...]
            if B.dtype != xp.float64:
                B = xp.astype(B, xp.float64)
            G = G + B.T @ B
        return G

    gram()
    return statistics.median(timed(dev, gram)[1] for _ in range(3))


def _newton_pass_time(dev, Xa, ya, beta) -> float:
    from newtonlogit.backends import backend_for
    from newtonlogit.data.design import make_design
    from newtonlogit.families.binary import kernels as _kernels

    design = make_design(Xa, ya)
    backend = backend_for(design.X)(design)
    return statistics.median(
        timed(dev, backend.map_sum, _kernels.newton_sums, beta, True)[1]
        for _ in range(3)
    )


def _namespace(a):
    from newtonlogit.backends.namespace import namespace_of

    return namespace_of(a)


def _numpy_fit(dev, args, X, y):
    import newtonlogit as nl

    m = min(args.cpu_rows, X.shape[0])
    Xh, yh = dev.to_numpy(X[:m]), dev.to_numpy(y[:m])
    res, t = timed(dev, nl.logit, Xh, yh)
    return t, res.n_iter, m


def _sklearn_fit(dev, args, X, y):
    import sklearn
    from sklearn.linear_model import LogisticRegression

    Xs, ys, sync = _sklearn_arrays(dev, args, X, y)
    n = X.shape[0]
    major, minor = (int(v) for v in sklearn.__version__.split(".")[:2])
    unpenalized = {"C": np.inf} if (major, minor) >= (1, 8) else {"penalty": None}
    with sklearn.config_context(array_api_dispatch=True), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        LogisticRegression(max_iter=50, **unpenalized).fit(
            Xs[: min(20000, n), ...], ys[: min(20000, n)]
        )
        clf = LogisticRegression(
            solver="lbfgs", max_iter=args.sklearn_max_iter, **unpenalized
        )
        sync()
        t = time.perf_counter()
        clf.fit(Xs, ys)
        sync()
        t = time.perf_counter() - t
    coef = np.concatenate([_host(clf.intercept_), _host(clf.coef_).ravel()])
    return t, int(_host(clf.n_iter_).ravel()[0]), coef


def _sklearn_arrays(dev, args, X, y):
    if dev.dry_run:
        return dev.to_api(X), dev.to_api(y), lambda: None
    if args.sklearn_lib == "torch":
        import torch

        return torch.from_dlpack(X), torch.from_dlpack(y), torch.cuda.synchronize
    return X, y, dev.sync


def _host(a) -> np.ndarray:
    if hasattr(a, "get"):
        return a.get()
    if hasattr(a, "cpu"):
        return a.cpu().numpy()
    return np.asarray(a)


# -- part 3: the p x p solve -----------------------------------------------------


def solve_timing(dev: Device, p: int) -> None:
    from scipy import linalg

    emit(f"\n## The ({p + 1} x {p + 1}) Newton solve: host SciPy vs cuSOLVER\n")
    rng = np.random.default_rng(5)
    A = rng.standard_normal((4 * p, p + 1))
    info, score = A.T @ A, rng.standard_normal(p + 1)

    def host():
        return linalg.cho_solve(linalg.cho_factor(info, lower=True), score)

    t_host = statistics.median(timed(dev, host)[1] for _ in range(200))
    emit("| where | median time (ms) |")
    emit("| --- | --- |")
    emit(f"| host: scipy cho_factor + cho_solve | {1e3 * t_host:.3f} |")
    if dev.dry_run:
        emit("| device: cuSOLVER | n/a (dry run) |")
        return
    import cupy as cp
    from cupyx.scipy.linalg import solve_triangular

    def device():
        L = cp.linalg.cholesky(cp.asarray(info))
        z = solve_triangular(L, cp.asarray(score), lower=True)
        return solve_triangular(L.T, z, lower=False).get()

    device()
    t_dev = statistics.median(timed(dev, device)[1] for _ in range(200))
    err = rel_err(device(), host())
    emit(
        f"| device: cupy cholesky + 2 triangular solves, with transfers | {1e3 * t_dev:.3f} (agree to {err:.0e}) |"
    )


# -- driver ----------------------------------------------------------------------


def verdict(args) -> None:
    emit("\n## Against the targets\n")
    for key, s in SUMMARY.items():
        if not isinstance(s, dict):
            continue
        line = (
            f"- {key}: newtonlogit {s['nl']:.3f} s = {s['nl'] / s['gram']:.2f} "
            f"Gram passes (target: the whole fit <= 3), passes {s['kinds']}"
        )
        if "sklearn" in s:
            line += f"; sklearn lbfgs / newtonlogit = {s['sklearn'] / s['nl']:.2f} (target >= 1 well-scaled), sklearn coef error {s['sklearn_err']:.1e}"
        emit(line)
    emit(f"- correctness checks all passed: {SUMMARY.get('correctness', 'not run')}")
    emit(f"- total wall time of this script: {time.perf_counter() - START:.0f} s")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cpu-dry-run",
        action="store_true",
        help="tiny sizes, array_api_strict instead of CuPy",
    )
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--p", type=int, default=100)
    parser.add_argument("--cpu-rows", type=int, default=1_000_000)
    parser.add_argument("--sklearn-max-iter", type=int, default=1000)
    parser.add_argument("--sklearn-lib", choices=["torch", "cupy"], default="torch")
    parser.add_argument(
        "--hard-limit",
        type=float,
        default=225.0,
        help="seconds after which the running part is interrupted",
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=170.0,
        help="seconds after which parts are skipped",
    )
    args = parser.parse_args(argv)
    if args.cpu_dry_run:
        args.n, args.p, args.cpu_rows = (
            min(args.n, 30_000),
            min(args.p, 8),
            min(args.cpu_rows, 10_000),
        )
    signal.signal(signal.SIGALRM, _out_of_time)
    signal.alarm(int(args.hard_limit))
    import scipy
    import sklearn

    import newtonlogit as nl

    emit("# newtonlogit GPU benchmark\n")
    dev = run_part("device set-up", args.budget, Device, args.cpu_dry_run)
    if dev is None:
        return 1
    emit(f"- device: {dev.name}")
    emit(f"- newtonlogit from {os.path.dirname(nl.__file__)}")
    emit(
        f"- newtonlogit {nl.__version__}, NumPy {np.__version__}, SciPy {scipy.__version__}, scikit-learn {sklearn.__version__}, CPUs {os.cpu_count()}"
    )
    n_check = 3_000 if args.cpu_dry_run else 200_000
    run_part("correctness", args.budget, correctness, dev, n_check, min(args.p, 20))
    run_part("solve timing", args.budget, solve_timing, dev, args.p)
    run_part("timings", args.budget, timings, dev, args)
    signal.alarm(0)
    verdict(args)
    save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
