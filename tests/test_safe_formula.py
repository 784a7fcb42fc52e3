"""What a formula may run and compute: the grammar model files and the command
line share, and the formula checks every fit makes."""

import time

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl
from newtonlogit.data.formula import check_formula
from newtonlogit.data.safe_formula import MAX_TERM_WORK
from newtonlogit.exceptions import DataError


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 200
    df = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "Intercept": rng.normal(size=n),
            "c": rng.normal(size=n),
            "g": rng.choice(["u", "v"], n),
        }
    )
    eta = 0.8 * df.a + 0.5 * df.Intercept
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
    return df


@pytest.mark.parametrize(
    "formula",
    ["y ~ a + Intercept + c", "y ~ 0 + a + Intercept + c", "y ~ a + Q('Intercept')"],
)
def test_a_data_column_named_intercept_is_refused(data, formula):
    # formulaic would silently take the constant for the column
    with pytest.raises(DataError, match="column named 'Intercept'.*rename"):
        nl.logit(formula, data=data)


def test_a_renamed_intercept_column_fits_as_a_column(data):
    res = nl.logit("y ~ a + b + c", data=data.rename(columns={"Intercept": "b"}))
    assert list(res.params.index) == ["Intercept", "a", "b", "c"]
    assert res.params["b"] > 0.2  # the real effect (0.5), not a duplicate constant


UNSAFE = {
    "import": ("y ~ a + I(__import__('os').system('true'))", r"__import__"),
    "open": ("y ~ a + I(len(open('/etc/passwd').read()))", r"'len'|'open'"),
    "builtin as a value": ("y ~ a + I(min([1], key=print))", r"'print'.*not a data"),
    "eval as a value": ("y ~ a + I(max(a, key=eval))", r"'eval'"),
    "integer power": (
        "y ~ a + I(a * 9 ** 9 ** 9)",
        r"arithmetic without a data column",
    ),
    "integer picked": ("y ~ I([9, a][0] ** 999999999)", r"list repeated"),
    "integer from data": ("y ~ a + I(9 ** round(min(a)))", r"without a data column"),
    "integer branch": ("y ~ I((9 if True else a) ** 99999999)", r"without a data"),
    "builtin pow": (
        "y ~ a + I(pow(9, 387420489) * a)",
        r"arithmetic without a data column",
    ),
    "text repeated": ("y ~ a + I(a * len('x' * 10 ** 10))", r"'len'|repeated"),
    "list repeated": ("y ~ a + C(g, levels=['u'] * 100)", r"repeated"),
    "text formatted": ("y ~ a + C('%099999999d' % a)", r"repeated"),
    "attribute": ("y ~ a + I(a.__class__)", r"__class__"),
    "keyword state": ("y ~ a + poly(a, 2, _state={})", r"'_state'"),
    "response": ("I(__import__('os').getpid()) ~ a", r"__import__"),
    "term expansion": ("y ~ (a + c + g + a:c + a:g + c:g + y)**12", r"too many terms"),
}


@pytest.mark.parametrize("case", list(UNSAFE))
def test_unsafe_formulas_are_refused_before_anything_runs(data, case):
    formula, message = UNSAFE[case]
    start = time.perf_counter()
    with pytest.raises(DataError, match=message):
        check_formula(formula, data.columns)
    assert time.perf_counter() - start < 2


@pytest.mark.parametrize(
    "formula",
    [
        "y ~ a + I(a ** 2) + np.log(np.abs(c) + 1) + center(c) + C(g)",
        "y ~ a * c + I((a > 0) * c) + np.where(g == 'u', 1, 0)",
        "y ~ a + I(c * np.pi / 180) + I(2.0 ** 0.5 * a * c) + pow(a, 2)",
        "y ~ poly(a, 2) + bs(c, df=3) + C(g, contr.treatment('v'))",
        "y ~ (a + c + g)**2",
    ],
)
def test_ordinary_formulas_pass_and_save(data, formula, tmp_path):
    check_formula(formula, data.columns)
    res = nl.logit(formula, data=data.drop(columns="Intercept"))
    res.save(tmp_path / "m.json")
    loaded = nl.load(tmp_path / "m.json")
    np.testing.assert_array_equal(loaded.predict(data), res.predict(data))


def test_text_columns_are_not_repeated(data):
    """``g * 10**9`` on a text column would build strings of 10**9 characters."""
    with pytest.raises(DataError, match="column 'g' holds .* arithmetic"):
        nl.logit("y ~ a + C(g * 1000000000)", data=data.drop(columns="Intercept"))


def test_the_term_expansion_bound_is_estimated_before_the_expansion():
    names = " + ".join(f"x{i}" for i in range(12))
    start = time.perf_counter()
    with pytest.raises(DataError, match=f"more than {MAX_TERM_WORK:,}"):
        nl.logit(f"y ~ ({names})**12", data={"y": [0, 1]})
    assert time.perf_counter() - start < 2  # formulaic alone: hours


def test_the_api_docstrings_say_what_a_formula_runs():
    for doc in (nl.logit.__doc__, nl.mnlogit.__doc__):
        assert "eval" in doc and "model file" in doc
