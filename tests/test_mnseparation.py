"""Separation in the multinomial model, per pair of classes."""

import warnings

import numpy as np
import pytest

import newtonlogit as nl
from newtonlogit import SeparationWarning


@pytest.fixture(scope="module")
def iris():
    """scikit-learn's iris (identical to R's): setosa is separated from both
    other species; versicolor and virginica overlap."""
    from sklearn.datasets import load_iris

    d = load_iris(as_frame=True)
    species = np.asarray(d.target_names)[d.target].tolist()
    return d.data, np.array(species)


def test_iris_is_diagnosed_per_pair_and_never_converged(iris):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = nl.mnlogit(*iris)
    assert [w.category for w in caught] == [SeparationWarning]
    assert "setosa" in str(caught[0].message) and "penalty='l2'" in str(
        caught[0].message
    )
    assert not res.converged
    sep = res.separation
    assert sep.separated and sep.kind == "complete"
    assert sep.separated_pairs == [("setosa", "versicolor"), ("setosa", "virginica")]
    assert not sep.pairs[("versicolor", "virginica")].separated
    # petal length separates setosa (short petals) from both others
    assert sep.pairs[("setosa", "versicolor")].directions["petal length (cm)"] == 1
    assert "separation of classes" in str(res)


def test_quasi_complete_separation_of_one_pair():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(300)
    y = rng.integers(0, 2, 300)  # classes 0 and 1 overlap everywhere
    y[x > 0.5] = np.where(rng.random((x > 0.5).sum()) < 0.5, 1, 2)
    y[x > 1.5] = 2  # class 2 only at large x: never below 0.5
    y[np.argmin(np.abs(x - 0.5))] = 0
    X = np.column_stack([x, rng.standard_normal(300)])
    with pytest.warns(SeparationWarning):
        res = nl.mnlogit(X, y)
    assert not res.converged
    pairs = res.separation.separated_pairs
    assert (0, 2) in pairs and (0, 1) not in pairs
    assert res.separation.pairs[(0, 2)].directions["x1"] == 1


def test_no_check_and_no_warning_on_regular_or_penalized_fits(iris):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = nl.mnlogit(*iris, penalty="l2", alpha=1.0)
    assert res.converged and res.separation is None
