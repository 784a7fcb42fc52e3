"""Inputs a fit must answer rightly or refuse in one clear ValueError: weights
of any scale, odd option values, unusable data, many classes."""

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl
from newtonlogit import DataError, LogisticRegression


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(500, 3))
    p = 1 / (1 + np.exp(-(X @ [1.0, -1.0, 0.5])))
    return X, (rng.random(500) < p).astype(float)


@pytest.mark.parametrize("scale", [1e-300, 1e-10, 1e-3, 1e10, 1e200])
def test_scaling_all_weights_leaves_the_estimate(data, scale):
    """The MLE is the same for weights c w: so is the converged fit (at 1e-10
    it was off by 4% and declared converged; at 1e-300 every slope was 0)."""
    X, y = data
    ref = nl.logit(X, y)
    res = nl.logit(X, y, weights=np.full(len(y), scale))
    assert res.converged
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-9, atol=1e-12)
    assert res.n_iter == ref.n_iter
    assert res.loglik == pytest.approx(scale * ref.loglik, rel=1e-9)


@pytest.mark.parametrize("scale", [1e-300, 1e-10, 1e10])
def test_scaling_all_weights_leaves_the_multinomial_estimate(data, scale):
    X, _ = data
    y = np.digitize(X[:, 0] + np.random.default_rng(1).normal(size=len(X)), [-0.5, 0.5])
    ref = nl.mnlogit(X, y)
    res = nl.mnlogit(X, y, weights=np.full(len(y), scale))
    assert res.converged
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("scale", [1e-10, 1e-3, 1e10])
def test_ridge_penalty_scales_with_the_weights(data, scale):
    """What holds for ridge: the penalty does not grow with the data, so
    weights c w with alpha c give the estimate of weights w with alpha."""
    X, y = data
    ref = nl.logit(X, y, penalty="l2", alpha=2.0)
    res = nl.logit(X, y, weights=np.full(len(y), scale), penalty="l2", alpha=2 * scale)
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("scale", [1e-5, 1e5])
def test_firth_with_scaled_weights_is_converged_to_its_tolerance(data, scale):
    """Firth's penalty does not scale with the weights (its estimate depends
    on their total, as on the number of rows), but the solver's tolerance is
    relative all the same: a fit at tol=1e-8 agrees with one at 1e-13."""
    X, y = data
    w = np.full(len(y), scale)
    res = nl.logit(X, y, weights=w, penalty="firth")
    tight = nl.logit(X, y, weights=w, penalty="firth", tol=1e-13)
    assert res.converged
    np.testing.assert_allclose(res.coef, tight.coef, rtol=1e-7, atol=1e-12)


def _refused(fit, *words):
    with pytest.raises(ValueError) as info:
        fit()
    message = str(info.value)
    for word in words:
        assert word in message, message
    return info.value


def test_labels_of_mixed_types_are_refused(data):
    X, _ = data
    y = np.array([1, "a"] * 250, dtype=object)
    error = _refused(lambda: nl.logit(X, y), "mixes", "'a' (str)", "1 (int)")
    assert isinstance(error, DataError)
    _refused(lambda: nl.mnlogit(X, y), "mixes")


@pytest.mark.parametrize(
    "options, word",
    [
        ({"max_iter": 1.5}, "max_iter"),
        ({"max_iter": "3"}, "max_iter"),
        ({"max_iter": True}, "max_iter"),
        ({"max_iter": -1}, "max_iter"),
        ({"tol": "a"}, "tol"),
        ({"tol": float("nan")}, "tol"),
        ({"tol": 0}, "tol"),
        ({"alpha": "1", "penalty": "l2"}, "alpha"),
    ],
)
def test_option_values_are_refused_by_name(data, options, word):
    X, y = data
    _refused(lambda: nl.logit(X, y, **options), word)
    if options.get("penalty") != "firth":
        _refused(lambda: nl.mnlogit(X, y, **options), word)


def test_numpy_integers_are_whole_numbers(data):
    X, y = data
    assert nl.logit(X, y, max_iter=np.int64(50)).converged


def test_duplicate_column_names_are_ours_to_refuse(data):
    X, y = data
    frame = pd.DataFrame(X, columns=["a", "a", "b"])
    for fit in (
        lambda: nl.logit(frame, y),
        lambda: nl.mnlogit(frame, y),
        lambda: LogisticRegression().fit(frame, y),
    ):
        error = _refused(fit, "duplicate column names ['a']")
        assert isinstance(error, DataError)


def test_a_model_without_coefficients_is_refused_without_lapack_output(data):
    """'y ~ 0' (and a matrix with no columns and no intercept) was LAPACK's
    DPOTRI complaint on stdout and a SingularInformation; checked in a
    subprocess, since LAPACK writes to the process's own stdout."""
    code = (
        "import numpy as np, pandas as pd, newtonlogit as nl\n"
        "d = pd.DataFrame({'y': [0, 1] * 20, 'a': np.arange(40.0)})\n"
        "for fit in (lambda: nl.logit('y ~ 0', data=d),\n"
        "            lambda: nl.mnlogit('y ~ 0', data=d),\n"
        "            lambda: nl.logit(np.zeros((40, 0)), d.y, fit_intercept=False)):\n"
        "    try:\n"
        "        fit()\n"
        "    except nl.DataError as e:\n"
        "        print('refused:', e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    lines = out.stdout.splitlines()
    assert len(lines) == 3 and all("no coefficients" in line for line in lines)
    assert "DPOTRI" not in out.stdout + out.stderr


@pytest.mark.parametrize("size", [1e154, 1e200, 1e300])
def test_features_whose_squares_overflow_are_named(data, size):
    X, y = data
    X = X.copy()
    X[:, 1] *= size
    error = _refused(lambda: nl.logit(X, y), "['x2']", "overflow", "rescale")
    assert isinstance(error, DataError)
    _refused(lambda: nl.mnlogit(X, y), "['x2']", "overflow")


def test_features_just_below_the_overflow_fit_as_rescaled(data):
    X, y = data
    res = nl.logit(X * 1e100, y)
    np.testing.assert_allclose(res.coef[1:] * 1e100, nl.logit(X, y).coef[1:])


@pytest.mark.parametrize("value", [800.0, -800.0])
def test_a_large_constant_offset_moves_only_the_intercept(data, value):
    """Every row's linear predictor was saturated at the start ('leading minor
    not positive definite'): the intercept's start now subtracts the offset."""
    X, y = data
    offset = np.full(len(y), value)
    ref = nl.logit(X, y)
    res = nl.logit(X, y, offset=offset)
    np.testing.assert_allclose(res.coef[1:], ref.coef[1:], rtol=1e-9)
    assert res.coef[0] == pytest.approx(ref.coef[0] - value, rel=1e-12)
    assert res.loglik_null == pytest.approx(ref.loglik_null, rel=1e-9)
    multi = nl.mnlogit(X, y.astype(int), offset=offset)
    np.testing.assert_allclose(multi.coef.ravel(), res.coef, rtol=1e-9)


def test_an_offset_that_saturates_every_row_still_gets_a_null_model(data):
    """Half the rows at +800, half at -800: the one-parameter null fit has no
    information at any start; its score's root is found by Brent's method and
    is the maximum of the null log-likelihood (checked on a fine grid)."""
    X, y = data
    offset = np.where(np.arange(len(y)) % 2 == 0, 800.0, -800.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = nl.logit(X, y, offset=offset)
    from scipy.special import log_expit

    grid = np.linspace(-900, 900, 18001)
    s = 2 * y - 1
    values = [np.sum(log_expit(s * (c + offset))) for c in grid]
    assert res.loglik_null == pytest.approx(max(values), rel=1e-6)


def test_nullable_boolean_column_with_na_is_a_missing_value(data):
    X, y = data
    flag = pd.Series([True, False] * 250, dtype="boolean")
    flag[3] = pd.NA
    frame = pd.DataFrame({"a": X[:, 0], "flag": flag})
    res = nl.logit(frame, y, missing="drop")
    assert res.n_dropped == 1
    keep = np.arange(len(y)) != 3
    ref = nl.logit(frame[keep].astype({"flag": float}), y[keep])
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-10)
    _refused(lambda: nl.logit(frame, y), "'flag'", "row 3", "missing='drop'")
    assert nl.mnlogit(frame, y, missing="drop").n_dropped == 1


def test_a_continuous_target_is_refused_naming_the_count():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(5000, 2))
    y = X[:, 0] * 3 + rng.normal(size=5000)
    error = _refused(
        lambda: nl.mnlogit(X, y), "5,000 distinct values", "14,997 coefficients"
    )
    assert isinstance(error, DataError)
    labels = np.arange(5000)  # integers: scikit-learn passes them on as classes
    with warnings.catch_warnings():  # (scikit-learn's: "could represent a regression")
        warnings.simplefilter("ignore", UserWarning)
        _refused(lambda: LogisticRegression().fit(X, labels), "5,000 distinct values")


def _ordered_classes(n_classes, rows_each):
    rng = np.random.default_rng(0)
    n = n_classes * rows_each
    X = rng.normal(size=(n, 2))
    return X, np.argsort(np.argsort(X[:, 0])) * n_classes // n


def test_many_classes_answer_in_seconds():
    """60 classes, three rows each, in order along x: 1,770 pairs are too many
    to check one by one (300 classes took minutes); the model's own linear
    program finds the separation, the fit stops, not converged, and says so
    without listing pairs."""
    import time

    X, y = _ordered_classes(60, 3)
    start = time.perf_counter()
    with pytest.warns(nl.SeparationWarning, match="1770 pairs") as caught:
        res = nl.mnlogit(X, y)
    assert time.perf_counter() - start < 30
    assert len(str(caught[0].message)) < 400
    assert not res.converged
    assert res.separation.kind == "complete or quasi-complete"
    assert res.separation.note().startswith("The data show complete or quasi")


def test_many_classes_and_rows_beyond_the_programs_are_suspected(monkeypatch):
    """Where even the model's program is too large, the pattern of the fit at
    its end is reported as suspected separation, unchecked."""
    from newtonlogit.families.multinomial import separation as mnseparation

    monkeypatch.setattr(mnseparation, "MAX_CONSTRAINTS", 0)
    X, y = _ordered_classes(60, 3)
    with pytest.warns(nl.SeparationWarning, match="not checked"):
        res = nl.mnlogit(X, y)
    assert not res.converged and res.separation.kind == "suspected"
    assert "likely no finite" in res.separation.note()


def test_ordered_classes_are_not_called_separated():
    """Ten classes in order along x with noise: the first and the last are
    separated as a pair, but the model's estimate exists (its own linear
    program says so): the fit converges (it was stopped after 3 iterations as
    'complete separation')."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1000, 2))
    y = np.argsort(np.argsort(X[:, 0] + 0.3 * rng.normal(size=1000))) * 10 // 1000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = nl.mnlogit(X, y)
    assert res.converged and res.separation is None
    assert res.history["decrement"].iloc[-1] < 1e-10


def test_the_separation_warning_of_many_classes_is_short():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 8))
    y = np.argsort(np.argsort(X[:, 0])) * 10 // 400
    with pytest.warns(nl.SeparationWarning) as caught:
        res = nl.mnlogit(X, y)
    message = str(caught[0].message)
    assert len(message) < 700 and "more pairs" in message and "and 6 more" in message
    assert len(res.separation.separated_pairs) == 45  # all kept in the result
    assert len(res.separation.note()) < 800
