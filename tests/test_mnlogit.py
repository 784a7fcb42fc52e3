"""Multinomial logistic regression: reference values, weights, offsets, input."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import newtonlogit as nl
from newtonlogit import CollinearityError, CollinearityWarning, DataError
from newtonlogit.kernels.block import Block

from .reference.values import (
    NNET_ANES96,
    SM_ANES96_MNLOGIT_CONVERGED,
    STATA_ANES96_MNLOGIT,
)

ANES_COLUMNS = ["logpopul", "selfLR", "age", "educ", "income"]


@pytest.fixture(scope="module")
def anes96():
    """statsmodels' anes96: PID (0..6) ~ logpopul + selfLR + age + educ + income."""
    import statsmodels.api as sm

    d = sm.datasets.anes96.load_pandas().data
    return d[ANES_COLUMNS], d["PID"]


@pytest.fixture(scope="module")
def anes_fit(anes96):
    return nl.mnlogit(*anes96)


def _stata_layout(values):
    """Stata/statsmodels blocks: rows (logpopul..income, const) -> const first."""
    a = np.asarray(values)
    return np.vstack([a[5], a[:5]])


def make_mn_data(n=600, p=3, n_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p))
    B = rng.uniform(-1, 1, size=(n_classes - 1, p + 1))
    eta = np.column_stack([np.zeros(n), B[:, 0] + X @ B[:, 1:].T])
    P = np.exp(eta - eta.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (rng.random(n)[:, None] > np.cumsum(P, axis=1)).sum(axis=1)
    return X, y


# -- reference values ---------------------------------------------------------
def test_anes96_matches_statsmodels_and_stata(anes_fit):
    # statsmodels MNLogit(method="newton", tol=1e-14); Stata 11 mlogit
    sm_ref, stata = SM_ANES96_MNLOGIT_CONVERGED, STATA_ANES96_MNLOGIT
    res = anes_fit
    assert res.converged and res.n_iter <= 8
    assert list(res.params.index) == ["Intercept", *ANES_COLUMNS]
    assert list(res.params.columns) == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert res.base == 0.0
    np.testing.assert_allclose(res.params, _stata_layout(sm_ref["params"]), atol=1e-7)
    np.testing.assert_allclose(res.std_errors, _stata_layout(sm_ref["bse"]), atol=1e-5)
    np.testing.assert_allclose(res.std_errors, _stata_layout(sm_ref["bse"]), rtol=1e-8)
    np.testing.assert_allclose(res.params, _stata_layout(stata["params"]), atol=1e-6)
    assert res.loglik == pytest.approx(sm_ref["llf"], abs=1e-8)
    # the null model has a closed form; Stata's is closer to it than statsmodels'
    assert res.loglik_null == pytest.approx(stata["llnull"], abs=1e-7)
    assert res.aic == pytest.approx(sm_ref["aic"], abs=1e-8)
    assert res.bic == pytest.approx(sm_ref["bic"], abs=1e-8)
    assert res.pseudo_r2() == pytest.approx(stata["prsquared"], rel=1e-9)
    lr = res.lr_test()
    assert lr.df == stata["df_model"] == res.df_model
    assert lr.statistic == pytest.approx(stata["llr"], rel=1e-9)
    assert lr.p_value == pytest.approx(stata["llr_pvalue"], rel=1e-6)
    assert res.df_resid == stata["df_resid"]


def test_anes96_matches_nnet(anes_fit):
    # R nnet::multinom(PID ~ ., anes96); params row-major (class, coef)
    np.testing.assert_allclose(anes_fit.coef.ravel(), NNET_ANES96["params"], atol=1e-7)
    np.testing.assert_allclose(anes_fit._std_errors, NNET_ANES96["bse"], atol=1e-5)
    assert anes_fit.aic == pytest.approx(NNET_ANES96["aic"], abs=1e-8)


def test_inference_tables(anes_fit):
    res = anes_fit
    z = res.params / res.std_errors
    np.testing.assert_allclose(res.z_values, z)
    np.testing.assert_allclose(res.p_values, 2 * stats.norm.sf(np.abs(z)))
    ci = res.conf_int(0.9)
    assert list(ci.columns) == ["lower", "upper"]
    assert ci.index[0] == (1.0, "Intercept") and ci.shape == (36, 2)
    q = stats.norm.ppf(0.95)
    np.testing.assert_allclose(
        ci["upper"].to_numpy(), res.coef.ravel() + q * res._std_errors
    )
    assert res.cov.shape == (36, 36)
    assert res.cov.loc[(2.0, "age"), (2.0, "age")] == pytest.approx(
        res.std_errors.loc["age", 2.0] ** 2
    )
    with pytest.raises(ValueError, match="level"):
        res.conf_int(1.5)
    with pytest.raises(ValueError, match="method"):
        res.conf_int(method="bootstrap")


def test_summary_has_one_block_per_class(anes_fit):
    summary = anes_fit.summary()
    text = summary.as_text()
    assert str(anes_fit) == text
    lines = [line.rstrip() for line in text.splitlines()]
    for cls in anes_fit.non_base:
        title = f"class = {cls!r} vs base 0.0"
        assert title in lines
        # the block's first row is its intercept
        assert lines[lines.index(title) + 1].startswith("  Intercept ")
    assert "LR chi2(30):" in text and "576.848" in text
    assert "2995.845" in text  # AIC
    frame = summary.to_frame()
    assert frame.shape == (36, 6)
    np.testing.assert_allclose(frame["std_err"], anes_fit._std_errors)
    html = anes_fit._repr_html_()
    assert "class = 6.0 vs base 0.0" in html
    assert "class = 6.0 vs base 0.0" in summary.as_latex()


def test_against_statsmodels_on_simulated_data():
    import statsmodels.api as sm

    X, y = make_mn_data(n=800, p=3, n_classes=4, seed=3)
    res = nl.mnlogit(X, y)
    ref = sm.MNLogit(y, sm.add_constant(X)).fit(method="newton", tol=1e-12, disp=0)
    np.testing.assert_allclose(res.params, ref.params, atol=1e-7)
    np.testing.assert_allclose(res.std_errors, ref.bse, rtol=1e-6)
    assert res.loglik == pytest.approx(ref.llf, rel=1e-12)
    assert res.loglik_null == pytest.approx(ref.llnull, rel=1e-9)
    np.testing.assert_allclose(res.predict(X), ref.predict(sm.add_constant(X)), 1e-7)


def test_wine_matches_statsmodels_and_sklearn():
    # scikit-learn's wine data (UCI), three cultivars; four chemical measures
    import statsmodels.api as sm
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression

    d = load_wine(as_frame=True)
    X = d.data[["alcohol", "malic_acid", "ash", "alcalinity_of_ash"]]
    res = nl.mnlogit(X, d.target)
    ref = sm.MNLogit(d.target, sm.add_constant(X)).fit(
        method="newton", tol=1e-12, disp=0
    )
    assert res.converged
    np.testing.assert_allclose(res.params, ref.params, atol=1e-7)
    np.testing.assert_allclose(res.std_errors, ref.bse, rtol=1e-8)
    assert res.loglik == pytest.approx(ref.llf, rel=1e-12)
    # scikit-learn's unpenalized multinomial fit: same probabilities, though it
    # centres the class rows rather than fixing the base row at zero
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lbfgs at its tolerance
        sk = LogisticRegression(penalty=None, tol=1e-12, max_iter=10000)
        sk.fit(X, d.target)
    np.testing.assert_allclose(sk.predict_proba(X), res.predict(X), atol=1e-5)


# -- model variants -----------------------------------------------------------
def test_frequency_weights_equal_repeated_rows():
    # a contingency table: one row per (x, class) cell with its count
    X, y = make_mn_data(n=300, p=2, n_classes=3, seed=1)
    counts = np.random.default_rng(2).integers(0, 4, size=300)
    weighted = nl.mnlogit(X, y, weights=counts)
    repeated = nl.mnlogit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    np.testing.assert_allclose(weighted.params, repeated.params, atol=1e-10)
    np.testing.assert_allclose(weighted.std_errors, repeated.std_errors, rtol=1e-8)
    assert weighted.loglik == pytest.approx(repeated.loglik, rel=1e-12)
    assert weighted.loglik_null == pytest.approx(repeated.loglik_null, rel=1e-12)
    assert weighted.n_obs == counts.sum() == repeated.n_obs
    assert weighted.bic == pytest.approx(repeated.bic, rel=1e-12)


def test_offsets_shift_coefficients():
    X, y = make_mn_data(n=500, p=2, n_classes=3, seed=4)
    res = nl.mnlogit(X, y)
    common = nl.mnlogit(X, y, offset=0.5 * X[:, 0])
    np.testing.assert_allclose(
        common.params.loc["x1"], res.params.loc["x1"] - 0.5, atol=1e-8
    )
    assert common.loglik == pytest.approx(res.loglik, rel=1e-12)
    per_class = nl.mnlogit(X, y, offset=np.outer(X[:, 1], [0.3, -0.2]))
    np.testing.assert_allclose(
        per_class.params.loc["x2"], res.params.loc["x2"] - [0.3, -0.2], atol=1e-8
    )
    np.testing.assert_allclose(
        per_class.predict(X, offset=np.outer(X[:, 1], [0.3, -0.2])),
        res.predict(X),
        atol=1e-9,
    )
    # the null model with an offset is fitted, not the closed form
    assert per_class.loglik_null != pytest.approx(res.loglik_null, rel=1e-6)


def test_two_classes_equal_binary_logit(spector):
    mn = nl.mnlogit(spector.X, spector.y)
    binary = nl.logit(spector.X, spector.y)
    np.testing.assert_allclose(mn.params[1.0], binary.params, rtol=1e-9)
    np.testing.assert_allclose(mn.std_errors[1.0], binary.std_errors, rtol=1e-8)
    assert mn.loglik == pytest.approx(binary.loglik, rel=1e-12)
    np.testing.assert_allclose(mn.predict(spector.X)[:, 1], binary.predict(spector.X))
    np.testing.assert_allclose(
        mn.conf_int(method="profile").to_numpy(),
        binary.conf_int(method="profile").to_numpy(),
        rtol=1e-6,
    )
    assert mn.aic == pytest.approx(binary.aic) and mn.bic == pytest.approx(binary.bic)
    assert mn.lr_test().statistic == pytest.approx(binary.lr_test().statistic)


def test_base_class_and_labels():
    X, y = make_mn_data(n=400, p=2, n_classes=3, seed=5)
    labels = np.array(["b", "c", "a"])[y]
    res = nl.mnlogit(X, labels)  # base: "a", the first in sorted order
    assert res.classes == ("a", "b", "c") and res.base == "a"
    other = nl.mnlogit(X, labels, base="c")
    assert other.base == "c" and list(other.params.columns) == ["a", "b"]
    np.testing.assert_allclose(
        other.params["b"], res.params["b"] - res.params["c"], atol=1e-8
    )
    np.testing.assert_allclose(other.params["a"], -res.params["c"], atol=1e-8)
    assert other.loglik == pytest.approx(res.loglik, rel=1e-12)
    np.testing.assert_allclose(other.predict(X), res.predict(X), atol=1e-10)
    P = res.predict(X)
    assert P.shape == (400, 3)
    np.testing.assert_allclose(P.sum(axis=1), 1.0)
    # column j is the probability of classes[j]: class "a" is y == 2
    assert P[labels == "a", 0].mean() > P[labels != "a", 0].mean()


def test_l2_penalty_solves_penalized_score():
    from newtonlogit.families.multinomial import kernels as _mnkernels

    X, y = make_mn_data(n=300, p=3, n_classes=3, seed=6)
    alpha = 5.0
    res = nl.mnlogit(X, y, penalty="l2", alpha=alpha)
    assert res.penalty == "l2" and res.converged
    codes = y.astype(float)
    beta = res.coef.ravel()
    _, score, _, _ = _mnkernels.multinomial_sums(np, Block(X, codes), beta, True, 3)
    penalized = res.coef.copy()
    penalized[:, 0] = 0.0
    np.testing.assert_allclose(score, alpha * penalized.ravel(), atol=1e-7)
    unpenalized = nl.mnlogit(X, y)
    assert np.abs(res.coef[:, 1:]).sum() < np.abs(unpenalized.coef[:, 1:]).sum()
    assert res.loglik < unpenalized.loglik
    assert "L2 penalty" in str(res)


def test_profile_intervals_reach_the_chi2_quantile():
    X, y = make_mn_data(n=250, p=1, n_classes=3, seed=7)
    res = nl.mnlogit(X, y)
    profile = res.conf_int(method="profile")
    wald = res.conf_int()
    assert profile.shape == (4, 2)
    np.testing.assert_allclose(profile, wald, rtol=0.1, atol=0.05)
    q = stats.chi2.ppf(0.95, 1)
    l_max = res.loglik
    for i, limits in enumerate(profile.to_numpy()):
        assert limits[0] < res.coef.ravel()[i] < limits[1]
        for value in limits:
            fit = res.refit.fit_with_fixed({i: value})
            assert 2 * (l_max - fit.evaluation.value) == pytest.approx(q, abs=1e-7)


def test_lr_test_of_nested_models():
    X, y = make_mn_data(n=400, p=3, n_classes=3, seed=8)
    big = nl.mnlogit(X, y)
    small = nl.mnlogit(X[:, :2], y)
    test = big.lr_test(small)
    assert test.df == 2
    assert test.statistic == pytest.approx(2 * (big.loglik - small.loglik))
    assert test.p_value == pytest.approx(stats.chi2.sf(test.statistic, 2))
    with pytest.raises(ValueError, match="nested"):
        small.lr_test(big)


def test_wald_test_of_a_variable_in_every_class(anes_fit):
    test = anes_fit.wald_test("age")
    assert test.df == 6
    index = [j * 6 + 3 for j in range(6)]  # "age" in each class block
    b = anes_fit.coef.ravel()[index]
    V = anes_fit.cov_array[np.ix_(index, index)]
    assert test.statistic == pytest.approx(b @ np.linalg.inv(V) @ b, rel=1e-10)
    assert test.p_value == pytest.approx(stats.chi2.sf(test.statistic, 6))
    # one class, one coefficient: the square of its z value
    X, y = make_mn_data(n=300, p=2, n_classes=2, seed=12)
    res = nl.mnlogit(X, y)
    assert res.wald_test(["x1"]).statistic == pytest.approx(
        res.z_values.loc["x1", 1] ** 2
    )
    with pytest.raises(ValueError, match="unknown coefficient"):
        anes_fit.wald_test(["nope"])


def test_aliased_columns_refused_or_dropped():
    X, y = make_mn_data(n=300, p=2, n_classes=3, seed=9)
    Xd = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "a2": 2 * X[:, 0]})
    with pytest.raises(CollinearityError, match="a2"):
        nl.mnlogit(Xd, y)
    with pytest.warns(CollinearityWarning, match="a2"):
        res = nl.mnlogit(Xd, y, drop_collinear=True)
    ref = nl.mnlogit(Xd[["a", "b"]], y)
    assert res.aliased == ("a2",)
    np.testing.assert_allclose(res.params, ref.params, atol=1e-10)
    np.testing.assert_allclose(res.predict(Xd), ref.predict(Xd[["a", "b"]]))


def test_no_intercept():
    import statsmodels.api as sm

    X, y = make_mn_data(n=500, p=2, n_classes=3, seed=10)
    res = nl.mnlogit(X, y, fit_intercept=False)
    ref = sm.MNLogit(y, X).fit(method="newton", tol=1e-12, disp=0)
    np.testing.assert_allclose(res.params, ref.params, atol=1e-7)
    assert res.loglik_null == pytest.approx(-500 * np.log(3))
    assert res.df_model == 4


# -- bad input ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": np.zeros(6)}, "at least two"),
        ({"base": 7}, "base 7 is not one of the classes"),
        (
            {"y": pd.Categorical([0, 1, 0, 1, 0, 1], categories=[0, 1, 2])},
            r"class\(es\) \[2\] have no rows",
        ),
        ({"weights": [1, 1, 0, 0, 1, 1]}, r"\[2\] have no rows with positive weight"),
        ({"y": [0, 1, 2, np.nan, 1, 0]}, "row 3"),
        ({"y": [0, 1, 2]}, "3 rows but X has 6"),
        ({"offset": np.zeros((6, 3))}, "offset must have shape"),
        ({"penalty": "l1"}, "penalty"),
    ],
)
def test_bad_input(kwargs, message):
    X = np.arange(12.0).reshape(6, 2) % 5
    args = {"y": [0, 1, 2, 2, 1, 0], **kwargs}
    with pytest.raises(ValueError, match=message):
        nl.mnlogit(X, **args)
    assert issubclass(DataError, ValueError)


def test_no_warnings_on_a_regular_fit(anes96):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nl.mnlogit(*anes96)


def test_device_arrays_are_refused_clearly_for_now():
    import array_api_strict as xp

    X, y = make_mn_data(n=60, p=2, n_classes=3, seed=13)
    with pytest.raises(DataError, match="multinomial fits take NumPy"):
        nl.mnlogit(xp.asarray(X), xp.asarray(y.astype(float)))


def test_formula_and_polars(anes96):
    import polars as pl

    X, y = anes96
    frame = X.assign(PID=y)
    res = nl.mnlogit("PID ~ logpopul + selfLR + age + educ + income", data=frame)
    ref = nl.mnlogit(X, y)
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-12)
    assert list(res.params.index) == ["Intercept", *ANES_COLUMNS]
    np.testing.assert_allclose(res.predict(frame.head(5)), ref.predict(X.head(5)))
    assert "Formula: PID ~" in str(res)
    # a categorical predictor through C(), the same encoding at predict time
    coded = nl.mnlogit("PID ~ selfLR + C(educ)", data=frame)
    assert "C(educ)[T.7.0]" in coded.params.index
    np.testing.assert_allclose(coded.predict(frame).sum(axis=1), 1.0)
    # polars data give the pandas fit
    polars_fit = nl.mnlogit(pl.from_pandas(X), pl.Series(y.to_numpy()))
    np.testing.assert_allclose(polars_fit.params, ref.params, rtol=1e-12)
    dropped = nl.mnlogit(
        "PID ~ selfLR",
        data=frame.assign(selfLR=frame.selfLR.where(frame.age > 20)),
        missing="drop",
    )
    assert dropped.n_dropped == int((frame.age <= 20).sum())


def test_model_file_round_trip_and_tampering(anes96, tmp_path):
    import dataclasses
    import json

    from newtonlogit import ModelFileError

    X, y = anes96
    frame = X.assign(PID=y)
    res = nl.mnlogit("PID ~ logpopul + selfLR + C(educ)", data=frame)
    path = tmp_path / "model.json"
    res.save(path)
    loaded = nl.load(path)
    assert isinstance(loaded, nl.MNLogitResults) and loaded.refit is None
    np.testing.assert_array_equal(loaded.predict(frame), res.predict(frame))
    assert str(loaded) == str(res)
    saved = {f.name for f in dataclasses.fields(nl.MNLogitResults)}
    for name in saved - {"refit", "separation", "history_table", "model_spec"}:
        a, b = getattr(loaded, name), getattr(res, name)
        assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b, name
    with pytest.raises(ValueError, match="profile"):
        loaded.conf_int(method="profile")
    document = json.loads(path.read_text())
    document["estimates"]["coef"][0][1] += 1.0
    path.write_text(json.dumps(document))
    with pytest.raises(ModelFileError, match="checksum"):
        nl.load(path)
