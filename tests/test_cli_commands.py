"""``newtonlogit fit / predict / summary``: the installed command on real files."""

import io
import json
import re

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl

from .test_cli import run

FORMULA = "admit ~ gre + gpa + C(rank)"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """Admissions-like data as CSV and Parquet, a model fitted by the CLI."""
    folder = tmp_path_factory.mktemp("cli")
    rng = np.random.default_rng(3)
    n = 400
    df = pd.DataFrame(
        {
            "id": [f"s{i:03d}" for i in range(n)],
            "gre": rng.normal(580, 100, n).round(),
            "gpa": rng.normal(3.4, 0.4, n).round(2),
            "rank": rng.integers(1, 5, n),
        }
    )
    eta = -3 + 0.004 * df.gre + 0.8 * df.gpa - 0.6 * (df["rank"] - 1)
    df["admit"] = np.where(rng.random(n) < 1 / (1 + np.exp(-eta)), "yes", "no")
    df["w"] = rng.integers(1, 4, n)
    paths = {
        "csv": folder / "admissions.csv",
        "parquet": folder / "admissions.parquet",
        "model": folder / "model.json",
        "folder": folder,
    }
    df.to_csv(paths["csv"], index=False)
    df.to_parquet(paths["parquet"], index=False)
    out = run(
        "fit", str(paths["csv"]), "--formula", FORMULA, "--save", str(paths["model"]),
        "--format", "csv", "-v",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    paths["fit_out"] = out
    paths["frame"] = df
    return paths


def test_fit_csv_matches_the_library(files):
    out = files["fit_out"]
    table = pd.read_csv(io.StringIO(out.stdout), index_col="term")
    res = nl.logit(FORMULA, data=files["frame"])
    np.testing.assert_allclose(table["coef"], res.params, rtol=1e-12)
    np.testing.assert_allclose(table["std_err"], res.std_errors, rtol=1e-12)
    # -v: one line per Newton iteration on stderr, as it happens
    lines = [x for x in out.stderr.splitlines() if x.startswith("iteration")]
    assert len(lines) == res.n_iter + 1
    assert "loglik" in lines[0] and "decrement" in lines[-1]


def test_fit_parquet_with_target_and_weights(files):
    out = run(
        "fit", str(files["parquet"]), "--target", "admit", "--features", "gre,gpa,rank",
        "--weights", "w", "--format", "json",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    document = json.loads(out.stdout)
    df = files["frame"]
    res = nl.logit(df[["gre", "gpa", "rank"]], df["admit"], weights=df["w"])
    got = [document["coefficients"][k]["coef"] for k in res.params.index]
    np.testing.assert_allclose(got, res.params, rtol=1e-12)
    assert document["header"]["Observations"] == "400"


def test_fit_from_stdin_in_markdown(files):
    out = run(
        "fit", "-", "--formula", "admit ~ gpa", "--format", "markdown",
        input=files["csv"].read_text(),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert "| term | coef |" in out.stdout and "| gpa |" in out.stdout


def test_predict_writes_keys_probability_interval_class(files):
    target = files["folder"] / "predictions.csv"
    out = run(
        "predict", str(files["model"]), str(files["parquet"]), "-o", str(target),
        "--key", "id", "--interval", "--threshold", "0.3",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    got = pd.read_csv(target)
    assert list(got.columns) == [
        "id",
        "probability",
        "lower",
        "upper",
        "predicted_class",
    ]
    res = nl.logit(FORMULA, data=files["frame"])
    np.testing.assert_allclose(
        got["probability"], res.predict(files["frame"]), rtol=1e-12
    )
    assert (got["lower"] < got["probability"]).all()
    assert (got["probability"] < got["upper"]).all()
    expected = np.where(got["probability"] >= 0.3, "yes", "no")
    assert (got["predicted_class"] == expected).all()
    assert got["id"].tolist() == files["frame"]["id"].tolist()
    assert not list(files["folder"].glob(".*.tmp"))


def test_summary_of_the_saved_model_matches_the_fit(files):
    out = run("summary", str(files["model"]), "--format", "csv")
    assert out.returncode == 0, out.stderr
    assert out.stdout == files["fit_out"].stdout
    text = run("summary", str(files["model"]))
    res = nl.logit(FORMULA, data=files["frame"])
    assert text.stdout == res.summary().as_text() + "\n"  # the one summary layout
    assert "C(rank)[T.4]" in text.stdout and "Formula: admit ~ gre" in text.stdout


def test_fit_drops_missing_rows_when_asked(files):
    data = _write(files["folder"], "na_ok.csv", "y,x\n0,1\n1,\n0,3\n1,4\n0,2\n1,2.5\n")
    out = run("fit", data, "--target", "y", "--drop-missing")
    assert out.returncode == 0, out.stderr
    assert re.search(r"Observations:\s+5\s", out.stdout), out.stdout
    assert "1 row(s) with missing values were dropped" in out.stdout


@pytest.mark.parametrize("command", ["fit", "predict", "summary"])
def test_help_has_examples(command):
    out = run(command, "--help")
    assert out.returncode == 0 and "example" in out.stdout


def _write(folder, name, content):
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return str(path)


def _folder(folder):
    path = folder / "folder.csv"
    path.mkdir(exist_ok=True)
    return str(path)


BAD_CASES = {
    "missing file": (
        lambda f: ["fit", "nope.csv", "--target", "admit"],
        r"no such file",
    ),
    "folder": (
        lambda f: ["fit", _folder(f["folder"]), "--target", "a"],
        r"is a folder",
    ),
    "unknown type": (
        lambda f: ["fit", _write(f["folder"], "d.xlsx", "x"), "--target", "a"],
        r"unknown file type",
    ),
    "malformed csv": (
        lambda f: [
            "fit",
            _write(f["folder"], "bad.csv", "a,b\n1,2\n3,4,5,6\n"),
            "--target",
            "a",
        ],
        r"not valid CSV: .*line 3",
    ),
    "empty file": (
        lambda f: ["fit", _write(f["folder"], "empty.csv", ""), "--target", "a"],
        r"is empty",
    ),
    "header only": (
        lambda f: ["fit", _write(f["folder"], "head.csv", "a,b\n"), "--target", "a"],
        r"header but no data rows",
    ),
    "not parquet": (
        lambda f: [
            "fit",
            _write(f["folder"], "x.parquet", "a,b\n1,2\n"),
            "--target",
            "a",
        ],
        r"not a valid Parquet file",
    ),
    "unknown column": (
        lambda f: ["fit", str(f["csv"]), "--target", "admit", "--features", "gre,nope"],
        r"unknown column \['nope'\]; the data has columns: id, gre",
    ),
    "unknown formula column": (
        lambda f: ["fit", str(f["csv"]), "--formula", "admit ~ gre + nope"],
        r"no column\(s\) \['nope'\]",
    ),
    "multi-class target with --firth": (
        lambda f: ["fit", str(f["csv"]), "--target", "rank", "--firth"],
        r"--firth not available for a target with more than two classes",
    ),
    "missing values": (
        lambda f: [
            "fit",
            _write(f["folder"], "na.csv", "y,x\n0,1\n1,\n0,3\n1,4\n"),
            "--target",
            "y",
        ],
        r"missing values in 1 of 4 rows \(first at row 1\), in column\(s\) \['x'\]",
    ),
    "no formula or target": (lambda f: ["fit", str(f["csv"])], r"one of the arguments"),
    "cluster without groups": (
        lambda f: ["fit", str(f["csv"]), "--formula", FORMULA, "--cov-type", "cluster"],
        r"needs groups",
    ),
    "model not ours": (
        lambda f: ["predict", str(f["csv"]), str(f["csv"])],
        r"not a newtonlogit model file",
    ),
    "model not json ours": (
        lambda f: ["summary", _write(f["folder"], "other.json", '{"coef": [1]}')],
        r"not a newtonlogit model file",
    ),
    "data without the model's columns": (
        lambda f: [
            "predict",
            str(f["model"]),
            _write(f["folder"], "new.csv", "gre,gpa\n1,2\n"),
        ],
        r"no column\(s\) \['rank'\]",
    ),
    "unseen category": (
        lambda f: [
            "predict",
            str(f["model"]),
            _write(f["folder"], "new5.csv", "gre,gpa,rank\n500,3,5\n"),
        ],
        r"column 'rank' has category 5 not seen in training",
    ),
    "output folder missing": (
        lambda f: [
            "predict",
            str(f["model"]),
            str(f["csv"]),
            "-o",
            "/nonexistent/o.csv",
        ],
        r"folder '/nonexistent' not found",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CASES))
def test_bad_input_is_one_line_and_exit_2(files, case):
    args, message = BAD_CASES[case]
    out = run(*args(files))
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert re.search(message, lines[0]), lines[0]
