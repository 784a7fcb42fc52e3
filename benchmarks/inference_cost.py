"""What inference costs next to the fit itself.

Run: python benchmarks/inference_cost.py
Prints, as ratios to the plain fit: the fit-time statistics (null fit,
saturated model, margin sums), the robust and cluster covariance passes, and
the profile-likelihood intervals (with refits per limit and Newton iterations
per refit, the measure of how warm the warm starts are).
"""

from __future__ import annotations

import time

import numpy as np

import newtonlogit as nl
from newtonlogit.families.binary import fitstats
from newtonlogit.solver.refit import Refitter


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def data(n, p, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    beta = np.linspace(-1, 1, p + 1)
    y = (rng.random(n) < 1 / (1 + np.exp(-(beta[0] + X @ beta[1:])))).astype(float)
    return X, y


def fit_time_statistics(n=200_000, p=20):
    X, y = data(n, p)
    original = fitstats.fit_statistics
    fitstats_time = []

    def timed(*args, **kwargs):
        start = time.perf_counter()
        out = original(*args, **kwargs)
        fitstats_time.append(time.perf_counter() - start)
        return out

    import newtonlogit.families.binary.fit as api

    api.fit_statistics = timed
    total = best_of(lambda: nl.logit(X, y))
    api.fit_statistics = original
    print(
        f"n={n} p={p}: fit {total:.3f} s, of which fit-time statistics "
        f"{min(fitstats_time):.3f} s ({min(fitstats_time) / total:.1%})"
    )
    groups = np.arange(n) % 100
    for cov_type in ("HC0", "HC3", "cluster"):
        kw = dict(groups=groups) if cov_type == "cluster" else {}
        plain = best_of(lambda: nl.logit(X, y))  # again: the machine may be busy
        t = best_of(lambda c=cov_type, k=kw: nl.logit(X, y, cov_type=c, **k))
        print(f"  cov_type={cov_type}: {t / plain:.2f} x the plain fit")


def profile_cost(n=20_000, p=10):
    X, y = data(n, p, seed=1)
    res = nl.logit(X, y)
    fit = best_of(lambda: nl.logit(X, y), repeat=1)
    counts = []
    original = Refitter.fit_with_fixed

    def counting(self, fixed, start=None):
        out = original(self, fixed, start)
        counts.append(out.n_iter)
        return out

    Refitter.fit_with_fixed = counting
    t = best_of(lambda: res.conf_int(method="profile"), repeat=1)
    Refitter.fit_with_fixed = original
    limits = 2 * len(res.coef)
    print(
        f"n={n} p={p}: profile intervals {t / fit:.1f} x the fit; "
        f"{len(counts) / limits:.1f} refits per limit, "
        f"{np.mean(counts):.2f} Newton iterations per refit "
        f"(the fit took {res.n_iter})"
    )


if __name__ == "__main__":
    fit_time_statistics()
    profile_cost()
