"""``newtonlogit demo``: the tutorial's experiment, told truthfully."""

from __future__ import annotations

import textwrap
import warnings

import numpy as np
import pandas as pd
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

from ..exceptions import ConvergenceWarning, SeparationWarning
from ..families.binary.fit import logit

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
        warnings.simplefilter("ignore", SeparationWarning)
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
    return res, (X_train, y_train)


def _separated(res, out) -> None:
    found = res.separation
    features = ", ".join(found.describe())
    print(file=out)
    print(
        textwrap.fill(
            f"Newton-Raphson stopped after {res.n_iter} iterations without "
            f"converging, and no amount of iterations would help: the data show "
            f"{found.kind} separation (checked exactly by a linear program). "
            f"Some combination of the features classifies every training flower "
            f"without error, so the log-likelihood keeps rising towards 0 as "
            f"the coefficients run off to infinity ({features}). The "
            "maximum-likelihood estimate does not exist; the numbers below are "
            "where the iterations stopped, not estimates, and their standard "
            "errors are meaningless. The perfect test accuracy says the classes "
            "are easy to tell apart, not that the model is right.",
            width=79,
        ),
        file=out,
    )
    print(res.params.to_string(float_format=lambda v: f"{v:.4g}"), file=out)


def _firth(data, out) -> None:
    X_train, y_train = data
    res = logit(X_train, y_train, penalty="firth")
    print(file=out)
    print(
        textwrap.fill(
            "Firth's penalized likelihood (penalty='firth', as R's logistf) "
            "has a finite maximum even on separated data. It converged in "
            f"{res.n_iter} iterations; estimates, standard errors, 95% profile "
            "penalized-likelihood intervals and penalized likelihood-ratio "
            "p-values:",
            width=79,
        ),
        file=out,
    )
    ci = res.conf_int(method="profile")
    table = pd.DataFrame(
        {
            "coef": res.params,
            "std_err": res.std_errors,
            "lower": ci.iloc[:, 0],
            "upper": ci.iloc[:, 1],
            "lr_p": res.lr_p_values(),
        }
    )
    print(table.to_string(float_format=lambda v: f"{v:.4g}"), file=out)


def run(out) -> None:
    """Print both experiments to the file ``out``."""
    print("1. setosa vs versicolor (the tutorial's data)\n", file=out)
    res, data = _experiment(0, 1, out)
    if res.separation is not None:
        _separated(res, out)
        _firth(data, out)
    else:
        print(f"\nThe fit {'converged' if res.converged else 'did NOT converge'}.")
        print(res.params.to_string(float_format=lambda v: f"{v:.4g}"), file=out)

    print(
        "\n2. versicolor vs virginica (overlapping classes: a well-posed fit)\n",
        file=out,
    )
    res, _ = _experiment(1, 2, out)
    state = "converged" if res.converged else "did NOT converge"
    print(
        f"\nThe fit {state} in {res.n_iter} iterations; estimates and standard errors:",
        file=out,
    )
    table = pd.DataFrame({"coef": res.params, "std_err": res.std_errors})
    print(table.to_string(float_format=lambda v: f"{v:.4g}"), file=out)
