"""Model files: exact round trips, and refusal of anything not ours or edited."""

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest

import newtonlogit as nl
from newtonlogit.families.binary import modelfile as binary_modelfile
from newtonlogit.files import modelfile

from .conftest import make_logit_data


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    n = 300
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "z": rng.uniform(1, 4, n),
            "g": rng.choice(list("pqr"), n),
        }
    )
    eta = 0.5 * df.x - 0.3 * df.z + (df.g == "q")
    df["y"] = np.where(rng.random(n) < 1 / (1 + np.exp(-eta)), "event", "none")
    return df


@pytest.fixture(scope="module")
def fitted(data):
    return nl.logit("y ~ x + poly(z, 2) + C(g)", data=data)


def _roundtrip(res, tmp_path):
    path = tmp_path / "model.json"
    res.save(path)
    return nl.load(path), path


def test_formula_model_roundtrip_is_exact(fitted, data, tmp_path):
    loaded, path = _roundtrip(fitted, tmp_path)
    assert np.array_equal(loaded.coef, fitted.coef)
    assert np.array_equal(loaded.cov_array, fitted.cov_array)
    assert np.array_equal(loaded.predict(data), fitted.predict(data))
    pd.testing.assert_frame_equal(loaded.history, fitted.history)
    assert repr(loaded) == repr(fitted)
    assert str(loaded) == str(fitted)  # the same summary, statistics included
    pd.testing.assert_frame_equal(loaded.marginal_effects(), fitted.marginal_effects())
    pd.testing.assert_frame_equal(
        loaded.predict(data, interval=True), fitted.predict(data, interval=True)
    )
    assert loaded.classes == ("event", "none")
    assert loaded.refit is None and fitted.refit is not None
    document = json.loads(path.read_text())
    assert document["schema_version"] == modelfile.SCHEMA_VERSION
    assert document["newtonlogit_version"] == nl.__version__
    assert document["training_data"] == {
        "rows": 300,
        "rows_dropped_missing": 0,
        "columns": list(fitted.feature_names),
    }
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed


def test_matrix_model_with_aliased_column_roundtrip(tmp_path):
    X, y, _ = make_logit_data(n=200, p=3)
    X = pd.DataFrame(np.column_stack([X, X[:, 0] + X[:, 1]]), columns=list("abcd"))
    with pytest.warns(nl.CollinearityWarning):
        res = nl.logit(X, y, drop_collinear=True)
    loaded, _ = _roundtrip(res, tmp_path)
    assert loaded.aliased == ("d",) and loaded.coef_names == ("Intercept", *"abc")
    assert np.array_equal(loaded.predict(X), res.predict(X))
    assert loaded.model_spec is None
    ridge, _ = _roundtrip(
        nl.logit(X[list("abc")], y, penalty="l2", alpha=0.5), tmp_path
    )
    assert ridge.penalty == "l2" and ridge.alpha == 0.5


def test_robust_covariance_roundtrip(data, tmp_path):
    res = nl.logit("y ~ x + z", data=data, cov_type="HC1")
    loaded, _ = _roundtrip(res, tmp_path)
    assert loaded.cov_type == "HC1" and np.array_equal(loaded.cov_array, res.cov_array)
    assert str(loaded) == str(res) and "HC1" in str(loaded)
    with pytest.raises(ValueError):
        loaded.conf_int(method="profile")  # needs the training data


def test_every_results_field_has_a_place_in_the_file():
    names = {f.name for f in dataclasses.fields(nl.LogitResults)}
    placed = set(binary_modelfile.SAVED_FIELDS) | set(binary_modelfile.NOT_SAVED_FIELDS)
    assert names == placed, "extend families/binary/modelfile.py for the new fields"


def _edited(document, edit):
    document = json.loads(json.dumps(document))
    edit(document)
    return document


def _set(path, value):
    def edit(d):
        *parents, last = path
        for key in parents:
            d = d[key]
        d[last] = value

    return edit


@pytest.mark.parametrize(
    "edit, message",
    [
        (_set(["estimates", "coef", 0], 1.5), r"fails its checksum"),
        (_set(["model", "classes"], ["a", "b"]), r"fails its checksum"),
        (_set(["format"], "something-else"), r"not a newtonlogit model file"),
        (_set(["schema_version"], 99), r"newer newtonlogit \(schema 99"),
    ],
)
def test_tampered_or_foreign_files_refused(fitted, tmp_path, edit, message):
    document = modelfile.to_document(fitted)
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_edited(document, edit)))
    with pytest.raises(nl.ModelFileError, match=message):
        nl.load(path)


def _resealed(document, edit):
    """An edited document with a valid checksum: the field checks must catch it."""
    document = _edited(document, edit)
    body = {k: v for k, v in document.items() if k != "checksum"}
    return {**body, "checksum": modelfile.checksum(body)}


@pytest.mark.parametrize(
    "edit, message",
    [
        (_set(["estimates", "coef"], [1.0, 2.0]), r"'coef' must be numbers of shape"),
        (_set(["estimates", "coef", 1], "1.0"), r"'coef' must be numbers"),
        (_set(["estimates", "coef", 1], None), r"'coef' must be finite"),
        (_set(["estimates", "cov", 0, 1], 123.0), r"'cov' is not symmetric"),
        (_set(["model", "coef_names", 1], "Intercept"), r"distinct strings"),
        (_set(["model", "fit_intercept"], "yes"), r"'fit_intercept' must be bool"),
        (_set(["fit", "n_iter"], -1), r"non-negative"),
        (_set(["estimates", "cov_type"], "HC9"), r"'cov_type' must be one of"),
        (_set(["fit", "margins", "grad_f"], [1.0]), r"'grad_f' must be numbers"),
        (_set(["fit", "notes"], [1]), r"'notes' must be a list of strings"),
        (_set(["fit", "converged"], 1), r"'converged' must be bool"),
        (_set(["model", "classes"], ["a"]), r"'classes' must be null or two"),
        (_set(["model", "kind"], "multinomial"), r"unknown model kind"),
        (_set(["model", "formula", "rhs"], "1 + x +"), r"cannot parse formula"),
        (_set(["model", "formula", "columns"], ["x"]), r"formula's columns"),
        (_set(["fit", "history", "iteration", 0], 5.0), r"iterations are not"),
        (_set(["model", "feature_names"], ["x"]), r"do not match feature_names"),
        (lambda d: d["fit"].pop("loglik"), r"'loglik' must be numbers"),
        (lambda d: d.pop("estimates"), r"'estimates' must be an object"),
    ],
)
def test_malformed_fields_refused(fitted, tmp_path, edit, message):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_resealed(modelfile.to_document(fitted), edit)))
    with pytest.raises(nl.ModelFileError, match=message):
        nl.load(path)


@pytest.mark.parametrize(
    "content, message",
    [
        (lambda text: text[: len(text) // 2], r"not valid JSON \(truncated"),
        (lambda text: "", r"not valid JSON"),
        (lambda text: "[1, 2]", r"not a newtonlogit model file"),
        (lambda text: text.replace("-0.", "NaN", 1), r"not valid JSON"),
        (lambda text: "\x89PNG\r\n", r"not valid JSON"),
    ],
)
def test_truncated_and_foreign_content_refused(fitted, tmp_path, content, message):
    path = tmp_path / "m.json"
    fitted.save(path)
    path.write_text(content(path.read_text()))
    with pytest.raises(nl.ModelFileError, match=message):
        nl.load(path)


def test_interrupted_write_leaves_the_old_file(fitted, tmp_path):
    from newtonlogit.files.tables import atomic_write

    path = tmp_path / "m.json"
    fitted.save(path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError), atomic_write(path) as handle:
        handle.write('{"format": "newtonlogit-model", "sche')
        raise RuntimeError("killed mid-write")
    assert path.read_bytes() == before and not list(tmp_path.glob(".*.tmp"))
    nl.load(path)


@pytest.mark.parametrize(
    "rhs, what",
    [
        ("1 + x + I(__import__('os').getpid())", r"__import__"),
        ("1 + x + I(open('/etc/passwd'))", r"'open'"),
        ("1 + x + np.savetxt('f', x)", r"np.savetxt"),
        ("1 + x + I(x.__class__)", r"__class__"),
        ("1 + x + I((lambda: 1)())", r"Lambda|computed"),
        ("1 + x + I([v for v in x])", r"ListComp"),
    ],
)
def test_model_file_formula_cannot_run_code(fitted, tmp_path, rhs, what):
    """A crafted formula with a valid checksum is refused before evaluation."""
    document = _resealed(
        modelfile.to_document(fitted), _set(["model", "formula", "rhs"], rhs)
    )
    path = tmp_path / "m.json"
    path.write_text(json.dumps(document))
    with pytest.raises(nl.ModelFileError, match=what):
        nl.load(path)


def test_allowed_formula_functions_save_and_load(data, tmp_path):
    formula = (
        "y ~ np.log(z) + I(x ** 2) + center(x) + abs(x) + "
        "C(g, contr.treatment('q')) + np.where(x > 0, 1, 0) + bs(z, df=3)"
    )
    res = nl.logit(formula, data=data)
    loaded, _ = _roundtrip(res, tmp_path)
    assert np.array_equal(loaded.predict(data), res.predict(data))


def test_unsafe_formula_is_not_saved(data, tmp_path):
    res = nl.logit("y ~ x + I(x.clip(0))", data=data)
    with pytest.raises(nl.ModelFileError, match="x.clip"):
        res.save(tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists()
