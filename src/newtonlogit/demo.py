"""``newtonlogit demo``: the tutorial's experiment, told truthfully."""

from __future__ import annotations

import textwrap
import warnings

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

from .api import logit
from .exceptions import ConvergenceWarning

SEED = 0


def _pair(first: int, second: int):
    iris = load_iris(as_frame=True)
    X = iris.data.rename(columns=lambda c: c.replace(" (cm)", "").replace(" ", "_"))
    keep = iris.target.isin([first, second]).to_numpy()
    names = iris.target_names
    y = pd.Series(np.where(iris.target[keep] == second, names[second], names[first]))
    return train_test_split(
        X[keep].reset_index(drop=True), y, test_size=0.25, random_state=SEED, stratify=y
    )


def _experiment(first: int, second: int, out) -> object:
    X_train, X_test, y_train, y_test = _pair(first, second)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        res = logit(X_train, y_train, start=np.zeros(X_train.shape[1] + 1))
    event = res.classes[1]
    accuracy = np.mean((res.predict(X_test) > 0.5) == (y_test.to_numpy() == event))
    print(
        f"Newton-Raphson from zero on {len(y_train)} training flowers "
        f"(event: {event}):",
        file=out,
    )
    print(
        res.history.to_string(index=False, float_format=lambda v: f"{v:.4g}"), file=out
    )
    print(f"test accuracy on {len(y_test)} flowers: {accuracy:.3f}", file=out)
    return res


def run(out) -> None:
    """Print both experiments to the file ``out``."""
    print("1. setosa vs versicolor (the tutorial's data)\n", file=out)
    res = _experiment(0, 1, out)
    # A log-likelihood of (numerically) zero means every training flower gets
    # probability 1 for its own class: the classes are perfectly separated.
    separated = res.loglik > -1e-6
    if res.converged and not separated:
        print("\nThe fit converged.", file=out)
    else:
        print()
        print(
            textwrap.fill(
                "The iterations stop, but nothing converged, and no amount of "
                "iterations "
                "would help: "
                "setosa and versicolor are perfectly separated by these features, so "
                "the log-likelihood keeps rising towards 0 as the coefficients run off "
                "to infinity. The maximum-likelihood estimate does not exist; the "
                "numbers below are wherever the iterations stopped, not estimates, "
                "and their standard errors are meaningless. The perfect test accuracy "
                "says the classes are easy to tell apart, not that the model is right.",
                width=79,
            ),
            file=out,
        )
    print(res.params.to_string(float_format=lambda v: f"{v:.4g}"), file=out)

    print(
        "\n2. versicolor vs virginica (overlapping classes: a well-posed fit)\n",
        file=out,
    )
    res = _experiment(1, 2, out)
    state = "converged" if res.converged else "did NOT converge"
    print(
        f"\nThe fit {state} in {res.n_iter} iterations; estimates and standard errors:",
        file=out,
    )
    table = pd.DataFrame({"coef": res.params, "std_err": res.std_errors})
    print(table.to_string(float_format=lambda v: f"{v:.4g}"), file=out)
