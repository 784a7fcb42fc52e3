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


def _one_pair_separated():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(300)
    y = rng.integers(0, 2, 300)  # classes 0 and 1 overlap everywhere
    y[x > 0.5] = np.where(rng.random((x > 0.5).sum()) < 0.5, 1, 2)
    y[x > 1.5] = 2  # class 2 only at large x: never below 0.5
    y[np.argmin(np.abs(x - 0.5))] = 0
    return np.column_stack([x, rng.standard_normal(300)]), y


def test_a_separated_pair_alone_leaves_the_estimate_finite():
    """Classes 0 and 2 are quasi-separated at x = 0.5, but class 1 lives on
    both sides: moving the 2-vs-0 log-odds off to infinity would lose the
    class-1 rows on one side or the other, so the multinomial estimate exists
    (Albert and Anderson 1984: no direction loses on no row). Newton-Raphson
    converges quadratically to it, and the fit says nothing of separation."""
    from newtonlogit.data.checks import multiclass_response
    from newtonlogit.data.design import make_design
    from newtonlogit.families.multinomial.separation import (
        model_separated,
        pairwise_separation,
    )

    X, y = _one_pair_separated()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = nl.mnlogit(X, y)
    assert res.converged and res.separation is None
    assert res.history["decrement"].iloc[-1] < 1e-12
    design = make_design(X, y, response=multiclass_response)
    columns = np.ones(3, dtype=bool)
    assert model_separated(design, columns) is False
    pairs = pairwise_separation(design, columns, (0, 1, 2))
    assert pairs.separated_pairs == [(0, 2)]
    assert pairs.pairs[(0, 2)].directions["x1"] == 1


def test_quasi_complete_separation_of_the_model():
    """Without class 1 above 0.5, the 2-vs-0 contrast runs off: the pair and
    the model are separated, the fit is stopped and says so."""
    X, y = _one_pair_separated()
    y[(X[:, 0] > 0.5) & (y == 1)] = 2
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
