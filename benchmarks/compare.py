"""Side-by-side benchmark: newtonlogit against scikit-learn, statsmodels and glum.

    python benchmarks/compare.py [--quick] [--runs 3] [--limit 120] [--only NAME]

Each problem's data is generated once and saved under a temporary folder; every
fit then runs in its own subprocess (contenders alternating, ``--runs`` rounds),
which loads the data, fits a 2,000-row, 10-column warm-up (imports, first-call set-up),
fits once and reports wall time, iterations, coefficients and peak RSS over the
data's footprint. One more fit per contender runs
under ``tracemalloc`` for the traced peak (in the first round's process, after
its timed fit). The reference is newtonlogit's plain
path (no warm start) at ``tol=1e-13``; accuracy is ``max |coef - ref| / SE``.
For newtonlogit the child also times one chunked Gram pass over X (``B.T @ B``
per row block, BLAS ``syrk`` through NumPy: the floor of a Newton iteration;
same threads and blocks as the fit), and the report gives the whole fit in
units of that pass, with the passes over X the fit made (from its history:
passes that evaluate the information exactly, steering passes that evaluate
it in float32, and score-only passes).
``--baseline SRC`` adds the contender ``newtonlogit-baseline``: the package
found in the folder ``SRC`` (another checkout's ``src``), timed in the same
rounds, for A/B ratios within one run. Contenders
run with their libraries' default threading.

Writes its section of ``benchmarks/RESULTS.md`` (between the markers
``<!-- compare.py -->`` and ``<!-- /compare.py -->``; other sections are left
as they are), or ``RESULTS-quick.md`` with ``--quick``.
Needs the ``bench`` extra: ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CONTENDERS = [
    "newtonlogit",
    "newtonlogit-estimator",
    "sklearn-newton-cholesky",
    "sklearn-lbfgs",
    "statsmodels-Logit",
    "statsmodels-GLM",
    "glum-irls",
]
# problem name -> (kind, n, p, dtype); the quick set divides n by 20
PROBLEMS = {
    "dense-1M-100": ("dense", 1_000_000, 100, "float64"),
    "dense-1M-100-f32": ("dense", 1_000_000, 100, "float32"),
    "dense-300k-100": ("dense", 300_000, 100, "float64"),
    "dense-100k-1000": ("dense", 100_000, 1000, "float64"),
    "tall-10M-10": ("dense", 10_000_000, 10, "float64"),
    "sparse-1M-2000": ("sparse", 1_000_000, 2000, "float64"),
    "illcond-200k-50": ("illcond", 200_000, 50, "float64"),
}


# ----------------------------------------------------------------- data


def make_problem(kind: str, n: int, p: int, dtype: str, folder: Path) -> dict:
    rng = np.random.default_rng(12345)
    if kind == "sparse":
        X = _one_hot(rng, n, p)
    else:
        X = rng.standard_normal((n, p))
        if kind == "illcond":  # raw-scale, correlated columns, as users pass them
            X[:, 1:] += 0.8 * X[:, :1]
            X *= np.logspace(-2, 3, p)
    p = X.shape[1]
    beta = rng.normal(scale=1.0 / np.sqrt(p), size=p)
    if kind == "illcond":
        beta /= np.logspace(-2, 3, p)
    eta = -0.5 + X @ beta
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(np.float64)
    if kind == "sparse":
        import scipy.sparse as sp

        sp.save_npz(folder / "X.npz", X)
        nbytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    else:
        X = X.astype(dtype)
        np.save(folder / "X.npy", X)
        nbytes = X.nbytes
    np.save(folder / "y.npy", y)
    return {"folder": str(folder), "kind": kind, "nbytes": nbytes, "n": n, "p": p}


def _one_hot(rng, n, p, dense=5, groups=10):
    """``groups`` one-hot categorical blocks (first level dropped) + dense columns:
    density about ``groups / p``, like one-hot encoded categorical data."""
    import scipy.sparse as sp

    levels = (p - dense) // groups + 1
    codes = rng.integers(0, levels, size=(n, groups))
    hot = codes > 0
    rows = np.repeat(np.arange(n), groups).reshape(n, groups)[hot]
    cols = (codes - 1 + (levels - 1) * np.arange(groups))[hot]
    onehot = sp.csr_matrix(
        (np.ones(rows.size), (rows, cols)), shape=(n, groups * (levels - 1))
    )
    numeric = sp.csr_matrix(rng.standard_normal((n, dense)))
    return sp.hstack([onehot, numeric], format="csr")


def load(folder: str):
    folder = Path(folder)
    if (folder / "X.npz").exists():
        import scipy.sparse as sp

        X = sp.load_npz(folder / "X.npz").tocsr()
    else:
        X = np.load(folder / "X.npy")
    return X, np.load(folder / "y.npy")


# ----------------------------------------------------------------- fits


def _with_constant(X):
    import statsmodels.api as sm

    return sm.add_constant(X, has_constant="add")


PASSES: dict = {}  # newtonlogit's passes over X in the last fit, by kind


def fit(name: str, X, y):
    """Fit one contender; returns (coef with intercept first, iterations)."""
    if name == "newtonlogit-estimator":  # scikit-learn's interface, defaults
        import newtonlogit as nl

        model = nl.LogisticRegression().fit(X, y)
        return np.r_[model.intercept_, model.coef_.ravel()], int(model.n_iter_[0])
    if name.startswith("newtonlogit"):
        import newtonlogit as nl

        res = nl.logit(X, y)
        kinds = res.history.get("pass")
        kinds = ["newton"] * len(res.history) if kinds is None else list(kinds)
        PASSES.update({k: kinds.count(k) for k in ("newton", "steer", "score")})
        return res.coef, res.n_iter
    if name.startswith("sklearn"):
        from sklearn.linear_model import LogisticRegression

        solver = name.split("-", 1)[1]
        model = LogisticRegression(
            C=np.inf,
            solver=solver,
            tol=1e-8,
            max_iter=100 if "newton" in solver else 10_000,
        ).fit(X, y)
        return np.r_[model.intercept_, model.coef_.ravel()], int(model.n_iter_[0])
    if name == "statsmodels-Logit":
        import statsmodels.api as sm

        res = sm.Logit(y, _with_constant(X)).fit(method="newton", disp=0, maxiter=100)
        return np.asarray(res.params), res.mle_retvals["iterations"]
    if name == "statsmodels-GLM":
        import statsmodels.api as sm

        res = sm.GLM(y, _with_constant(X), family=sm.families.Binomial()).fit()
        return np.asarray(res.params), res.fit_history["iteration"]
    if name == "glum-irls":
        from glum import GeneralizedLinearRegressor

        model = GeneralizedLinearRegressor(
            family="binomial", alpha=0, solver="irls-ls", gradient_tol=1e-8
        ).fit(X, y)
        return np.r_[model.intercept_, model.coef_], int(model.n_iter_)
    raise ValueError(name)


def _status_bytes(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _rss_bytes() -> int:
    """Current RSS, after resetting the peak (VmHWM) to it (Linux)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _status_bytes("VmRSS")


def _peak_rss_bytes() -> int:
    return _status_bytes("VmHWM")


def gram_floor(X) -> float:
    """Seconds of one chunked Gram pass over X (``B.T @ B`` per row block, which
    NumPy runs as BLAS ``syrk`` in X's dtype with the GIL released), with
    newtonlogit's blocks and threads: the floor of a Newton iteration."""
    from concurrent.futures import ThreadPoolExecutor

    from newtonlogit.backends.numpy import default_block_rows, default_threads
    from newtonlogit.backends.threads import one_blas_thread

    rows = default_block_rows(X.shape[1])
    threads = default_threads()
    per = -(-X.shape[0] // threads)

    def part(a):
        for s in range(a, min(a + per, X.shape[0]), rows):
            B = X[s : min(s + rows, a + per)]
            B.T @ B

    with one_blas_thread(), ThreadPoolExecutor(threads) as pool:
        best = np.inf
        for _ in range(3):
            t = time.perf_counter()
            list(pool.map(part, range(0, X.shape[0], per)))
            best = min(best, time.perf_counter() - t)
    return best


def child(name: str, folder: str, traced_below: float) -> None:
    """One timed fit in this process (after a small warm-up fit that pays for
    imports and first-call set-up), then optionally one under tracemalloc;
    prints one JSON line."""
    import warnings

    warnings.simplefilter("ignore")
    X, y = load(folder)
    rng = np.random.default_rng(0)
    warm = np.sort(rng.choice(X.shape[0], size=min(2000, X.shape[0]), replace=False))
    try:
        # a few columns only: 2,000 rows of p = 1000 are separated, and the
        # warm-up would then time the separation check, not the set-up
        fit(name, X[warm][:, : min(X.shape[1], 10)], y[warm])
    except Exception:  # noqa: BLE001  (a tiny sample may be degenerate)
        pass
    out = {}
    base = _rss_bytes()
    t = time.perf_counter()
    coef, iters = fit(name, X, y)
    out["seconds"] = time.perf_counter() - t
    out["rss_extra"] = _peak_rss_bytes() - base
    out["coef"] = np.asarray(coef, dtype=float).tolist()
    out["iterations"] = int(iters)
    if name.startswith("newtonlogit"):
        import newtonlogit

        out["passes"] = dict(PASSES)
        out["package"] = str(Path(newtonlogit.__file__).parent)
        if isinstance(X, np.ndarray):
            out["floor"] = gram_floor(X)
    print("RESULT " + json.dumps(out), flush=True)
    if out["seconds"] < traced_below:
        import tracemalloc

        tracemalloc.start()
        fit(name, X, y)
        out = {"traced_peak": tracemalloc.get_traced_memory()[1]}
        print("TRACED " + json.dumps(out), flush=True)


def run_child(
    name: str, folder: str, limit: float, traced=False, blas_threads=None, baseline=None
) -> dict | None:
    cmd = [sys.executable, __file__, "--child", name, folder]
    env = dict(os.environ)
    if name == "newtonlogit-baseline":
        paths = [baseline, env.get("PYTHONPATH")]
        env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    if blas_threads and not name.startswith("newtonlogit"):  # (holds BLAS itself)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(blas_threads)
    if traced:
        cmd += ["--traced-below", str(limit / 3)]
        limit = 2 * limit
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=limit, env=env
        )
        stdout = proc.stdout
    except subprocess.TimeoutExpired as exc:
        stdout = exc.stdout or ""
        stdout = stdout.decode() if isinstance(stdout, bytes) else stdout
        if "RESULT " not in stdout:
            return None
    out = {}
    for line in stdout.splitlines():
        if line.startswith(("RESULT ", "TRACED ")):
            out.update(json.loads(line[7:]))
    if out:
        return out
    return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1][:120]}


# ----------------------------------------------------------------- driver


def reference(folder: str):
    import newtonlogit as nl

    X, y = load(folder)
    res = nl.logit(X, y, tol=1e-13, subsample_start=False)
    return res.coef, res.std_errors.to_numpy()


def applies(name: str, kind: str) -> bool:
    return not (kind == "sparse" and name.startswith("statsmodels"))


def bench_problem(label, spec, args, folder: Path) -> dict:
    kind, n, p, dtype = spec
    if args.quick:
        n //= 20
    print(f"== {label}: generating n={n:,} p={p} {dtype}", flush=True)
    info = make_problem(kind, n, p, dtype, folder)
    ref_coef, ref_se = reference(info["folder"])
    names = [c for c in args.contenders or CONTENDERS if applies(c, kind)]
    if args.baseline:
        names.insert(1, "newtonlogit-baseline")
    runs: dict[str, list] = {c: [] for c in names}
    timed_out: set[str] = set()
    for r in range(args.runs):
        for name in names:
            if name in timed_out:
                continue
            out = run_child(
                name,
                info["folder"],
                args.limit,
                r == 0,
                args.blas_threads,
                args.baseline,
            )
            if out is None:
                timed_out.add(name)
                print(f"   {name}: > {args.limit:.0f} s", flush=True)
                continue
            runs[name].append(out)
            print(f"   run {r + 1} {name}: {out.get('seconds', out)}", flush=True)
    rows = {}
    for name in names:
        good = [o for o in runs[name] if "seconds" in o]
        if name in timed_out and not good:
            rows[name] = {"timeout": True}
            continue
        if not good:
            rows[name] = {"error": runs[name][0].get("error") if runs[name] else "?"}
            continue
        row = {
            "seconds": statistics.median(o["seconds"] for o in good),
            "iterations": good[0]["iterations"],
            "rss_over_x": max(o["rss_extra"] for o in good) / info["nbytes"],
            "runs": len(good),
            "timeout": name in timed_out,
        }
        coef = np.asarray(good[0]["coef"])
        if coef.shape == ref_coef.shape:
            row["err_se"] = float(np.max(np.abs(coef - ref_coef) / ref_se))
            row["coef"] = coef
        if "floor" in good[0]:
            row["floor"] = statistics.median(o["floor"] for o in good)
        if "passes" in good[0]:
            row["passes"], row["package"] = good[0]["passes"], good[0]["package"]
        traced = [o["traced_peak"] for o in good if "traced_peak" in o]
        if traced:
            row["traced_over_x"] = traced[0] / info["nbytes"]
        rows[name] = row
    for f in folder.iterdir():
        f.unlink()
    return {"label": label, "n": n, "p": p, "dtype": dtype, "kind": kind, "rows": rows}


def _fmt(x, spec):
    return "-" if x is None else format(x, spec)


def render(results, args) -> str:
    import glum
    import scipy
    import sklearn
    import statsmodels

    import newtonlogit

    lines = [
        "## One machine: newtonlogit vs scikit-learn, statsmodels and glum",
        "",
        f"Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC. "
        f"Command: `python benchmarks/compare.py{' --quick' if args.quick else ''} "
        f"--runs {args.runs} --limit {args.limit:.0f} --blas-threads "
        f"{args.blas_threads}{' --baseline SRC' if args.baseline else ''}"
        f"{' --only ' + ' '.join(args.only) if args.only else ''}"
        f"{' --contenders ' + ' '.join(args.contenders) if args.contenders else ''}`.",
        "",
        f"Machine: {_cpu()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB; "
        f"Python {platform.python_version()}, NumPy {np.__version__} "
        f"({_blas()}), SciPy {scipy.__version__}; newtonlogit "
        f"{newtonlogit.__version__}, scikit-learn {sklearn.__version__}, "
        f"statsmodels {statsmodels.__version__}, glum {glum.__version__}.",
        "",
        f"Load average (1 min) when the run started: {args.load[0]:.2f}; when "
        f"it ended: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores: a load "
        "above that means other jobs competed for them). The contenders "
        "alternated run by run, so the ratios are fairer than the times. Each "
        "time is the median of the runs shown. "
        + (
            f"The other contenders ran with BLAS/OpenMP held to "
            f"{args.blas_threads} thread(s): on an oversubscribed machine "
            "OpenBLAS's own threads spin and made them many times slower "
            "(statsmodels GLM: 26 s instead of about 2 s at n = 50,000, p = 100), "
            "which would flatter newtonlogit. On a quiet machine their BLAS "
            "threads could make the GEMM-bound ones (sklearn newton-cholesky, "
            "statsmodels) up to about 2x faster: run with --blas-threads 0. "
            "newtonlogit "
            "uses both cores through threads over row blocks."
            if args.blas_threads
            else "All contenders ran with their default threading."
        ),
        "",
        "Columns: wall time of the fit (median); ratio = contender / newtonlogit; "
        "iterations as the library reports them; RSS/X = peak RSS growth during "
        "the fit over the data's own bytes (X as passed); traced/X = tracemalloc "
        "peak over X (NumPy-allocated memory; '-' when not measured); err = "
        "max |coef - reference| / SE, the reference being newtonlogit's plain "
        f"path at tol=1e-13. Slow fits are cut at {args.limit:.0f} s ('> limit').",
        "",
    ]
    for res in results:
        nl_row = res["rows"].get("newtonlogit", {})
        nl_time = nl_row.get("seconds")
        lines += [
            f"### {res['label']} (n = {res['n']:,}, p = {res['p']}, {res['dtype']}"
            f"{', CSR' if res['kind'] == 'sparse' else ''})",
            "",
            "| contender | time (s) | ratio | iterations | RSS/X | traced/X "
            "| err (SE) |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, row in res["rows"].items():
            if "error" in row:
                lines.append(f"| {name} | failed: {row['error']} | | | | | |")
                continue
            if "seconds" not in row:
                bound = f"> {args.limit / nl_time:.0f}" if nl_time else ""
                lines.append(f"| {name} | > {args.limit:.0f} | {bound} | | | | |")
                continue
            ratio = row["seconds"] / nl_time if nl_time else None
            lines.append(
                f"| {name} | {row['seconds']:.2f} ({row['runs']}) | "
                f"{_fmt(ratio, '.1f')} | {row['iterations']} | "
                f"{row['rss_over_x']:.2f} | {_fmt(row.get('traced_over_x'), '.3f')} | "
                f"{_fmt(row.get('err_se'), '.1e')} |"
            )
        lines += _pass_lines(res["rows"])
        if res["kind"] == "illcond" and "coef" in res["rows"].get(
            "statsmodels-Logit", {}
        ):
            sm_coef = res["rows"]["statsmodels-Logit"]["coef"]
            rel = np.max(np.abs(nl_row["coef"] - sm_coef) / np.abs(sm_coef))
            lines += [
                "",
                f"newtonlogit vs statsmodels Logit: max relative difference of "
                f"the coefficients {rel:.1e}; newtonlogit took "
                f"{nl_row['iterations']} iterations.",
            ]
        lines.append("")
    return "\n".join(lines)


def _pass_lines(rows: dict) -> list[str]:
    """newtonlogit's whole fit in bare Gram passes, and its passes over X."""
    lines = []
    for name in ("newtonlogit", "newtonlogit-baseline"):
        row = rows.get(name, {})
        if "seconds" not in row or "passes" not in row:
            continue
        passes = row["passes"]
        said = (
            f"{passes['newton']} with the exact information + "
            f"{passes.get('steer', 0)} steering (float32 information) + "
            f"{passes['score']} score-only"
        )
        floor = row.get("floor")
        unit = (
            f"whole fit = **{row['seconds'] / floor:.2f}** bare Gram passes "
            f"(one: {floor:.3f} s); "
            if floor
            else ""
        )
        lines += ["", f"{name}: {unit}passes over X: {said}."]
    est, lbfgs = rows.get("newtonlogit-estimator", {}), rows.get("sklearn-lbfgs", {})
    if "seconds" in est and "seconds" in lbfgs:
        lines += [
            "",
            f"The estimator's fit (`nl.LogisticRegression().fit`) against "
            f"scikit-learn's lbfgs: lbfgs / estimator = "
            f"**{lbfgs['seconds'] / est['seconds']:.2f}**.",
        ]
    base, new = rows.get("newtonlogit-baseline", {}), rows.get("newtonlogit", {})
    if "seconds" in base and "seconds" in new:
        lines += [
            "",
            f"A/B in this run: baseline / newtonlogit = "
            f"**{base['seconds'] / new['seconds']:.2f}** (baseline package: "
            f"`{base['package']}`).",
        ]
    return lines


BEGIN, END = "<!-- compare.py -->", "<!-- /compare.py -->"


def write_section(path: Path, text: str) -> None:
    """Put ``text`` between the markers in ``path``, keeping everything else."""
    old = path.read_text() if path.exists() else "# Benchmark results\n"
    block = f"{BEGIN}\n{text}\n{END}"
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        new = head + block + rest.split(END, 1)[1]
    else:
        new = old.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(new)


def _cpu() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _blas() -> str:
    try:
        from threadpoolctl import threadpool_info

        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        return f"{blas[0]['internal_api']} {blas[0]['version']}" if blas else "?"
    except Exception:  # noqa: BLE001
        return "?"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n / 20, fewer runs")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=float, default=120.0, help="seconds per fit")
    parser.add_argument("--only", nargs="*", help="problem names to run")
    parser.add_argument(
        "--contenders", nargs="*", choices=CONTENDERS, help="contenders to run"
    )
    parser.add_argument("--output", type=Path)
    parser.add_argument("--child", nargs=2, metavar=("CONTENDER", "FOLDER"))
    parser.add_argument("--traced-below", type=float, default=0.0)
    parser.add_argument(
        "--baseline",
        help="folder holding another newtonlogit package (a checkout's src), "
        "timed as the contender newtonlogit-baseline",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        help="BLAS/OpenMP threads of the other contenders (0: their default)",
    )
    args = parser.parse_args(argv)
    if args.child:
        return child(*args.child, traced_below=args.traced_below)
    args.load = os.getloadavg()
    import newtonlogit  # noqa: F401  (fail early if not installed)

    problems = {k: v for k, v in PROBLEMS.items() if not args.only or k in args.only}
    results = []
    output = args.output or HERE / ("RESULTS-quick.md" if args.quick else "RESULTS.md")
    with tempfile.TemporaryDirectory(prefix="nl-bench-") as tmp:
        for label, spec in problems.items():
            results.append(bench_problem(label, spec, args, Path(tmp)))
            write_section(output, render(results, args))  # partial results survive
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
