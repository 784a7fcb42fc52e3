"""``newtonlogit check``: the installed command in a subprocess."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from .conftest import load_lbw
from .test_checking import reference
from .test_cli import run


@pytest.fixture(scope="module")
def lbw_files(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("check")
    data = load_lbw()
    frame = data.X.assign(low=data.y)
    path = tmp / "lbw.csv"
    frame.to_csv(path, index=False)
    model = tmp / "m.json"
    formula = "low ~ age + lwt + race_black + race_other + smoke + ptl + ht + ui"
    out = run("fit", str(path), "--formula", formula, "--save", str(model))
    assert out.returncode == 0, out.stderr
    return tmp, path, model


def test_check_prints_the_tests_and_writes_the_rows(lbw_files):
    tmp, data, model = lbw_files
    ref = reference("lbw")
    target = tmp / "rows.csv"
    out = run("check", str(model), str(data), "-o", str(target))
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "Hosmer-Lemeshow" in text and "le Cessie" in text
    assert f"AUC {ref['discrimination']['auc']:.4f}" in text
    hl = f"{ref['hosmer_lemeshow']['statistic']:.6g}"
    assert hl in text
    rows = pd.read_csv(target)
    assert len(rows) == 189
    np.testing.assert_allclose(rows.cooks_distance, ref["cooks_distance"], rtol=1e-6)
    assert "pattern_delta_chi2" in rows.columns


def test_check_draws_the_figure(lbw_files):
    from matplotlib.image import imread

    tmp, data, model = lbw_files
    target = tmp / "check.png"
    out = run("check", str(model), str(data), "--plot", str(target))
    assert out.returncode == 0, out.stderr
    image = imread(target)
    assert image.shape[:2] == (850, 1100)
    assert image[..., :3].std() > 0.05


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--groups", "2"], "groups must be an integer"),
        (["--cutoff", "2"], "cutoff must be a probability"),
        (["--plot", "x.pdf"], "--plot writes PNG"),
        (["--target", "low"], "--target is for models fitted without a formula"),
    ],
)
def test_check_bad_input_is_one_line(lbw_files, extra, message):
    _, data, model = lbw_files
    out = run("check", str(model), str(data), *extra)
    assert out.returncode == 2
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr


def test_check_missing_column_is_named(lbw_files):
    tmp, data, model = lbw_files
    frame = pd.read_csv(data).drop(columns="smoke")
    bad = tmp / "bad.csv"
    frame.to_csv(bad, index=False)
    out = run("check", str(model), str(bad))
    assert out.returncode == 2 and "smoke" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert json.loads(model.read_text())  # the model file is untouched


@pytest.mark.parametrize(
    "plot",
    ["missing-folder/check.png", "same"],  # a folder that is not there; -o's file
)
def test_a_failing_check_writes_nothing(lbw_files, plot):
    tmp, data, model = lbw_files
    target = tmp / "never.csv"
    plot = str(target) if plot == "same" else str(tmp / plot)
    out = run("check", str(model), str(data), "-o", str(target), "--plot", plot)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert not target.exists()
