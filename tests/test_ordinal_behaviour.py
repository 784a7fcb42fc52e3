"""The ordinal fit's behaviour: its derivatives against finite differences,
the kernels under the bare array API, equivalent inputs giving equal fits,
marginal effects and prediction intervals against numerical derivatives,
separation, errors, sparse data and model files."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import newtonlogit as nl
from newtonlogit.exceptions import (
    CollinearityError,
    DataError,
    ModelFileError,
    SeparationWarning,
)
from newtonlogit.families.ordinal import kernels
from newtonlogit.kernels.block import Block


def ordinal_data(n=400, p=3, seed=0, cuts=(-1.0, 0.5, 2.0)):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p))
    latent = X @ np.linspace(1.0, -0.5, p) + rng.logistic(size=n)
    return X, np.digitize(latent, cuts)


@pytest.fixture(scope="module")
def fitted():
    X, y = ordinal_data()
    return X, y, nl.ologit(X, y)


def test_score_and_information_are_the_derivatives(fitted):
    X, y, res = fitted
    rng = np.random.default_rng(1)
    weights = rng.integers(0, 4, size=len(y)).astype(float)
    offset = rng.normal(size=len(y))
    block = Block(X, y.astype(float), weights=weights, offset=offset)
    theta = res.coef + 0.2 * rng.normal(size=res.coef.size)
    theta[:3] = np.sort(theta[:3])

    def loglik(t):
        return kernels.cumulative_loglik(np, block, t)[0]

    ll, score, info, _ = kernels.cumulative_sums(np, block, theta)
    assert ll == pytest.approx(loglik(theta), rel=1e-14)
    h = 1e-6
    steps = np.eye(theta.size) * h
    numeric = [(loglik(theta + e) - loglik(theta - e)) / (2 * h) for e in steps]
    np.testing.assert_allclose(score, numeric, rtol=1e-6, atol=1e-6)
    hessian = [
        (
            kernels.cumulative_sums(np, block, theta + e)[1]
            - kernels.cumulative_sums(np, block, theta - e)[1]
        )
        / (2 * h)
        for e in steps
    ]
    np.testing.assert_allclose(info, -np.array(hessian), rtol=1e-5, atol=1e-5)


def test_kernels_run_under_the_bare_array_api(fitted):
    xps = pytest.importorskip("array_api_strict")
    X, y, res = fitted
    w = np.linspace(0.5, 2.0, len(y))
    groups = np.arange(len(y)) % 7
    host = Block(X, y.astype(float), weights=w, offset=0.1 * w, groups=groups)
    strict = Block(*(None if a is None else xps.asarray(a) for a in host))
    theta = res.coef
    calls = [
        (kernels.cumulative_sums, (theta,)),
        (kernels.cumulative_loglik, (theta,)),
        (kernels.robust_meat, (theta, False, None, 0)),
        (kernels.cluster_scores, (theta, False, 7)),
        (kernels.margin_sums, (theta,)),
        (kernels.split_sums, (np.r_[0.1, res.slopes], 1)),
        (kernels.brant_grams, (np.tile(np.r_[0.1, res.slopes], (3, 1)),)),
    ]
    for kernel, args in calls:
        for a, b in zip(kernel(np, host, *args), kernel(xps, strict, *args)):
            np.testing.assert_allclose(np.asarray(b), a, rtol=1e-12, atol=1e-14)


def test_equivalent_inputs_give_the_same_fit(fitted):
    X, y, res = fitted
    labels = np.array(["low", "mid", "high", "top"])[y]
    order = ["low", "mid", "high", "top"]
    by_levels = nl.ologit(X, labels, levels=order)
    categorical = pd.Series(pd.Categorical(labels, categories=order, ordered=True))
    by_category = nl.ologit(pd.DataFrame(X, columns=["a", "b", "c"]), categorical)
    for other in (by_levels, by_category):
        np.testing.assert_allclose(other.coef, res.coef, rtol=1e-12)
    assert by_levels.levels == tuple(order)
    assert list(by_category.thresholds.index) == ["low|mid", "mid|high", "high|top"]
    assert list(by_category.slopes.index) == ["a", "b", "c"]


def test_polars_enum_response():
    pl = pytest.importorskip("polars")
    X, y = ordinal_data(seed=3)
    order = ["c", "b", "a", "z"]  # not alphabetical: the Enum's order counts
    y_enum = pl.Series("y", np.array(order)[y], dtype=pl.Enum(order))
    res = nl.ologit(X, y_enum)
    ref = nl.ologit(X, y)
    assert res.levels == tuple(order)
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-12)
    frame = pl.DataFrame({"y": y_enum, "x1": X[:, 0], "x2": X[:, 1], "x3": X[:, 2]})
    by_formula = nl.ologit("y ~ x1 + x2 + x3", data=frame)
    np.testing.assert_allclose(by_formula.coef, ref.coef, rtol=1e-10)


def test_weights_are_frequencies():
    X, y = ordinal_data(n=150, seed=4)
    counts = np.random.default_rng(5).integers(0, 4, size=len(y))
    weighted = nl.ologit(X, y, weights=counts)
    repeated = nl.ologit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    np.testing.assert_allclose(weighted.coef, repeated.coef, rtol=1e-10)
    np.testing.assert_allclose(weighted.cov_array, repeated.cov_array, rtol=1e-8)
    assert weighted.loglik == pytest.approx(repeated.loglik, rel=1e-12)
    assert weighted.n_obs == counts.sum()
    # the robust meat counts a weighted row as that many rows
    robust = nl.ologit(X, y, weights=counts, cov_type="HC0")
    repeated_robust = nl.ologit(
        np.repeat(X, counts, axis=0), np.repeat(y, counts), cov_type="HC0"
    )
    np.testing.assert_allclose(robust.cov_array, repeated_robust.cov_array, rtol=1e-8)


def test_two_levels_are_the_binary_logit():
    X, y = ordinal_data(seed=6, cuts=(0.3,))
    res = nl.ologit(X, y)
    binary = nl.logit(X, y)
    # P(Y <= 0) = F(zeta - x'b): zeta = -intercept, the slopes equal
    assert res.coef[0] == pytest.approx(-binary.coef[0], rel=1e-9)
    np.testing.assert_allclose(res.coef[1:], binary.coef[1:], rtol=1e-9)
    np.testing.assert_allclose(res.std_errors, binary.std_errors, rtol=1e-8)
    assert res.loglik == pytest.approx(binary.loglik, rel=1e-12)


def test_sparse_equals_dense(fitted):
    X, y, res = fitted
    sparse = nl.ologit(sp.csr_matrix(X), y)
    np.testing.assert_allclose(sparse.coef, res.coef, rtol=1e-10)
    np.testing.assert_allclose(sparse.cov_array, res.cov_array, rtol=1e-9)


def _average_probabilities(res, X, theta):
    eta = X @ theta[res.n_cuts :]
    return kernels.category_probabilities(np, eta, theta[: res.n_cuts]).mean(axis=0)


def test_marginal_effects_are_derivatives_of_the_probabilities(fitted):
    X, y, res = fitted
    me = res.marginal_effects()
    h = 1e-6
    for k, name in enumerate(res.feature_names):
        shifted = X.copy()
        shifted[:, k] += h
        numeric = (res.predict(shifted).mean(axis=0) - res.predict(X).mean(axis=0)) / h
        np.testing.assert_allclose(
            me.xs(name, level="column")["dydx"], numeric, rtol=1e-4, atol=1e-8
        )
    assert me.groupby(level="column")["dydx"].sum().abs().max() < 1e-14
    # delta method: the numerical Jacobian of the effects in the parameters
    jac = []
    for j in range(res.coef.size):
        step = np.zeros(res.coef.size)
        step[j] = h
        up = _effects(res, X, res.coef + step)
        down = _effects(res, X, res.coef - step)
        jac.append((up - down) / (2 * h))
    jac = np.array(jac).T
    se = np.sqrt(np.diag(jac @ res.cov_array @ jac.T))
    np.testing.assert_allclose(me["std_err"], se, rtol=1e-5)
    at_mean = res.marginal_effects(at="mean")
    x_bar = X.mean(axis=0, keepdims=True)
    numeric = (res.predict(x_bar + h * np.eye(3)) - res.predict(x_bar)) / h
    np.testing.assert_allclose(at_mean["dydx"], numeric.T.ravel(), rtol=1e-4)


def _effects(res, X, theta):
    """Average marginal effects ``b_k mean(f(t_{j-1}) - f(t_j))`` at ``theta``,
    level-major as the table."""
    t = theta[: res.n_cuts][None, :] - (X @ theta[res.n_cuts :])[:, None]
    F = 1 / (1 + np.exp(-t))
    f = np.pad(F * (1 - F), ((0, 0), (1, 1)))
    G = (f[:, :-1] - f[:, 1:]).mean(axis=0)
    return np.outer(G, theta[res.n_cuts :]).ravel()


def test_prediction_intervals(fitted):
    X, y, res = fitted
    table = res.predict(X[:5], interval=True, level=0.9)
    assert table.shape == (20, 4)
    np.testing.assert_allclose(
        table["probability"].to_numpy().reshape(5, 4), res.predict(X[:5]), rtol=1e-14
    )
    assert (table["lower"] < table["probability"]).all()
    assert (table["probability"] < table["upper"]).all()
    h = 1e-6
    jac = []
    for j in range(res.coef.size):
        step = np.zeros(res.coef.size)
        step[j] = h
        up = kernels.category_probabilities(
            np, X[:5] @ (res.coef + step)[3:], (res.coef + step)[:3]
        )
        jac.append((up - res.predict(X[:5])).ravel() / h)
    jac = np.array(jac).T
    se = np.sqrt(np.einsum("ij,jk,ik->i", jac, res.cov_array, jac))
    np.testing.assert_allclose(table["se"], se, rtol=1e-4)


def test_separation_is_diagnosed():
    rng = np.random.default_rng(7)
    x = rng.normal(size=60)
    y = np.digitize(x, [-0.5, 0.5])  # x orders the levels without overlap
    with pytest.warns(SeparationWarning, match="separation"):
        res = nl.ologit(x[:, None], y)
    assert not res.converged
    assert res.separation.separated and res.separation.kind == "complete"
    assert res.separation.directions["x1"] == 1
    assert any("separation" in note for note in res.notes())
    X, y_ok = ordinal_data(seed=8)
    assert not nl.check_ordinal_separation(X, y_ok).separated
    # one level split off by a dummy: quasi-complete
    z = (y_ok == 3).astype(float)
    found = nl.check_ordinal_separation(np.column_stack([X, z]), y_ok)
    assert found.separated and found.kind == "quasi-complete"
    assert found.directions["x4"] == 1


def test_bad_input_is_named():
    X, y = ordinal_data(n=50)
    with pytest.raises(DataError, match="no order"):
        nl.ologit(X, np.array(["a", "b", "c", "d"])[y])
    with pytest.raises(DataError, match="unordered categorical"):
        nl.ologit(X, pd.Categorical(y))
    with pytest.raises(DataError, match="not one of the levels"):
        nl.ologit(X, y, levels=[0, 1, 2])
    with pytest.raises(DataError, match=r"level\(s\) \[9\]"):
        nl.ologit(X, y, levels=[0, 1, 2, 3, 9])
    with pytest.raises(ValueError, match="cov_type"):
        nl.ologit(X, y, cov_type="HC3")
    with pytest.raises(CollinearityError, match="x4"):
        nl.ologit(np.column_stack([X, np.ones(50)]), y)
    with pytest.raises(ValueError, match="increasing thresholds"):
        nl.ologit(X, y, start=[1.0, 0.0, 2.0, 0, 0, 0])


def test_aliased_column_dropped(fitted):
    X, y, res = fitted
    with pytest.warns(nl.CollinearityWarning):
        dropped = nl.ologit(
            np.column_stack([X, X[:, 0] + X[:, 1]]), y, drop_collinear=True
        )
    assert dropped.aliased == ("x4",)
    np.testing.assert_allclose(dropped.coef, res.coef, rtol=1e-10)
    np.testing.assert_allclose(
        dropped.predict(np.column_stack([X, X[:, 0]])), res.predict(X), rtol=1e-12
    )


def test_model_file_round_trip(tmp_path, fitted):
    X, y, res = fitted
    path = tmp_path / "ordinal.json"
    res.save(path)
    loaded = nl.load(path)
    assert isinstance(loaded, nl.OLogitResults)
    np.testing.assert_array_equal(loaded.coef, res.coef)
    np.testing.assert_array_equal(loaded.cov_array, res.cov_array)
    assert loaded.levels == res.levels
    np.testing.assert_array_equal(loaded.predict(X[:10]), res.predict(X[:10]))
    pd.testing.assert_frame_equal(loaded.marginal_effects(), res.marginal_effects())
    assert loaded.summary().as_text() == res.summary().as_text()
    with pytest.raises(ValueError, match="training data"):
        loaded.brant_test()
    text = path.read_text().replace('"loglik": -', '"loglik": -1')
    path.write_text(text)
    with pytest.raises(ModelFileError, match="checksum"):
        nl.load(path)


def test_formula_model_file_round_trip(tmp_path):
    rng = np.random.default_rng(9)
    frame = pd.DataFrame({"x": rng.normal(size=200), "g": rng.choice(list("abc"), 200)})
    latent = frame.x + (frame.g == "b") + rng.logistic(size=200)
    frame["y"] = pd.Categorical.from_codes(
        np.digitize(latent, [-0.5, 1.0]), ["lo", "mid", "hi"], ordered=True
    )
    res = nl.ologit("y ~ x + C(g)", data=frame)
    path = tmp_path / "formula.json"
    res.save(path)
    loaded = nl.load(path)
    np.testing.assert_allclose(loaded.predict(frame.head()), res.predict(frame.head()))
    assert loaded.levels == ("lo", "mid", "hi")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert loaded.predict_level(frame.head()).shape == (5,)


@pytest.mark.parametrize("device", ["CPU_DEVICE", "device1"])
def test_array_api_data_fit_where_they_live(fitted, device):
    """array_api_strict stands in for CuPy; "device1" refuses NumPy conversion,
    as a GPU does."""
    xps = pytest.importorskip("array_api_strict")
    X, y, res = fitted
    w = np.random.default_rng(2).integers(1, 3, size=len(y)).astype(float)
    on = xps.Device(device)
    ref = nl.ologit(X, y, weights=w, offset=0.1 * w, cov_type="HC1")
    dev = nl.ologit(
        xps.asarray(X, device=on),
        xps.asarray(y, device=on),
        weights=xps.asarray(w, device=on),
        offset=xps.asarray(0.1 * w, device=on),
        cov_type="HC1",
    )
    np.testing.assert_allclose(dev.coef, ref.coef, rtol=1e-10)
    np.testing.assert_allclose(dev.cov_array, ref.cov_array, rtol=1e-9)
    assert dev.levels == ref.levels and dev.n_iter == ref.n_iter
    np.testing.assert_allclose(
        dev.predict(xps.asarray(X[:5], device=on)), ref.predict(X[:5]), rtol=1e-10
    )
    pd.testing.assert_frame_equal(dev.brant_test(), ref.brant_test(), rtol=1e-8)


def test_level_probability_plot(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    X, y = ordinal_data(seed=21)
    frame = pd.DataFrame(X, columns=["dose", "age", "bmi"])
    frame["y"] = y
    res = nl.ologit("y ~ dose + age + bmi", data=frame)
    fig = nl.plot.level_probabilities(res, frame, "dose")
    path = tmp_path / "levels.png"
    fig.savefig(path)
    image = imread(path)
    assert image.shape[:2] == (480, 640)
    assert image[..., :3].std() > 0.05  # not blank
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2", "3"]
    curves = np.array([line.get_ydata() for line in ax.get_lines()])
    np.testing.assert_allclose(curves.sum(axis=0), 1.0, rtol=1e-12)
    with pytest.raises(DataError, match="levels"):
        nl.plot.level_probabilities(nl.logit(X, y > 1), frame, "dose")


def test_missing_rows_dropped_and_counted(fitted):
    X, y, res = fitted
    holes = X.copy()
    holes[[3, 7], 1] = np.nan
    dropped = nl.ologit(holes, y, missing="drop")
    keep = np.ones(len(y), dtype=bool)
    keep[[3, 7]] = False
    np.testing.assert_allclose(dropped.coef, nl.ologit(X[keep], y[keep]).coef)
    assert dropped.n_dropped == 2
    with pytest.raises(DataError, match="missing"):
        nl.ologit(holes, y)


def test_weight_scale_leaves_the_fit(fitted):
    X, y, res = fitted
    for scale in (1e-10, 1e6):
        scaled = nl.ologit(X, y, weights=np.full(len(y), scale))
        assert scaled.converged
        np.testing.assert_allclose(scaled.coef, res.coef, rtol=1e-7)
    with pytest.raises(ValueError, match="max_iter"):
        nl.ologit(X, y, max_iter=2.5)
    with pytest.raises(ValueError, match="tol"):
        nl.ologit(X, y, tol="small")
