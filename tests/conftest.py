"""Shared data loaders for the tests; each names where its data comes from."""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest


@dataclass(frozen=True)
class Dataset:
    X: pd.DataFrame
    y: object


def load_spector() -> Dataset:
    """statsmodels' spector data: GRADE ~ GPA + TUCE + PSI."""
    import statsmodels.api as sm

    d = sm.datasets.spector.load_pandas()
    return Dataset(d.exog[["GPA", "TUCE", "PSI"]], d.endog.to_numpy())


def load_star98() -> Dataset:
    """statsmodels' star98: grouped binomial (successes, failures), 20 covariates."""
    import statsmodels.api as sm

    d = sm.datasets.star98.load_pandas()
    return Dataset(d.exog, d.endog.to_numpy())


def load_lbw() -> Dataset:
    """Hosmer-Lemeshow lbw as shipped in statsmodels (genmod/tests/results)."""
    path = importlib.resources.files("statsmodels.genmod.tests.results").joinpath(
        "stata_lbw_glm.csv"
    )
    df = pd.read_csv(path)
    X = pd.DataFrame(
        {
            "age": df.age,
            "lwt": df.lwt,
            "race_black": (df.race == "black").astype(float),
            "race_other": (df.race == "other").astype(float),
            "smoke": df.smoke,
            "ptl": df.ptl,
            "ht": df.ht,
            "ui": df.ui,
        }
    ).astype(float)
    return Dataset(X, df.low.to_numpy())


def load_iris_pair(first: int, second: int) -> Dataset:
    """scikit-learn's iris (identical to R's), two classes; y = 1 for ``second``."""
    from sklearn.datasets import load_iris

    iris = load_iris(as_frame=True)
    keep = iris.target.isin([first, second]).to_numpy()
    X = iris.data[keep].reset_index(drop=True)
    X.columns = ["Sepal.Length", "Sepal.Width", "Petal.Length", "Petal.Width"]
    return Dataset(X, (iris.target[keep] == second).astype(float).to_numpy())


@pytest.fixture(scope="session")
def spector() -> Dataset:
    return load_spector()


@pytest.fixture(scope="session")
def star98() -> Dataset:
    return load_star98()


@pytest.fixture(scope="session")
def lbw() -> Dataset:
    return load_lbw()


def make_logit_data(n=2000, p=5, seed=0, dtype=np.float64, order="C"):
    """Simulated data with a known true coefficient vector (intercept first)."""
    rng = np.random.default_rng(seed)
    X = np.asarray(rng.standard_normal((n, p)), dtype=dtype, order=order)
    beta = np.linspace(-1, 1, p + 1)
    eta = beta[0] + X.astype(np.float64) @ beta[1:]
    y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return X, y, beta


@pytest.fixture
def passes(monkeypatch) -> list[tuple[int, str]]:
    """``(rows, kernel name)`` of every pass of the NumPy and sparse backends."""
    from newtonlogit.backends.numpy import NumpyBackend

    seen: list[tuple[int, str]] = []
    original = NumpyBackend.map_sum

    def counting(self, kernel, *args):
        seen.append((self.n_rows, kernel.__name__))
        return original(self, kernel, *args)

    monkeypatch.setattr(NumpyBackend, "map_sum", counting)
    return seen
