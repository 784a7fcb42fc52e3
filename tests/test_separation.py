"""Separation: the linear-programming check and its detection during fits."""

import warnings

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl
from newtonlogit.families.binary import separation

from .conftest import load_iris_pair, make_logit_data
from .reference import values as ref


def _columns(formula: str) -> list[str]:
    return [c.strip() for c in formula.split("~")[1].split("+")]


def _fit(*args, **kwargs):
    """nl.logit, returning the result and the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = nl.logit(*args, **kwargs)
    return res, [w for w in caught]


IRIS_CASES = sorted(ref.IRIS_SETOSA_VERSICOLOR_SEPARATION.items())


@pytest.mark.parametrize("formula, expected", IRIS_CASES)
def test_iris_matches_detectseparation(formula, expected):
    # detectseparation 0.3: glm(formula, family = binomial, method =
    # "detect_separation") on iris setosa (0) vs versicolor (1)
    data = load_iris_pair(0, 1)
    found = nl.check_separation(data.X[_columns(formula)], data.y)
    assert found.separated is expected["separation"]
    np.testing.assert_array_equal(found.directions, np.sign(expected["beta"]))
    assert found.kind == ("complete" if expected["separation"] else None)


def test_spector_matches_detectseparation(spector):
    found = nl.check_separation(spector.X, spector.y)
    assert not found.separated and found.kind is None
    np.testing.assert_array_equal(found.directions, ref.SPECTOR_SEPARATION["beta"])
    assert list(found.directions.index) == ["Intercept", "GPA", "TUCE", "PSI"]


def _quasi_separated(n=200, n_sep=10, seed=1):
    """Overlapping x1; x2 = 1 on a few rows, all of them events: the MLE of x2's
    coefficient is +inf, the rest finite (quasi-complete separation)."""
    rng = np.random.default_rng(seed)
    x1 = rng.standard_normal(n)
    y = (rng.random(n) < 1 / (1 + np.exp(-x1))).astype(float)
    x2 = np.zeros(n)
    x2[np.flatnonzero(y == 1)[:n_sep]] = 1.0
    return pd.DataFrame({"x1": x1, "x2": x2}), y


def test_quasi_complete_separation_is_named():
    X, y = _quasi_separated()
    found = nl.check_separation(X, y)
    assert found.separated and found.kind == "quasi-complete"
    assert found.directions.to_dict() == {"Intercept": 0, "x1": 0, "x2": 1}
    assert found.infinite == ["x2"]
    assert "x2 -> +inf" in repr(found)


def test_fit_on_quasi_separated_data_warns_once_and_never_converges():
    X, y = _quasi_separated()
    res, caught = _fit(X, y)
    assert not res.converged
    assert res.separation.kind == "quasi-complete"
    assert res.separation.infinite == ["x2"]
    assert len(caught) == 1 and caught[0].category is nl.SeparationWarning
    assert issubclass(nl.SeparationWarning, UserWarning)
    text = str(caught[0].message)
    assert "x2 -> +inf" in text and "penalty='firth'" in text
    assert "x1" not in text
    summary = " ".join(res.summary().as_text().split())
    assert "quasi-complete separation" in summary and "x2 -> +inf" in summary
    assert "Converged: NO" in summary


@pytest.mark.parametrize("n, n_sep", [(20_000, 3)])
def test_quasi_separation_hidden_in_a_large_fit_is_caught(n, n_sep):
    # A few separated rows among many: the relative change of the deviance
    # would soon look converged; the linear rate of the decrement gives it away.
    X, y = _quasi_separated(n=n, n_sep=n_sep)
    res, caught = _fit(X, y)
    assert not res.converged and res.separation.infinite == ["x2"]
    assert [w.category for w in caught] == [nl.SeparationWarning]


@pytest.mark.parametrize("formula, expected", IRIS_CASES)
def test_fits_agree_with_the_check(formula, expected):
    data = load_iris_pair(0, 1)
    res, caught = _fit(data.X[_columns(formula)], data.y)
    if expected["separation"]:
        assert not res.converged  # never claimed on separated data
        assert res.separation.kind == "complete"
        np.testing.assert_array_equal(
            res.separation.directions, np.sign(expected["beta"])
        )
        assert [w.category for w in caught] == [nl.SeparationWarning]
        assert res.n_iter < 15  # stopped early, not run until the deviance stalls
    else:
        assert res.converged and res.separation is None and not caught


def test_regular_fits_report_no_separation(spector, lbw):
    for data in (spector, lbw):
        res, caught = _fit(data.X, data.y)
        assert res.converged and res.separation is None and not caught


def test_penalized_fits_are_not_checked():
    data = load_iris_pair(0, 1)
    res, caught = _fit(data.X, data.y, penalty="l2", alpha=1.0)
    assert res.converged and res.separation is None and not caught


def test_grouped_rows_with_both_outcomes_constrain_both_ways():
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0]})
    # x = 0 has events and non-events, which pins the intercept's direction to
    # 0; x = 1 and x = 2 only events: the slope's MLE is +inf (quasi-complete).
    counts = np.array([[3, 2], [5, 0], [4, 0]])
    found = nl.check_separation(X, counts)
    assert found.separated and found.kind == "quasi-complete"
    assert found.directions.to_dict() == {"Intercept": 0, "x": 1}
    # the same data as binary rows give the same answer
    rows = np.repeat([0.0, 0.0, 1.0, 2.0], [3, 2, 5, 4])
    ys = np.repeat([1.0, 0.0, 1.0, 1.0], [3, 2, 5, 4])
    binary = nl.check_separation(rows[:, None], ys)
    assert binary.kind == found.kind
    np.testing.assert_array_equal(binary.directions, found.directions)
    # one failure at x = 2 removes the separation
    assert not nl.check_separation(X, np.array([[3, 2], [5, 0], [4, 1]])).separated
    res, caught = _fit(X, counts)
    assert not res.converged and res.separation.directions["x"] == 1
    assert [w.category for w in caught] == [nl.SeparationWarning]


def test_zero_weight_rows_are_ignored():
    x = np.array([[0.0], [1.0], [2.0], [3.0], [2.5]])
    y = np.array([0.0, 0.0, 1.0, 1.0, 0.0])
    # the overlapping row (x = 2.5, y = 0 among the events) makes a finite MLE
    assert not nl.check_separation(x, y).separated
    w = np.array([1.0, 1.0, 1.0, 1.0, 0.0])
    assert nl.check_separation(x, y, weights=w).kind == "complete"
    assert nl.check_separation(x, y, weights=2 * w).kind == "complete"


def test_aliased_columns_are_left_out():
    data = load_iris_pair(0, 1)
    X = data.X[["Petal.Length"]].assign(twice=2 * data.X["Petal.Length"])
    found = nl.check_separation(X, data.y)
    assert found.separated and np.isnan(found.directions["twice"])
    assert found.directions["Petal.Length"] == 1
    res, caught = _fit(X, data.y, drop_collinear=True)
    assert res.aliased == ("twice",) and res.separation.infinite == [
        "Intercept",
        "Petal.Length",
    ]
    assert [w.category for w in caught] == [
        nl.CollinearityWarning,
        nl.SeparationWarning,
    ]


def test_no_intercept():
    x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    found = nl.check_separation(x, y, fit_intercept=False)
    assert found.kind == "complete" and found.directions.to_dict() == {"x1": 1}


def test_large_data_is_proved_overlapping_on_a_sample(monkeypatch):
    X, y, _ = make_logit_data(n=20_000, p=3, seed=5)
    calls = []
    konis = separation._konis
    monkeypatch.setattr(
        separation, "_konis", lambda s, **k: calls.append(len(s)) or konis(s, **k)
    )
    assert not nl.check_separation(X, y).separated
    assert calls and max(calls) < 5_000  # the full program was not needed


def test_bad_input_is_named():
    X = np.array([[0.0], [np.nan], [1.0]])
    with pytest.raises(nl.DataError, match="row 1"):
        nl.check_separation(X, [0, 1, 1])
    with pytest.raises(nl.DataError, match="two classes"):
        nl.check_separation(np.ones((3, 1)), [0, 1, 2])
    with pytest.raises(ValueError, match="weights has 2 rows"):
        nl.check_separation(np.ones((3, 1)), [0, 1, 1], weights=[1, 1])
    with pytest.raises(ValueError, match="non-negative"):
        nl.check_separation(np.ones((3, 1)), [0, 1, 1], weights=[1, -1, 1])


def test_monitor_without_data_in_memory_reports_a_suspicion():
    # Data a linear program cannot reach (e.g. out-of-core): the monitor waits
    # for the fit's end and names the coefficients the last step moved.
    from dataclasses import replace

    from newtonlogit.data.design import make_design
    from newtonlogit.solver.newton import Evaluation

    data = load_iris_pair(0, 1)
    design = make_design(data.X[["Petal.Length"]], data.y)
    monitor = separation.SeparationMonitor(
        replace(design, X=object()), np.ones(2, dtype=bool)
    )
    rows = [dict(loglik=-(0.37**k), decrement=0.37**k, step=1.0) for k in range(1, 6)]
    evaluation = Evaluation(-0.01, saturated=10.0)
    assert monitor("iteration", np.array([-1.0, 0.5]), evaluation, rows) is None
    message = monitor("converged", np.array([-2.0, 0.9]), evaluation, rows)
    assert "suspected separation" in message and "Petal.Length -> +inf" in message
    assert monitor.separation.kind == "suspected"
    assert monitor.separation.directions.to_dict() == {
        "Intercept": -1,
        "Petal.Length": 1,
    }


def test_separated_fit_on_array_api_data_is_not_converged():
    # No linear program on device data: the pattern alone is reported.
    xps = pytest.importorskip("array_api_strict")
    data = load_iris_pair(0, 1)
    X = xps.asarray(data.X[["Petal.Length"]].to_numpy())
    res, caught = _fit(X, xps.asarray(data.y))
    assert not res.converged and res.separation.kind == "suspected"
    assert res.separation.directions.to_dict() == {"Intercept": -1, "x1": 1}
    assert [w.category for w in caught] == [nl.SeparationWarning]


def test_model_file_keeps_the_diagnosis(tmp_path):
    X, y = _quasi_separated()
    res, _ = _fit(X, y)
    res.save(tmp_path / "m.json")
    loaded = nl.load(tmp_path / "m.json")
    assert loaded.separation.kind == "quasi-complete"
    assert loaded.separation.directions.equals(res.separation.directions)
    assert not loaded.converged and loaded.notes() == res.notes()
    firth = nl.logit(X, y, penalty="firth")
    firth.save(tmp_path / "f.json")
    again = nl.load(tmp_path / "f.json")
    assert again.separation is None
    assert again.penalized_loglik == firth.penalized_loglik
    assert again.penalized_loglik_null == firth.penalized_loglik_null
    assert again.summary().as_text() == firth.summary().as_text()
