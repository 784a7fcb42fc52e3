"""Formulas and DataFrames: the same numbers as the matrix API, any library."""

import importlib.resources
import json
import sys

import numpy as np
import pandas as pd
import polars as pl
import pytest

import newtonlogit as nl
from newtonlogit.data.formula import FormulaSpec

from .reference import values as ref


def _lbw_frame() -> pd.DataFrame:
    path = importlib.resources.files("statsmodels.genmod.tests.results").joinpath(
        "stata_lbw_glm.csv"
    )
    return pd.read_csv(path)


LBW_FORMULA = (
    'low ~ age + lwt + C(race, contr.treatment("white")) + smoke + ptl + ht + ui'
)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 500
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.uniform(1, 5, n),
            "g": rng.choice(["a", "b", "c"], n),
        }
    )
    eta = 0.4 * df.x + (df.g == "b") - 0.5 * np.log(df.z) + 0.3 * df.x * (df.g == "c")
    df["y"] = np.where(rng.random(n) < 1 / (1 + np.exp(-eta)), "yes", "no")
    df["s"] = rng.integers(0, 8, n)
    df["f"] = rng.integers(0, 8, n)
    return df


def test_lbw_formula_on_raw_data_matches_r():
    # R: glm(low ~ age + lwt + race + smoke + ptl + ht + ui, family = binomial),
    # race with reference level "white" (R_LBW_LOGIT in tests/reference/values.py)
    res = nl.logit(LBW_FORMULA, data=_lbw_frame())
    np.testing.assert_allclose(
        res.params.to_numpy(), ref.R_LBW_LOGIT["params"], rtol=1e-7
    )
    np.testing.assert_allclose(
        res.std_errors.to_numpy(), ref.R_LBW_LOGIT["bse"], rtol=1e-5
    )
    assert list(res.params.index)[3:5] == [
        "C(race, contr.treatment('white'))[T.black]",
        "C(race, contr.treatment('white'))[T.other]",
    ]


def test_formula_predictions_equal_the_matrix_api(frame):
    res = nl.logit("y ~ x + C(g) + np.log(z) + x:C(g)", data=frame)
    X = pd.DataFrame(
        {
            "x": frame.x,
            "b": (frame.g == "b").astype(float),
            "c": (frame.g == "c").astype(float),
            "logz": np.log(frame.z),
            "xb": frame.x * (frame.g == "b"),
            "xc": frame.x * (frame.g == "c"),
        }
    )
    matrix = nl.logit(X, frame.y)
    np.testing.assert_allclose(res.coef, matrix.coef, rtol=1e-10)
    np.testing.assert_allclose(res.cov_array, matrix.cov_array, rtol=1e-10)
    new = frame.sample(50, random_state=1)
    np.testing.assert_allclose(res.predict(new), matrix.predict(X.loc[new.index]))
    assert res.classes == ("no", "yes")


def test_cbind_equals_two_column_counts(frame):
    res = nl.logit("cbind(s, f) ~ x + z", data=frame)
    matrix = nl.logit(frame[["x", "z"]], frame[["s", "f"]].to_numpy())
    np.testing.assert_allclose(res.coef, matrix.coef, rtol=1e-10)
    assert res.loglik == pytest.approx(matrix.loglik, rel=1e-12)


def test_polars_and_pandas_give_identical_results(frame):
    formula = "y ~ center(x) + C(g) + poly(z, 2)"
    a = nl.logit(formula, data=frame)
    b = nl.logit(formula, data=pl.from_pandas(frame))
    assert np.array_equal(a.coef, b.coef) and np.array_equal(a.cov_array, b.cov_array)
    new = frame.tail(20)
    assert np.array_equal(a.predict(pl.from_pandas(new)), b.predict(new))
    # matrix API: names and numbers flow through from either library
    c = nl.logit(frame[["x", "z"]], frame.s > 3)
    d = nl.logit(pl.from_pandas(frame[["x", "z"]]), pl.Series(frame.s > 3))
    assert list(d.params.index) == ["Intercept", "x", "z"]
    assert np.array_equal(c.coef, d.coef)
    assert np.array_equal(c.predict(frame), d.predict(pl.from_pandas(frame)))


def test_numpy_input_is_not_copied(frame, monkeypatch):
    from newtonlogit.data import design

    X = np.ascontiguousarray(frame[["x", "z"]].to_numpy())
    seen = []
    original = design.make_design

    def spy(*args, **kwargs):
        out = original(*args, **kwargs)
        seen.append(out.X)
        return out

    monkeypatch.setattr("newtonlogit.families.binary.fit.make_design", spy)
    nl.logit(X, frame.s > 3)
    assert seen[0] is X


def test_stateful_transforms_keep_training_state(frame):
    res = nl.logit("y ~ center(x) + scale(z)", data=frame)
    one_row = frame.head(1)
    # centring a single row with its own mean would give 0; the training mean is kept
    x_c = frame.x.iloc[0] - frame.x.mean()
    z_s = (frame.z.iloc[0] - frame.z.mean()) / frame.z.std()
    eta = res.coef @ [1.0, x_c, z_s]
    assert res.linear_predictor(one_row)[0] == pytest.approx(eta, rel=1e-10)


def test_spec_survives_json(frame):
    res = nl.logit("y ~ poly(x, 3) + C(g) + center(z)", data=frame)
    text = json.dumps(res.model_spec.to_dict(), allow_nan=False)
    spec = FormulaSpec.from_dict(json.loads(text))
    new = frame.sample(30, random_state=2)
    pd.testing.assert_frame_equal(
        spec.model_matrix(new), res.model_spec.model_matrix(new)
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (
            lambda d: d.assign(g="d"),
            r"column 'g' has category 'd' not seen in training",
        ),
        (lambda d: d.drop(columns="z"), r"no column\(s\) \['z'\]"),
        (
            lambda d: d.assign(x=np.where(np.arange(len(d)) % 4 == 1, np.nan, d.x)),
            r"missing values in 5 of 20 rows \(first at row 1\), in column\(s\) .'x'",
        ),
    ],
)
def test_bad_new_data_is_named(frame, change, message):
    res = nl.logit("y ~ x + C(g) + np.log(z)", data=frame)
    with pytest.raises(ValueError, match=message):
        res.predict(change(frame.head(20).copy()))


def test_missing_values_refused_or_dropped(frame):
    df = frame.copy()
    df.loc[[3, 7, 8], "x"] = np.nan
    df.loc[[8, 11], "g"] = None
    with pytest.raises(
        ValueError,
        match=r"4 of 500 rows \(first at row 3\), in column\(s\) \['g', 'x'\]",
    ):
        nl.logit("y ~ x + C(g)", data=df)
    res = nl.logit("y ~ x + C(g)", data=df, missing="drop")
    assert res.n_dropped == 4 and res.n_obs == 496
    kept = nl.logit("y ~ x + C(g)", data=df.dropna(subset=["x", "g"]))
    np.testing.assert_allclose(res.coef, kept.coef, rtol=1e-12)
    # polars nulls are missing values too
    assert (
        nl.logit("y ~ x + C(g)", data=pl.from_pandas(df), missing="drop").n_dropped == 4
    )


def test_matrix_api_missing_rows_counted_and_dropped(frame):
    X = frame[["x", "z"]].to_numpy().copy()
    X[[2, 9], 0] = np.nan
    X[9, 1] = np.nan
    y = (frame.s > 3).to_numpy()
    with pytest.raises(
        ValueError, match=r"2 row\(s\) .* in column\(s\) \['x1', 'x2'\]"
    ):
        nl.logit(X, y)
    res = nl.logit(X, y, missing="drop")
    keep = ~np.isnan(X).any(axis=1)
    np.testing.assert_allclose(res.coef, nl.logit(X[keep], y[keep]).coef, rtol=1e-12)
    assert res.n_dropped == 2


@pytest.mark.parametrize(
    "formula, kwargs, message",
    [
        ("y ~ x + nope", {}, r"no column\(s\) \['nope'\]"),
        ("y ~ x +", {}, r"cannot parse formula"),
        ("x + z", {}, r"one '~'"),
        ("cbind(s) ~ x", {}, r"cbind\(successes, failures\)"),
        ("g ~ x", {}, r"exactly two classes"),
        ("y ~ x", {"missing": "keep"}, r"missing must be one of"),
        ("y ~ x", {"data": None}, r"needs data="),
        ("y ~ x", {"data": [1, 2]}, r"must be a DataFrame"),
        ("y ~ x", {"fit_intercept": False}, r"y ~ 0 \+"),
    ],
)
def test_bad_formulas_are_named(frame, formula, kwargs, message):
    kwargs = {"data": frame} | kwargs
    with pytest.raises(ValueError, match=message):
        nl.logit(formula, **kwargs)


def test_cluster_groups_by_column_name_and_dropped_rows(frame):
    df = frame.assign(school=np.arange(len(frame)) % 7)
    df.loc[[4, 9], "x"] = np.nan
    a = nl.logit("y ~ x", data=df, cov_type="cluster", groups="school", missing="drop")
    kept = df.dropna(subset=["x"])
    b = nl.logit(kept[["x"]], kept.y, cov_type="cluster", groups=kept.school)
    np.testing.assert_allclose(a.cov_array, b.cov_array, rtol=1e-12)
    assert a.n_groups == 7 and a.n_dropped == 2
    c = nl.logit(
        df[["x"]], df.y, cov_type="cluster", groups=df.school.to_numpy(), missing="drop"
    )
    np.testing.assert_allclose(c.cov_array, b.cov_array, rtol=1e-12)
    assert "2 row(s) with missing values were dropped" in str(a)


def test_columns_named_like_functions(frame):
    df = frame.assign(scale=frame.z, log=frame.x)
    res = nl.logit("y ~ scale + log + np.log(scale)", data=df)
    assert list(res.params.index) == ["Intercept", "scale", "log", "np.log(scale)"]
    assert res.model_spec.variables == ("log", "scale")
    np.testing.assert_allclose(res.predict(df.head(3)), res.predict(df)[:3])


def test_weights_by_column_name(frame):
    w = (frame.s % 3).astype(float)
    a = nl.logit("y ~ x", data=frame.assign(w=w), weights="w")
    b = nl.logit(frame[["x"]], frame.y, weights=w)
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-12)


def test_importing_does_not_import_formulaic_or_polars():
    import subprocess

    code = (
        "import sys, newtonlogit; "
        "print(sorted(m for m in ('formulaic', 'polars', 'matplotlib') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "[]", out.stderr


def test_estimator_accepts_polars(frame):
    X = pl.from_pandas(frame[["x", "z"]])
    model = nl.LogisticRegression().fit(X, pl.Series(frame.s > 3))
    reference = nl.logit(frame[["x", "z"]], frame.s > 3)
    assert list(model.results_.params.index) == ["Intercept", "x", "z"]
    np.testing.assert_allclose(model.results_.coef, reference.coef, rtol=1e-10)


def test_long_reads_report_progress(tmp_path, monkeypatch):
    from newtonlogit.files import tables as files

    path = tmp_path / "d.csv"
    pd.DataFrame({"a": np.arange(50), "b": np.arange(50) % 2}).to_csv(path, index=False)
    monkeypatch.setattr(files, "_CHUNK_ROWS", 10)
    monkeypatch.setattr(files, "_PROGRESS_SECONDS", 0.0)
    lines = []
    frame = files.read_table(str(path), lines.append)
    assert frame.shape == (50, 2) and frame["a"].tolist() == list(range(50))
    assert len(lines) == 5 and lines[-1].startswith("read 50 rows (100%)")


def test_missing_drop_refuses_device_arrays():
    xp = pytest.importorskip("array_api_strict")
    X = xp.asarray(np.random.default_rng(0).normal(size=(20, 2)))
    y = xp.asarray((np.arange(20) % 2).astype(float))
    with pytest.raises(ValueError, match="missing='drop' works on host data"):
        nl.logit(X, y, missing="drop")
