"""The command line with a conditional model: fit, save, summary, predict."""

import io
from pathlib import Path

import numpy as np
import pandas as pd

import newtonlogit as nl

from .test_cli import run

INFERT = Path(__file__).parent / "reference" / "infert.csv"
FORMULA = "case ~ spontaneous + induced"


def test_fit_save_summary_predict(tmp_path):
    model = tmp_path / "m.json"
    out = run(
        "fit", str(INFERT), "--formula", FORMULA, "--model", "conditional",
        "--strata", "pooled.stratum", "--method", "efron", "--save", str(model),
        "--format", "csv",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    table = pd.read_csv(io.StringIO(out.stdout), index_col="term")
    data = pd.read_csv(INFERT)
    res = nl.clogit(FORMULA, data=data, strata="pooled.stratum", method="efron")
    np.testing.assert_allclose(table["coef"], res.coef, rtol=1e-12)
    summary = run("summary", str(model))
    assert summary.returncode == 0 and "Method:" in summary.stdout
    assert "efron" in summary.stdout
    predicted = run("predict", str(model), str(INFERT), "--strata", "stratum",
                    "--key", "stratum,case")  # fmt: skip
    assert predicted.returncode == 0, predicted.stderr
    frame = pd.read_csv(io.StringIO(predicted.stdout))
    np.testing.assert_allclose(frame.groupby("stratum")["probability"].sum(), 1.0)


def test_usage_errors_are_one_line(tmp_path):
    out = run("fit", str(INFERT), "--formula", FORMULA, "--model", "conditional")
    assert out.returncode == 2 and "--strata" in out.stderr
    out = run("fit", str(INFERT), "--formula", FORMULA, "--method", "efron")
    assert out.returncode == 2 and "--method" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    out = run(
        "fit", str(INFERT), "--formula", FORMULA, "--model", "conditional",
        "--strata", "nope",
    )  # fmt: skip
    assert out.returncode == 2 and "nope" in out.stderr
    model = tmp_path / "m.json"
    run("fit", str(INFERT), "--formula", FORMULA, "--model", "conditional",
        "--strata", "stratum", "--save", str(model))  # fmt: skip
    out = run("predict", str(model), str(INFERT))
    assert out.returncode == 2 and "--strata" in out.stderr
    assert "Traceback" not in out.stderr
