"""The command line with --model ordinal: fit (equal to R's clm on wine),
save, predict with intervals, summary, and refusals as one line, exit 2."""

import io
import json

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

from .test_cli import run
from .test_ordinal import HERE, REF, load_housing, load_wine

WINE = str(HERE / "data" / "wine.csv")


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("ordinal") / "wine.json"
    out = run(
        "fit", WINE, "--target", "rating", "--features", "temp,contact",
        "--model", "ordinal", "--format", "csv", "--save", str(path),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    return path, out


def test_fit_equals_clm(saved):
    _, out = saved
    table = pd.read_csv(io.StringIO(out.stdout), index_col="term")
    assert list(table.index[:2]) == [
        "coefficients:temp[T.warm]",
        "coefficients:contact[T.yes]",
    ]
    assert table.index[2] == "thresholds:1|2"
    coef = np.r_[table["coef"].iloc[2:], table["coef"].iloc[:2]]
    np.testing.assert_allclose(coef, REF["wine"]["coef"], rtol=1e-6)
    se = np.r_[table["std_err"].iloc[2:], table["std_err"].iloc[:2]]
    np.testing.assert_allclose(se, REF["wine"]["se"], rtol=1e-6)


def test_predict_with_intervals(saved, tmp_path):
    path, _ = saved
    out_path = tmp_path / "pred.csv"
    out = run("predict", str(path), WINE, "--key", "judge", "--interval",
              "-o", str(out_path))  # fmt: skip
    assert out.returncode == 0, out.stderr
    pred = pd.read_csv(out_path)
    res = nl.ologit("rating ~ temp + contact", data=load_wine())
    probabilities = pred[[f"probability_{j}" for j in range(1, 6)]].to_numpy()
    np.testing.assert_allclose(probabilities, res.predict(load_wine()), rtol=1e-10)
    table = res.predict(load_wine(), interval=True)
    np.testing.assert_allclose(
        pred[[f"lower_{j}" for j in range(1, 6)]].to_numpy().ravel(),
        table["lower"].to_numpy(),
        rtol=1e-10,
    )
    assert (pred["predicted_class"] == probabilities.argmax(1) + 1).all()


def test_summary_of_the_saved_model(saved):
    path, _ = saved
    out = run("summary", str(path), "--format", "json")
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    assert "Ordinal" in document["title"]
    assert "thresholds:4|5" in document["coefficients"]


def test_levels_order_a_text_target(tmp_path):
    housing = load_housing()
    csv = tmp_path / "housing.csv"
    housing.to_csv(csv, index=False)
    formula = "Sat ~ C(Infl, levels=['Low', 'Medium', 'High']) + Cont"
    out = run("fit", str(csv), "--formula", formula, "--weights", "Freq",
              "--model", "ordinal", "--levels", "Low,Medium,High",
              "--format", "json")  # fmt: skip
    assert out.returncode == 0, out.stderr
    ref = nl.ologit(
        "Sat ~ Infl + Cont", data=housing.assign(Cont=housing.Cont.astype(str)),
        weights="Freq",
    )  # fmt: skip
    coefficients = json.loads(out.stdout)["coefficients"]
    assert coefficients["thresholds:Low|Medium"]["coef"] == pytest.approx(
        ref.thresholds["Low|Medium"], rel=1e-10
    )


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--model", "ordinal", "--target", "temp"], "levels"),
        (["--target", "rating", "--levels", "1,2,3"], "--levels goes with"),
        (["--model", "ordinal", "--target", "rating", "--cov-type", "HC3"], "cov_type"),
        (["--model", "ordinal", "--target", "rating", "--levels", "1,2,x"], "numeric"),
    ],
)
def test_refusals_are_one_line(extra, message):
    out = run("fit", WINE, *extra)
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_fit_writes_the_level_plot(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {"dose": rng.normal(size=300), "site": rng.choice(["a", "b"], 300)}
    )
    frame["grade"] = np.digitize(frame.dose + rng.logistic(size=300), [-1, 1])
    csv = tmp_path / "grades.csv"
    frame.to_csv(csv, index=False)
    png = tmp_path / "levels.png"
    out = run("fit", str(csv), "--target", "grade", "--model", "ordinal",
              "--plot", str(png), "--plot-x", "dose")  # fmt: skip
    assert out.returncode == 0, out.stderr
    image = imread(png)
    assert image.shape[0] > 100 and image[..., :3].std() > 0.05
    out = run("fit", str(csv), "--target", "grade", "--model", "ordinal",
              "--plot", str(png), "--plot-kind", "roc")  # fmt: skip
    assert out.returncode == 2 and "level probabilities" in out.stderr
