"""The installed command against hostile or careless input: a right answer, or
exit status 2 with one line on stderr, and no file left behind."""

import gzip
import io
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_cli import run


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A clean CSV, the same rows in every compression, a fitted model and its
    coefficients."""
    folder = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(23)
    n = 150
    df = pd.DataFrame({"y": 0, "a": rng.normal(size=n).round(6)})
    df["c"] = rng.normal(size=n).round(6)
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-df.a))).astype(int)
    df.to_csv(folder / "d.csv", index=False)
    for suffix in ("gz", "bz2", "xz", "zip"):
        df.to_csv(folder / f"d.csv.{suffix}", index=False)
    # hostile files for the fuzz test
    (folder / "garbage.csv").write_bytes(bytes(range(256)) * 4)
    (folder / "plain.csv.gz").write_text("y,a\n0,1\n1,2\n")
    (folder / "empty.csv").write_text("")
    (folder / "deep.json").write_text('{"a": ' * 50_000)
    (folder / "text.json").write_text('{"format": "newtonlogit-model"}')
    out = run(
        "fit", str(folder / "d.csv"), "--target", "y", "--format", "csv",
        "--save", str(folder / "m.json"),
    )  # fmt: skip
    return folder, _coefficients(out)


@pytest.fixture(scope="module")
def folder(files):
    return files[0]


def _coefficients(out) -> pd.Series:
    assert out.returncode == 0, out.stderr
    return pd.read_csv(io.StringIO(out.stdout), index_col="term")["coef"]


def _refused(out, message: str) -> None:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert re.search(message, lines[0]), lines[0]


@pytest.mark.parametrize("suffix", ["gz", "bz2", "zip"])  # xz: predict below
def test_compressed_csv_is_read(files, suffix):
    folder, plain = files
    packed = run(
        "fit", str(folder / f"d.csv.{suffix}"), "--target", "y", "--format", "csv"
    )
    pd.testing.assert_series_equal(_coefficients(packed), plain)


def test_predict_reads_and_writes_compressed_files(folder, tmp_path):
    out = run(
        "predict",
        str(folder / "m.json"),
        str(folder / "d.csv.xz"),
        "-o",
        str(tmp_path / "p.csv.gz"),
    )
    assert out.returncode == 0, out.stderr
    with gzip.open(tmp_path / "p.csv.gz", "rt") as handle:
        written = pd.read_csv(handle)
    assert list(written.columns) == ["y", "a", "c", "probability", "predicted_class"]
    assert written.shape[0] == 150 and written.probability.between(0, 1).all()


def test_a_damaged_archive_is_refused(tmp_path):
    path = tmp_path / "d.csv.gz"
    path.write_bytes(gzip.compress(b"y,a\n0,1\n1,2\n")[:-12])
    _refused(
        run("fit", str(path), "--target", "y"), r"d.csv.gz' is not a valid gzip file"
    )


@pytest.mark.parametrize("header_comma", [False, True])
def test_rows_ending_in_a_comma_are_not_shifted(files, tmp_path, header_comma):
    folder, plain = files
    lines = (folder / "d.csv").read_text().splitlines()
    header, rows = (
        lines[0] + ("," if header_comma else ""),
        [r + "," for r in lines[1:]],
    )
    path = tmp_path / "trailing.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    shifted = run("fit", str(path), "--target", "y", "--format", "csv")
    pd.testing.assert_series_equal(_coefficients(shifted), plain)


def test_rows_longer_than_the_header_are_refused(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text("y,a\n0,1,5\n1,2,6\n0,3,7\n")
    _refused(run("fit", str(path), "--target", "y"), r"more fields than the header")


def test_a_column_named_intercept_is_refused(folder, tmp_path):
    # the formula forms (with and without 0 +) are tested on the API
    frame = pd.read_csv(folder / "d.csv").rename(columns={"c": "Intercept"})
    frame.to_csv(tmp_path / "i.csv", index=False)
    out = run("fit", str(tmp_path / "i.csv"), "--target", "y")
    _refused(out, r"column named 'Intercept'")


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ a + I(__import__('pathlib').Path('{0}').touch())",
        "I(__import__('pathlib').Path('{0}').touch()) ~ a",
    ],
)
def test_a_command_line_formula_runs_no_code(folder, tmp_path, formula):
    sentinel = tmp_path / "ran"
    out = run(
        "fit",
        str(folder / "d.csv"),
        "--formula",
        formula.format(sentinel),
        "--save",
        str(tmp_path / "m.json"),
    )
    _refused(out, r"formula expression .* more than a model file or the command line")
    assert not sentinel.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--save", "/nonexistent/m.json"], r"folder '/nonexistent' not found"),
        (["--save", "{tmp}"], r"it is a folder"),
        (["--save", "/sys/m.json"], r"^newtonlogit: error: /sys/m.json: "),
        (["--plot", "{tmp}/nope/p.png"], r"folder .*nope' not found"),
        (["--plot", "{tmp}/p.pdf"], r"give a .png file name"),
        (["--save", "{tmp}/OUT"], r"must name different files"),
        (["--save", "{data}"], r"\.csv' is an input of the command"),
        (["--formula", "y ~ a + I(a.clip(0))"], r"a.clip"),
    ],
)
def test_a_failing_fit_writes_no_file(folder, tmp_path, extra, message):
    model = [] if "--formula" in extra or "--target" in extra else ["--target", "y"]
    data = tmp_path.parent / f"{tmp_path.name}.csv"
    data.write_bytes((folder / "d.csv").read_bytes())
    args = [x.format(tmp=tmp_path, data=data) for x in extra]
    out = run("fit", str(data), *model, *args, "-o", str(tmp_path / "OUT"))
    _refused(out, message)
    assert list(tmp_path.iterdir()) == []  # no OUT, no temporary file
    assert data.read_bytes() == (folder / "d.csv").read_bytes()


def test_a_fit_writes_all_its_files(folder, tmp_path):
    out = run(
        "fit", str(folder / "d.csv"), "--target", "y", "-o", str(tmp_path / "s.txt"),
        "--save", str(tmp_path / "m.json"), "--plot", str(tmp_path / "p.png"),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "p.png", "s.txt"]
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Logistic regression" in (tmp_path / "s.txt").read_text()


@pytest.mark.parametrize(
    "columns, extra, message",
    [
        ("y,a,c,probability", [], r"\['probability'\] have the names of output"),
        ("a,c,lower", ["--interval"], r"\['lower'\]"),
        (
            "a,c",
            ["--threshold", "1.5"],
            r"--threshold must be between 0 and 1; got 1.5",
        ),
        ("a,c", ["-o", "{tmp}/out.xlsx"], r"unknown file type"),
    ],
)
def test_predict_refuses_clashes_and_bad_options(
    folder, tmp_path, columns, extra, message
):
    frame = pd.read_csv(folder / "d.csv").assign(
        probability=0.5, predicted_class=1, lower=0
    )
    frame[columns.split(",")].to_csv(tmp_path / "new.csv", index=False)
    args = [x.format(tmp=tmp_path) for x in extra]
    _refused(
        run("predict", str(folder / "m.json"), str(tmp_path / "new.csv"), *args),
        message,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.csv"]


def test_predict_with_keys_keeps_a_clashing_input_out(folder, tmp_path):
    frame = pd.read_csv(folder / "d.csv").assign(probability=0.5)
    frame.to_csv(tmp_path / "new.csv", index=False)
    out = run(
        "predict", str(folder / "m.json"), str(tmp_path / "new.csv"), "--key", "a"
    )
    assert out.returncode == 0, out.stderr
    written = pd.read_csv(io.StringIO(out.stdout))
    assert list(written.columns) == ["a", "probability", "predicted_class"]
    assert not np.allclose(written.probability, 0.5)


def test_predict_on_missing_values_does_not_propose_an_option_it_lacks(
    folder, tmp_path
):
    (tmp_path / "na.csv").write_text("a,c\n1,2\n,3\n")
    out = run("predict", str(folder / "m.json"), str(tmp_path / "na.csv"))
    _refused(out, r"missing values .* drop those rows before predicting")
    assert "missing=" not in out.stderr


def test_nested_model_file_is_one_line(tmp_path):
    (tmp_path / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    for command in ("summary", "predict"):
        args = [command, str(tmp_path / "deep.json")] + (
            ["x.csv"] if command == "predict" else []
        )
        _refused(run(*args), r"nested deeper than 32 levels")


ARGUMENTS = st.sampled_from(
    [
        "{d}", "{f}/garbage.csv", "{f}/plain.csv.gz", "{f}/empty.csv",
        "{f}/deep.json", "{f}/text.json", "{f}/d.csv.zip", "{tmp}/none.csv",
        "{tmp}", "{tmp}/x.xlsx", "-", "{tmp}/sub/o.csv",
        "--target", "y", "a", "--features", "a,c", ",", "--formula", "y ~ a",
        "y ~ I(__import__('os'))", "y ~ (a+c)**99", "--save", "{tmp}/m.json",
        "-o", "{tmp}/o.txt", "--plot", "{tmp}/p.png", "{tmp}/p.jpg", "--threshold",
        "2", "-1", "nan", "--level", "--key", "a,a", "--weights", "c", "--groups",
        "--format", "json", "--cov-type", "HC0", "--max-iter", "0", "é",
    ]
)  # fmt: skip


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    command=st.sampled_from(["fit", "predict", "summary"]),
    args=st.lists(ARGUMENTS, max_size=7),
)
def test_any_arguments_give_an_answer_or_one_line(
    folder, tmp_path_factory, command, args
):
    tmp = tmp_path_factory.mktemp("fuzz")
    filled = [a.format(d=folder / "d.csv", f=folder, tmp=tmp) for a in args]
    if command != "fit":
        filled.insert(0, str(folder / "m.json"))
    out = run(command, *filled)
    assert out.returncode in (0, 2), out.stderr
    assert "Traceback" not in out.stderr
    if out.returncode == 2:
        assert len(out.stderr.strip().splitlines()) == 1, out.stderr
        assert list(tmp.iterdir()) == [], "a failed command left a file"
