"""Multinomial fit: newtonlogit vs statsmodels' MNLogit (Newton) and sklearn.

Also times the one-product block information against the naive
``K (K - 1) / 2`` pairwise products of the same blocks.

    python benchmarks/mnlogit.py [--n 200000] [--p 20] [--classes 5]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def simulate(n, p, n_classes, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    B = rng.uniform(-0.5, 0.5, size=(n_classes - 1, p + 1))
    eta = np.column_stack([np.zeros(n), B[:, 0] + X @ B[:, 1:].T])
    P = np.exp(eta - eta.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)
    return X, y


def best_of(f, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - start)
    return min(times), out


def pairwise_info(X, P, w=None):
    """The naive block information: one weighted Gram per pair of classes."""
    Xt = np.column_stack([np.ones(len(X)), X])
    K1, k = P.shape[1], Xt.shape[1]
    info = np.empty((K1 * k, K1 * k))
    for j in range(K1):
        for i in range(j, K1):
            v = P[:, j] * ((j == i) - P[:, i])
            block = (Xt * v[:, None]).T @ Xt
            info[j * k : (j + 1) * k, i * k : (i + 1) * k] = block
            info[i * k : (i + 1) * k, j * k : (j + 1) * k] = block.T
    return info


def main() -> None:
    import statsmodels.api as sm
    from sklearn.linear_model import LogisticRegression

    import newtonlogit as nl
    from newtonlogit.families.multinomial import kernels as _mnkernels
    from newtonlogit.kernels import block as _kernels

    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--p", type=int, default=20)
    parser.add_argument("--classes", type=int, default=5)
    args = parser.parse_args()
    X, y = simulate(args.n, args.p, args.classes)
    print(f"n={args.n} p={args.p} K={args.classes}")

    t_nl, res = best_of(lambda: nl.mnlogit(X, y))
    t_sm, ref = best_of(
        lambda: sm.MNLogit(y, sm.add_constant(X)).fit(
            method="newton", tol=1e-10, disp=0
        ),
        repeat=1,
    )
    t_sk, _ = best_of(
        lambda: LogisticRegression(C=np.inf, max_iter=1000, tol=1e-10).fit(X, y),
        repeat=1,
    )
    diff = np.max(np.abs(res.params.to_numpy() - ref.params))
    print(f"newtonlogit.mnlogit   {t_nl:8.3f} s  ({res.n_iter} iterations)")
    print(f"statsmodels MNLogit   {t_sm:8.3f} s  ratio {t_sm / t_nl:5.1f}x")
    print(f"sklearn lbfgs         {t_sk:8.3f} s  ratio {t_sk / t_nl:5.1f}x")
    print(f"max |params difference| vs statsmodels: {diff:.2e}")

    from newtonlogit.backends.numpy import default_block_rows

    m = default_block_rows(args.p)  # the NumPy backend's block size
    block = _kernels.Block(X[:m], y[:m].astype(float))
    beta = res.coef.ravel()
    t_one, (_, _, info, _) = best_of(
        lambda: _mnkernels.multinomial_sums(np, block, beta, True, args.classes), 7
    )
    eta = _mnkernels.multinomial_eta(np, block, beta, True, args.classes)
    P = _mnkernels.softmax_with_base(np, eta)[:, 1:]
    t_pairs, naive = best_of(lambda: pairwise_info(block.X, P), 7)
    print(
        f"one block pass ({m} rows): whole kernel {t_one * 1e3:.1f} ms, "
        f"pairwise Grams {t_pairs * 1e3:.1f} ms (info only), ratio "
        f"{t_pairs / t_one:.1f}x; max |difference| {np.max(np.abs(info - naive)):.1e}"
    )


if __name__ == "__main__":
    main()
