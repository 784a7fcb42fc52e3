"""Properties that must hold for every input of ``logit``, ``mnlogit`` and the
estimator, checked by Hypothesis over dtypes, shapes, weight scales, names,
missing values and DataFrame libraries.

- A refusal is a ``ValueError`` (a subclass of it) with a message, never
  another exception.
- The estimate does not change when every weight is scaled, when the rows
  are permuted, when a row of weight 2 replaces the same row twice, when
  (successes, failures) counts replace their 0/1 rows, when a formula replaces
  the matrix, or when the model is saved and loaded.

Example counts are bounded (the module takes about a minute); deadlines are
off because a fit's time depends on the machine's load, not on the example.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import newtonlogit as nl

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEW = settings(SETTINGS, max_examples=30)


def _quiet(fit):
    """Run ``fit`` with the fit's own warnings (separation, convergence,
    collinearity) allowed: they are answers, not failures."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nl.SeparationWarning)
        warnings.simplefilter("ignore", nl.ConvergenceWarning)
        warnings.simplefilter("ignore", nl.CollinearityWarning)
        warnings.simplefilter("ignore", UserWarning)
        return fit()


# -- arbitrary inputs: an answer or a ValueError -----------------------------

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
wild = st.one_of(
    finite,
    st.just(np.nan),
    st.just(np.inf),
    st.just(-np.inf),
    st.floats(1e150, 1e300),
    st.just(0.0),
)
labels = st.sampled_from(
    [[0, 1], [0.0, 1.0], [True, False], ["a", "b"], [1, "a"], [0, 1, 2], ["x"]]
)


@st.composite
def inputs(draw):
    """Matrices of odd shapes and dtypes, as NumPy, pandas or polars; labels
    of any kind; optional weights of any scale with odd values; names."""
    n = draw(st.integers(0, 25))
    p = draw(st.integers(0, 3))
    values = draw(st.lists(st.one_of(finite, wild), min_size=n * p, max_size=n * p))
    X = np.array(values, dtype=np.float64).reshape(n, p)
    dtype = draw(st.sampled_from(["float64", "float32", "int64", "object", "bool"]))
    if dtype in ("int64", "bool"):
        X = np.nan_to_num(X, nan=0.0, posinf=0.0, neginf=0.0)
        X = np.clip(X, -1e6, 1e6)
    with np.errstate(over="ignore"):  # (float32 of 1e300: inf, as a user's would)
        X = X.astype(dtype)
    kind = draw(st.sampled_from(["numpy", "pandas", "polars", "list"]))
    names = draw(
        st.lists(
            st.sampled_from(["a", "b", "Intercept", "a", "x 1", "é"]),
            min_size=p,
            max_size=p,
        )
    )
    if kind == "pandas":
        X = pd.DataFrame(X, columns=names)
    elif kind == "polars" and len(set(names)) == len(names):
        import polars as pl

        X = pl.DataFrame({c: X[:, j] for j, c in enumerate(names)}, strict=False)
    elif kind == "list":
        X = X.tolist()
    pool = draw(labels)
    y = draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    y = np.array(y, dtype=object if len({type(v) for v in y}) > 1 else None)
    if draw(st.booleans()) and n:
        y = y.astype(object)
        y[draw(st.integers(0, n - 1))] = None
    weights = None
    if draw(st.booleans()):
        scale = draw(st.sampled_from([1e-300, 1e-10, 1.0, 1e10, 1e300]))
        weights = np.array(
            draw(st.lists(st.one_of(finite, wild), min_size=n, max_size=n))
        )
        with np.errstate(over="ignore", invalid="ignore"):
            weights = np.abs(weights) * scale if draw(st.booleans()) else weights
    options = draw(
        st.fixed_dictionaries(
            {},
            optional={
                "missing": st.sampled_from(["raise", "drop", "keep"]),
                "max_iter": st.sampled_from([0, 1, 5, 1.5, -1]),
                "tol": st.sampled_from([1e-8, 1e-14, 0.5, 0.0]),
                "fit_intercept": st.booleans(),
            },
        )
    )
    return X, y, weights, options


def _answers_or_refuses(fit):
    try:
        _quiet(fit)
    except ValueError as exc:  # DataError, CollinearityError, ... are ValueErrors
        assert str(exc).strip(), "a refusal must say what is wrong"
    except Exception as exc:  # anything else is a failure
        pytest.fail(f"{type(exc).__name__} instead of a ValueError: {exc}")


@SETTINGS
@given(case=inputs())
def test_logit_answers_or_refuses_with_a_value_error(case):
    X, y, weights, options = case
    _answers_or_refuses(lambda: nl.logit(X, y, weights=weights, **options))


@FEW
@given(case=inputs(), penalty=st.sampled_from([None, "l2"]))
def test_mnlogit_answers_or_refuses_with_a_value_error(case, penalty):
    X, y, weights, options = case
    alpha = 1.0 if penalty else 0.0
    _answers_or_refuses(
        lambda: nl.mnlogit(
            X, y, weights=weights, penalty=penalty, alpha=alpha, **options
        )
    )


@FEW
@given(case=inputs())
def test_estimator_answers_or_refuses_with_a_value_error(case):
    X, y, weights, options = case
    keep = {k: v for k, v in options.items() if k in ("max_iter", "tol")}
    model = nl.LogisticRegression(**keep)
    _answers_or_refuses(lambda: model.fit(X, y, sample_weight=weights))


# -- invariances on data whose estimate exists ---------------------------------


@st.composite
def regular_data(draw, max_classes=2):
    """A well-posed problem: n rows of p standard-normal columns with a
    modest signal, every class present on both sides of every column."""
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(60, 200))
    p = draw(st.integers(1, 3))
    k = draw(st.integers(2, max_classes))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    if k == 2:
        eta = X @ rng.normal(scale=0.7, size=p)
        y = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    else:
        y = rng.integers(0, k, n)
    assume(np.bincount(y, minlength=k).min() >= 10)
    return X, y


def _fit(fit):
    res = _quiet(fit)
    assume(res.converged)  # (separated samples have no estimate to compare)
    return res


def _same(a, b, tol=1e-6):
    """The same estimate, to ``tol`` standard errors: both fits stop within
    the solver's tolerance of the MLE, not at the same bits."""
    diff = np.ravel(np.asarray(a.coef) - np.asarray(b.coef))
    se = np.sqrt(np.diag(np.asarray(b.cov_array)))
    assert np.all(np.abs(diff) <= tol * se), np.max(np.abs(diff) / se)


@SETTINGS
@given(
    data=regular_data(max_classes=3),
    # (beyond 1e250 the information overflows, which is refused)
    scale=st.floats(1e-300, 1e250),
    multinomial=st.booleans(),
)
def test_scaling_every_weight_leaves_the_estimate(data, scale, multinomial):
    X, y = data
    fit = nl.mnlogit if multinomial or y.max() > 1 else nl.logit
    rng = np.random.default_rng(len(y))
    w = rng.uniform(0.5, 2.0, size=len(y))
    ref = _fit(lambda: fit(X, y, weights=w))
    _same(_fit(lambda: fit(X, y, weights=w * scale)), ref)


@SETTINGS
@given(data=regular_data(max_classes=3), random=st.randoms(use_true_random=False))
def test_permuting_rows_leaves_the_estimate(data, random):
    X, y = data
    order = list(range(len(y)))
    random.shuffle(order)
    fit = nl.mnlogit if y.max() > 1 else nl.logit
    _same(_fit(lambda: fit(X[order], y[order])), _fit(lambda: fit(X, y)))


@SETTINGS
@given(data=regular_data(max_classes=3), draw=st.data())
def test_a_row_of_weight_two_is_the_row_twice(data, draw):
    X, y = data
    rows = draw.draw(st.lists(st.integers(0, len(y) - 1), min_size=1, unique=True))
    w = np.ones(len(y))
    w[rows] = 2.0
    order = np.r_[np.arange(len(y)), rows]
    fit = nl.mnlogit if y.max() > 1 else nl.logit
    weighted = _fit(lambda: fit(X, y, weights=w))
    repeated = _fit(lambda: fit(X[order], y[order]))
    _same(weighted, repeated)
    assert weighted.loglik == pytest.approx(repeated.loglik, rel=1e-9)


@SETTINGS
@given(data=regular_data(), groups=st.integers(1, 4))
def test_counts_equal_their_expanded_rows(data, groups):
    """Rows grouped into (successes, failures) per distinct covariate row."""
    X, y = data
    X = np.round(X * groups) / groups  # repeated covariate rows
    frame = pd.DataFrame(X).assign(y=y)
    cells = frame.groupby(list(range(X.shape[1])), as_index=False)["y"].agg(
        ["sum", "count"]
    )
    Xc = cells[list(range(X.shape[1]))].to_numpy()
    counts = np.column_stack([cells["sum"], cells["count"] - cells["sum"]])
    grouped = _fit(lambda: nl.logit(Xc, counts))
    _same(grouped, _fit(lambda: nl.logit(X, y)))


@SETTINGS
@given(data=regular_data(max_classes=3), library=st.sampled_from(["pandas", "polars"]))
def test_the_formula_path_equals_the_matrix_path(data, library):
    X, y = data
    names = [f"v{j}" for j in range(X.shape[1])]
    frame = pd.DataFrame(X, columns=names).assign(y=y)
    if library == "polars":
        import polars as pl

        frame = pl.from_pandas(frame)
    fit = nl.mnlogit if y.max() > 1 else nl.logit
    by_formula = _fit(lambda: fit("y ~ " + " + ".join(names), data=frame))
    by_matrix = _fit(lambda: fit(pd.DataFrame(X, columns=names), y))
    _same(by_formula, by_matrix, tol=1e-10)
    assert list(by_formula.coef_names) == list(by_matrix.coef_names)


@FEW
@given(data=regular_data(max_classes=3))
def test_save_then_load_predicts_the_same(data, tmp_path_factory):
    X, y = data
    fit = nl.mnlogit if y.max() > 1 else nl.logit
    res = _fit(lambda: fit(X, y))
    path = tmp_path_factory.mktemp("model") / "model.json"
    res.save(path)
    loaded = nl.load(path)
    np.testing.assert_array_equal(
        np.asarray(loaded.predict(X)), np.asarray(res.predict(X))
    )


@SETTINGS
@given(
    n=st.integers(2, 100_000),
    p=st.integers(1, 9),
    order=st.sampled_from("CF"),
    dtype=st.sampled_from([np.float64, np.float32]),
    bad=st.sampled_from([np.nan, np.inf, -np.inf, "overflow", None]),
    seed=st.integers(0, 2**16),
)
def test_the_checks_of_x_name_the_first_bad_value_whatever_the_blocks(
    n, p, order, dtype, bad, seed
):
    """One threaded read of X (its blocks' sums of squares) decides whether a
    fit may start: a planted NaN or infinity is named at its row and column
    (the first, where there are two), a value whose square overflows the
    information names its column, and anything else passes."""
    from newtonlogit.data.design import make_design

    rng = np.random.default_rng(seed)
    X = np.asarray(rng.standard_normal((n, p)), dtype=dtype, order=order)
    y = np.arange(n) % 2
    if bad is None:
        assert make_design(X, y).X is X
        return
    rows = np.sort(rng.choice(n, size=min(2, n), replace=False))
    cols = rng.integers(0, p, size=rows.size)
    if bad == "overflow" and dtype == np.float32:
        bad = np.inf  # (1e200 is inf in float32)
    X[rows, cols] = 1e200 if bad == "overflow" else bad
    with pytest.raises(nl.DataError) as info:
        make_design(X, y)
    message = str(info.value)
    if bad == "overflow":
        assert f"x{cols[0] + 1}" in message and "overflow" in message
    else:
        assert f"column 'x{cols[0] + 1}'" in message and f"row {rows[0]}" in message


@SETTINGS
@given(
    values=st.lists(
        st.one_of(st.integers(-5, 5), st.floats(-1e300, 1e300)), min_size=2, max_size=4
    ),
    draws=st.lists(st.integers(0, 3), min_size=1, max_size=40),
    dtype=st.sampled_from(["float64", "float32", "int64", "int8", "bool"]),
)
def test_binary_labels_are_read_as_the_distinct_values_say(values, draws, dtype):
    # the vectorized reading of numeric y (two distinct values) agrees with
    # the general one: classes sorted, successes where y is the larger,
    # and anything but two distinct values refused
    from newtonlogit.data.checks import binary_response

    with np.errstate(over="ignore", invalid="ignore"):
        y = np.array([values[d % len(values)] for d in draws]).astype(dtype)
    assume(np.isfinite(y.astype(np.float64)).all())
    distinct = np.unique(y)
    if distinct.size != 2:
        with pytest.raises(ValueError, match="exactly two classes"):
            binary_response(y, y.size)
        return
    successes, trials, classes = binary_response(y, y.size)
    assert trials is None and classes == tuple(distinct.tolist())
    np.testing.assert_array_equal(successes, (y == distinct[1]).astype(float))
    assert successes.dtype == np.float64
