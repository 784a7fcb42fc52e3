"""The command line with a multi-class target: fit, save, predict, summary."""

import io
import json

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

from .test_cli import run
from .test_mnlogit import ANES_COLUMNS

FORMULA = "PID ~ logpopul + selfLR + age + educ + income"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """statsmodels' anes96 as CSV (party: a text label), a model saved by the CLI."""
    import statsmodels.api as sm

    folder = tmp_path_factory.mktemp("mncli")
    d = sm.datasets.anes96.load_pandas().data[[*ANES_COLUMNS, "PID"]]
    d = d.assign(id=np.arange(len(d)), PID=d.PID.astype(int).map(lambda v: f"p{v}"))
    paths = {"csv": folder / "anes.csv", "model": folder / "m.json", "frame": d}
    d.to_csv(paths["csv"], index=False)
    out = run(
        "fit", str(paths["csv"]), "--target", "PID", "--features",
        ",".join(ANES_COLUMNS), "--save", str(paths["model"]), "--format", "csv",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    paths["fit_out"] = out
    return paths


def test_fit_prints_every_class_block(files):
    table = pd.read_csv(io.StringIO(files["fit_out"].stdout), index_col="term")
    res = nl.mnlogit(FORMULA, data=files["frame"])
    assert table.shape[0] == 36 and table.index[0] == "p1:Intercept"
    np.testing.assert_allclose(table["coef"], res.coef.ravel(), rtol=1e-10)
    np.testing.assert_allclose(table["std_err"], res._std_errors, rtol=1e-10)


def test_predict_writes_one_probability_column_per_class(files, tmp_path):
    out_path = tmp_path / "pred.csv"
    out = run("predict", str(files["model"]), str(files["csv"]), "--key", "id",
              "-o", str(out_path))  # fmt: skip
    assert out.returncode == 0, out.stderr
    pred = pd.read_csv(out_path)
    classes = [f"p{v}" for v in range(7)]
    assert list(pred.columns) == [
        "id",
        *(f"probability_{c}" for c in classes),
        "predicted_class",
    ]
    res = nl.mnlogit(FORMULA, data=files["frame"])
    P = pred[[f"probability_{c}" for c in classes]].to_numpy()
    np.testing.assert_allclose(P, res.predict(files["frame"]), rtol=1e-9)
    assert (pred["predicted_class"] == np.asarray(classes)[P.argmax(1)]).all()


def test_summary_of_a_saved_model(files):
    text = run("summary", str(files["model"]))
    assert text.returncode == 0, text.stderr
    assert "class = 'p6' vs base 'p0'" in text.stdout
    doc = json.loads(run("summary", str(files["model"]), "--format", "json").stdout)
    assert "p3:selfLR" in doc["coefficients"]


def test_options_for_two_classes_only_are_refused(files):
    out = run("fit", str(files["csv"]), "--target", "PID", "--firth")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "--firth" in out.stderr
    assert "Traceback" not in out.stderr
    out = run("predict", str(files["model"]), str(files["csv"]), "--interval")
    assert out.returncode == 2 and "not available for multinomial" in out.stderr
