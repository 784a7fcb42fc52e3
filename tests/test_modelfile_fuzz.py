"""Hostile model files: mutated and adversarial documents are refused fast,
with a ModelFileError (or another ValueError), and nothing in them runs.

The checksum is resealed after every edit (anyone can recompute it), so the
edits reach the field checks and the formula grammar."""

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import newtonlogit as nl
from newtonlogit.files import modelfile

SENTINEL = "hostile-model-ran"
# formulas a crafted file may carry, each of which once ran code, hung or
# exhausted memory when the model predicted
ADVERSARIAL_RHS = [
    f"1 + x + I(__import__('pathlib').Path('{SENTINEL}').touch())",
    f"1 + x + I(open('{SENTINEL}', 'w'))",
    "1 + x + I(min([1], key=print))",
    "1 + x + I(max(x, key=exec))",
    "1 + x + I(x ** 9 ** 9 ** 9)",
    "1 + x + I(x * pow(10, 10 ** 10))",
    "1 + x + I(pow(9, 387420489))",
    "1 + x + C(g, levels=['p'] * 1000000000)",
    "1 + x + I('%0999999999d' % x)",
    "1 + x + C(g * 1000000000)",
    "1 + x + poly(x, 100000000)",
    "1 + x + bs(z, df=100000000)",
    "1 + x + hashed(g, levels=1000000000)",
    "1 + (x + z + g + x:z + x:g + z:g + poly(z, 2))**12",
    "1 + x + I(x.__class__.__subclasses__())",
    "1 + x + I((lambda: print('ran'))())",
    "1 + x + poly(x, 2, _state={'x': 1})",
    "1 + x + " + "(" * 500 + "x" + ")" * 500,
    "1 + " + " + ".join(["x"] * 3000),
]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(17)
    n = 120
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.uniform(1, 4, n),
            "g": rng.choice(list("pqr"), n),
        }
    )
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-df.x))).astype(int)
    return df


@pytest.fixture(scope="module")
def document(data) -> dict:
    return modelfile.to_document(nl.logit("y ~ x + poly(z, 2) + C(g)", data=data))


def _sealed(document: dict) -> dict:
    body = {k: v for k, v in document.items() if k != "checksum"}
    return {**body, "checksum": modelfile.checksum(body)}


def _read_and_use(document, data, folder: Path):
    """Load a document from a file and predict with it; the answer or a
    ValueError, in bounded time, with nothing run."""
    path = folder / "m.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    start = time.perf_counter()
    try:
        model = nl.load(path)
        model.summary()
        model.predict(data)
    except ValueError:
        pass
    assert time.perf_counter() - start < 5
    assert not (folder / SENTINEL).exists() and not Path(SENTINEL).exists()


@pytest.mark.parametrize("rhs", ADVERSARIAL_RHS)
def test_adversarial_formulas_are_refused_fast(document, data, tmp_path, rhs, capsys):
    edited = json.loads(json.dumps(document))
    edited["model"]["formula"]["rhs"] = rhs
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_sealed(edited)))
    start = time.perf_counter()
    with pytest.raises(ValueError):
        nl.load(path).predict(data)
    assert time.perf_counter() - start < 5
    assert not (tmp_path / SENTINEL).exists() and not Path(SENTINEL).exists()
    assert capsys.readouterr().out == ""  # min(..., key=print) printed nothing


@pytest.mark.parametrize("depth", [40, 5_000, 200_000])
def test_deeply_nested_json_is_refused_in_one_line(document, tmp_path, depth):
    path = tmp_path / "m.json"
    path.write_text("[" * depth + "]" * depth)
    with pytest.raises(nl.ModelFileError, match="nested deeper than 32"):
        nl.load(path)
    edited = json.loads(json.dumps(document))
    edited["fit"]["notes"] = [] if depth > 900 else _nested(depth)
    edited["model"]["formula"]["transform_state"] = _nested(min(depth, 900))
    path.write_text(json.dumps(_sealed(edited)))
    with pytest.raises(nl.ModelFileError, match="nested deeper than 32"):
        nl.load(path)


def _nested(depth: int):
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, (*prefix, i))


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, 10**6), JSON | st.sampled_from(ADVERSARIAL_RHS)),
        min_size=1,
        max_size=3,
    ),
    reseal=st.booleans(),
)
def test_mutated_model_files_are_refused_or_read(
    document, data, tmp_path, edits, reseal
):
    edited = json.loads(json.dumps(document))
    for pick, value in edits:
        paths = [p for p in _paths(edited) if p and p[0] != "checksum"]
        *parents, last = paths[pick % len(paths)]
        target = edited
        for key in parents:
            target = target[key]
        target[last] = value
    _read_and_use(_sealed(edited) if reseal else edited, data, tmp_path)


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(0, 10**6), junk=st.binary(min_size=1, max_size=40))
def test_truncated_or_spliced_files_are_refused(
    document, data, tmp_path_factory, cut, junk
):
    text = json.dumps(document).encode()
    at = cut % len(text)
    folder = tmp_path_factory.mktemp("spliced")
    path = folder / "m.json"
    spliced = text[:at] + junk + text[at + len(junk) :]
    assume(not _same_document(spliced, document))  # e.g. a space made a tab
    path.write_bytes(spliced)
    with pytest.raises(ValueError):  # the checksum or the parser refuses it
        nl.load(path)


def test_a_failed_save_names_the_target_not_a_temporary_file(document, data):
    model = nl.logit("y ~ x + poly(z, 2) + C(g)", data=data)
    with pytest.raises(OSError) as caught:
        model.save("/sys/m.json")  # a folder no one may create files in
    assert caught.value.filename == "/sys/m.json"
    assert ".tmp" not in str(caught.value)


@pytest.mark.parametrize("kind", [[], {}, None, 1, "binary"])
def test_a_model_kind_of_another_type_is_refused(document, tmp_path, kind):
    edited = json.loads(json.dumps(document))
    edited["model"]["kind"] = kind
    (tmp_path / "m.json").write_text(json.dumps(_sealed(edited)))
    with pytest.raises(nl.ModelFileError, match="unknown model kind"):
        nl.load(tmp_path / "m.json")


def _same_document(raw: bytes, document) -> bool:
    """Whether ``raw`` still parses to ``document`` (whitespace changed only)."""
    try:
        return json.loads(raw) == document
    except ValueError:
        return False
