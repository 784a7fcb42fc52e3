"""Ordinal fit: newtonlogit's ologit (exact Newton) vs statsmodels' OrderedModel
(BFGS, its default), on simulated proportional-odds data.

    python benchmarks/ordinal.py [--n 200000] [--p 10] [--levels 5]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np


def simulate(n, p, n_levels, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    b = 0.5 * rng.standard_normal(p)
    cuts = np.linspace(-2, 2, n_levels - 1)
    return X, np.digitize(X @ b + rng.logistic(size=n), cuts)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--p", type=int, default=10)
    parser.add_argument("--levels", type=int, default=5)
    args = parser.parse_args()

    import newtonlogit as nl

    X, y = simulate(args.n, args.p, args.levels)
    nl.ologit(X[:1000], y[:1000])  # warm up imports
    start = time.perf_counter()
    res = nl.ologit(X, y)
    ours = time.perf_counter() - start
    print(
        f"ologit: {ours:.2f} s, {res.n_iter} Newton iterations, loglik {res.loglik:.6f}"
    )
    try:
        from statsmodels.miscmodels.ordinal_model import OrderedModel
    except ImportError:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        start = time.perf_counter()
        sm = OrderedModel(y, X, distr="logit").fit(method="bfgs", disp=0, maxiter=1000)
        theirs = time.perf_counter() - start
    gap = np.max(np.abs(sm.params[: args.p] - res.slopes.to_numpy()))
    print(
        f"statsmodels OrderedModel (bfgs): {theirs:.2f} s, loglik {sm.llf:.6f}; "
        f"{theirs / ours:.1f}x the time; largest slope difference {gap:.1e}"
    )


if __name__ == "__main__":
    main()
