"""Conditional logistic regression against statsmodels' ConditionalLogit.

    python benchmarks/clogit.py [--repeats 3]

Two simulated matched designs: 1:M (one case and four controls per set) and
M:N (sets of 10 rows with 3 cases). Both libraries fit the same data in the
same run, alternately; the table gives the median wall time of each, the ratio
(statsmodels / newtonlogit) and the largest difference of the estimates.
statsmodels maximizes by BFGS on its own recursion for the likelihood;
newtonlogit by exact Newton (the exact method).
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np


def simulate(n_sets: int, size: int, cases: int, p: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    n = n_sets * size
    X = rng.normal(size=(n, p))
    beta = np.linspace(0.5, -0.5, p)
    strata = np.repeat(np.arange(n_sets), size)
    y = np.zeros(n)
    eta = (X @ beta).reshape(n_sets, size)
    for s in range(n_sets):
        # draw the case set sequentially: a close stand-in for the model
        w = np.exp(eta[s])
        chosen = rng.choice(size, cases, replace=False, p=w / w.sum())
        y[s * size + chosen] = 1
    return X, y, strata


def timed(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from statsmodels.discrete.conditional_models import ConditionalLogit

    import newtonlogit as nl

    designs = {
        "1:M (2,000 sets of 1 case + 4 controls, p = 5)": simulate(2000, 5, 1, 5),
        "M:N (500 sets of 10 rows, 3 cases, p = 5)": simulate(500, 10, 3, 5),
    }
    print("| design | statsmodels s | newtonlogit s | ratio | max |coef diff| |")
    print("|---|---|---|---|---|")
    for label, (X, y, strata) in designs.items():

        def ours(X=X, y=y, strata=strata):
            return nl.clogit(X, y, strata=strata).coef

        def theirs(X=X, y=y, strata=strata):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = ConditionalLogit(y, X, groups=strata)
                return model.fit(disp=False).params

        t_sm, b_sm = timed(theirs, args.repeats)
        t_nl, b_nl = timed(ours, args.repeats)
        diff = float(np.max(np.abs(np.asarray(b_sm) - b_nl)))
        ratio = t_sm / t_nl
        print(f"| {label} | {t_sm:.3f} | {t_nl:.3f} | {ratio:.1f}x | {diff:.1e} |")


if __name__ == "__main__":
    main()
