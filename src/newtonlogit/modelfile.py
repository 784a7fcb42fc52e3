"""Model files: ``res.save("model.json")`` and ``newtonlogit.load("model.json")``.

A model file is one JSON document, never a pickle: loading one runs no code,
and every field is checked before a :class:`LogitResults` is built from it.

Conventions
-----------
- ``format`` is ``"newtonlogit-model"`` and ``schema_version`` an integer;
  a reader refuses versions newer than :data:`SCHEMA_VERSION`.
- Floats are written by ``repr`` (exact round trip); NaN and infinities,
  which JSON lacks, are written as ``null`` (in ``cov`` and ``history``).
- ``checksum`` is the SHA-256 of the canonical JSON (sorted keys, no spaces)
  of the document without it. It catches accidental edits and truncation,
  not a deliberate forger (anyone can recompute it).
- ``training_data`` is a fingerprint of the data the model was fitted on:
  rows used, rows dropped for missing values, and its columns.
- The file is written atomically (see :func:`newtonlogit.files.atomic_write`).
- A formula is Python that formulaic evaluates; one read from a file is first
  checked against a small grammar (:mod:`newtonlogit._safe_formula`), so a
  crafted file cannot run code. Models whose formula falls outside it are
  refused at save time.

A loaded model has ``refit = None``: constrained refits (profile intervals,
LR tests) need the training data, which a model file never holds.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._version import __version__
from .exceptions import ModelFileError
from .files import atomic_write
from .formula import FormulaSpec
from .newton import HISTORY_COLUMNS, NEWTON_PASS, PASS_KINDS
from .results import INTERCEPT, LogitResults
from .separation import Separation

FORMAT = "newtonlogit-model"
SCHEMA_VERSION = 1
# LogitResults fields and where they go; a field not listed here is not saved
# by accident: tests/test_modelfile.py fails until it is placed.
SAVED_FIELDS = (
    "coef_names",
    "coef",
    "cov_array",
    "loglik",
    "converged",
    "n_iter",
    "history_table",
    "feature_names",
    "fit_intercept",
    "aliased",
    "n_obs",
    "penalty",
    "alpha",
    "classes",
    "message",
    "model_spec",
    "n_dropped",
    "cov_type",
    "n_groups",
    "loglik_null",
    "loglik_saturated",
    "margins",
    "fit_notes",
    "separation",
    "penalized_loglik",
    "penalized_loglik_null",
)
NOT_SAVED_FIELDS = ("refit",)  # a link to the training data


def save(results: LogitResults, path: str | os.PathLike) -> None:
    """Write ``results`` to ``path`` as a model file (atomically)."""
    document = to_document(results)
    text = json.dumps(document, indent=1, allow_nan=False) + "\n"
    with atomic_write(path, "w") as handle:
        handle.write(text)


def load(path: str | os.PathLike) -> LogitResults:
    """Read a model file written by :func:`save`, checking it completely.

    Raises
    ------
    ModelFileError
        The file is not JSON (truncated?), not a newtonlogit model, of a newer
        schema, fails its checksum (edited after saving), or has a field of
        the wrong type or shape.
    OSError
        The file cannot be read.
    """
    label = repr(str(path))
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise ModelFileError(
            f"{label} is not a newtonlogit model file: not valid JSON "
            f"(truncated or corrupted?): {exc}"
        ) from None
    return from_document(document, label)


# -- writing -----------------------------------------------------------------
def to_document(results: LogitResults) -> dict:
    """The model file's content as a JSON-ready dict (checksum included)."""
    return envelope(
        results,
        kind="binary-logit",
        model={
            "classes": None if results.classes is None else _labels(results.classes)
        },
        estimates={
            "coef": _floats(results.coef),
            "cov": [_floats(row) for row in results.cov_array],
            "cov_type": results.cov_type,
            "n_groups": int(results.n_groups),
        },
        fit={
            "loglik_null": _float(results.loglik_null),
            "loglik_saturated": _float(results.loglik_saturated),
            "notes": list(results.fit_notes),
            "margins": _margins(results.margins),
            "penalized_loglik": _optional(results.penalized_loglik),
            "penalized_loglik_null": _optional(results.penalized_loglik_null),
            "separation": _separation(results.separation),
        },
        rows=int(results.n_obs),
    )


def envelope(
    results, *, kind: str, model: dict, estimates: dict, fit: dict, rows: int
) -> dict:
    """The document every model kind shares, around that kind's own fields.

    ``model`` and ``fit`` add to the shared sections; ``estimates`` is the
    kind's own. The formula is checked against the safe grammar first, so a
    model that could not be loaded again is never written.
    """
    spec = results.model_spec
    if spec is not None:
        try:
            spec.check_safe()
        except ValueError as exc:
            raise ModelFileError(f"cannot save the model: {exc}") from None
    history = results.history_table
    body = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "newtonlogit_version": __version__,
        "model": {
            "kind": kind,
            "formula": None if spec is None else spec.to_dict(),
            "coef_names": list(results.coef_names),
            "feature_names": list(results.feature_names),
            "fit_intercept": bool(results.fit_intercept),
            "aliased": list(results.aliased),
            "penalty": results.penalty,
            "alpha": float(results.alpha),
            **model,
        },
        "estimates": estimates,
        "fit": {
            "loglik": _float(results.loglik),
            "converged": bool(results.converged),
            "n_iter": int(results.n_iter),
            "message": str(results.message),
            **fit,
            "history": {
                **{
                    column: _floats(history[column].to_numpy(dtype=np.float64))
                    for column in HISTORY_NUMBERS
                },
                "pass": [str(kind) for kind in history["pass"]],
            },
        },
        "training_data": {
            "rows": rows,
            "rows_dropped_missing": int(results.n_dropped),
            "columns": list(results.feature_names),
        },
    }
    return {**body, "checksum": checksum(body)}


def _margins(margins) -> dict | None:
    if margins is None:
        return None
    return {
        "f_mean": _float(margins.f_mean),
        "grad_f": _floats(margins.grad_f),
        "x_mean": _floats(margins.x_mean),
        "offset_mean": _float(margins.offset_mean),
    }


def _optional(x) -> float | None:
    return None if x is None else _float(x)


def _separation(found) -> dict | None:
    if found is None:
        return None
    return {"kind": found.kind, "directions": _floats(found.directions)}


def checksum(body: Mapping) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _float(x) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _floats(values) -> list:
    return [_float(v) for v in np.asarray(values, dtype=np.float64).ravel()]


def _labels(classes) -> list:
    labels = [c.item() if isinstance(c, np.generic) else c for c in classes]
    for c in labels:
        if not isinstance(c, (str, int, float, bool)):
            raise ModelFileError(
                f"class label {c!r} of type {type(c).__name__} cannot be saved"
            )
    return labels


# -- reading -----------------------------------------------------------------
def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def from_document(document: Any, label: str = "model file") -> LogitResults:
    """Check a parsed model file field by field and build the results."""
    _check_envelope(document, label)
    check = _Checker(label)
    model = check.section(document, "model")
    estimates = check.section(document, "estimates")
    fit = check.section(document, "fit")
    training = check.section(document, "training_data")
    if model.get("kind") == "multinomial-logit":
        from . import mnmodelfile

        return mnmodelfile.from_document(check, document)
    if model.get("kind") != "binary-logit":
        raise ModelFileError(f"{label}: unknown model kind {model.get('kind')!r}")
    names, features, aliased, fit_intercept = _names(check, model)
    k = len(names)
    cov = check.floats(estimates, "cov", (k, k))
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=0, equal_nan=True):
        raise ModelFileError(f"{label}: 'cov' is not symmetric")
    spec = model.get("formula")
    values = dict(
        coef_names=tuple(names),
        coef=check.floats(estimates, "coef", (k,), finite=True),
        cov_array=cov,
        loglik=check.floats(fit, "loglik", (), finite=True).item(),
        converged=check.typed(fit, "converged", bool),
        n_iter=check.count(fit, "n_iter"),
        history_table=_history(check, fit),
        feature_names=tuple(features),
        fit_intercept=fit_intercept,
        aliased=tuple(aliased),
        n_obs=check.count(training, "rows"),
        penalty=check.typed(model, "penalty", (str, type(None))),
        alpha=check.floats(model, "alpha", (), finite=True).item(),
        classes=_classes(model, label),
        message=check.typed(fit, "message", str),
        model_spec=None if spec is None else _formula(spec, features, label),
        n_dropped=check.count(training, "rows_dropped_missing"),
    )
    values.update(
        cov_type=_cov_type(check, estimates),
        n_groups=check.count(estimates, "n_groups"),
        loglik_null=check.floats(fit, "loglik_null", ()).item(),
        loglik_saturated=check.floats(fit, "loglik_saturated", ()).item(),
        fit_notes=tuple(check.strings(fit, "notes")),
        margins=_read_margins(check, fit, len(features) + fit_intercept),
        penalized_loglik=_read_optional(check, fit, "penalized_loglik"),
        penalized_loglik_null=_read_optional(check, fit, "penalized_loglik_null"),
        separation=_read_separation(check, fit, features, fit_intercept),
    )
    return LogitResults(**values, refit=None)


def _read_optional(check, fit: Mapping, key: str) -> float | None:
    """A number that only some fits have (absent in older files)."""
    return None if fit.get(key) is None else check.floats(fit, key, ()).item()


def _read_separation(check, fit: Mapping, features, fit_intercept: bool):
    found = fit.get("separation")
    if found is None:
        return None
    if not isinstance(found, dict):
        check.fail("separation", "an object")
    names = [INTERCEPT, *features] if fit_intercept else list(features)
    directions = check.floats(found, "directions", (len(names),))
    known = np.isnan(directions) | np.isin(directions, (-1.0, 0.0, 1.0))
    if not known.all():
        check.fail("directions", "-1, 0, +1 or null")
    kind = check.typed(found, "kind", str)
    return Separation(True, kind, pd.Series(directions, index=names, name="dir"))


def _check_envelope(document: Any, label: str) -> None:
    """Ours, a schema this version reads, and unchanged since it was saved."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{label} is not a newtonlogit model file")
    version = document.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ModelFileError(f"{label} has an invalid schema_version {version!r}")
    if version > SCHEMA_VERSION:
        raise ModelFileError(
            f"{label} was written by a newer newtonlogit (schema {version}; this "
            f"version {__version__} reads schema {SCHEMA_VERSION}): upgrade"
        )
    body = {k: v for k, v in document.items() if k != "checksum"}
    if document.get("checksum") != checksum(body):
        raise ModelFileError(
            f"{label} fails its checksum: it was changed or damaged after it was "
            "saved; refit and save the model again"
        )


def _names(check: _Checker, model: Mapping):
    """coef_names must be Intercept (if fitted) + feature_names - aliased."""
    names = check.names(model, "coef_names")
    features = check.names(model, "feature_names")
    aliased = check.names(model, "aliased")
    fit_intercept = check.typed(model, "fit_intercept", bool)
    expected = (["Intercept"] if fit_intercept else []) + list(features)
    estimated = [n for n in expected if n not in aliased]
    if estimated != list(names) or not set(aliased) <= set(expected):
        raise ModelFileError(
            f"{check.label}: coef_names {names} do not match feature_names, "
            "fit_intercept and aliased"
        )
    return names, features, aliased, fit_intercept


def _cov_type(check: _Checker, estimates: Mapping) -> str:
    from .covariance import COVARIANCE_ESTIMATORS

    cov_type = check.typed(estimates, "cov_type", str)
    if cov_type not in COVARIANCE_ESTIMATORS:
        check.fail("cov_type", f"one of {list(COVARIANCE_ESTIMATORS)}")
    return cov_type


def _read_margins(check: _Checker, fit: Mapping, k_full: int):
    from .fitstats import MarginSums

    if fit.get("margins", "absent") is None:
        return None
    margins = check.section(fit, "margins")
    return MarginSums(
        check.floats(margins, "f_mean", ()).item(),
        check.floats(margins, "grad_f", (k_full,)),
        check.floats(margins, "x_mean", (k_full,)),
        check.floats(margins, "offset_mean", ()).item(),
    )


def _formula(spec, features, label) -> FormulaSpec:
    if not isinstance(spec, dict):
        raise ModelFileError(f"{label}: 'formula' must be an object")
    try:
        parsed = FormulaSpec.from_dict(spec)  # checks the formula is safe to run
    except ValueError as exc:
        raise ModelFileError(f"{label}: {exc}") from None
    if list(parsed.columns) != list(features):
        raise ModelFileError(f"{label}: the formula's columns are not feature_names")
    return parsed


HISTORY_NUMBERS = [c for c in HISTORY_COLUMNS if c != "pass"]


def _history(check: _Checker, fit: Mapping) -> pd.DataFrame:
    """The fit's history; files written before the column ``pass`` existed
    lack it, and every row of theirs evaluated the information."""
    table = check.section(fit, "history")
    if set(table) - {"pass"} != set(HISTORY_NUMBERS):
        raise ModelFileError(
            f"{check.label}: 'history' must have the columns {HISTORY_COLUMNS}"
        )
    n = len(table["iteration"]) if isinstance(table["iteration"], list) else -1
    columns = {c: check.floats(table, c, (n,)) for c in HISTORY_NUMBERS}
    iteration = columns["iteration"]
    if not np.array_equal(iteration, np.arange(n)):
        raise ModelFileError(f"{check.label}: 'history' iterations are not 0..{n - 1}")
    columns["iteration"] = iteration.astype(np.int64)
    kinds = table.get("pass", [NEWTON_PASS] * n)
    if (
        not isinstance(kinds, list)
        or len(kinds) != n
        or any(k not in PASS_KINDS for k in kinds)
    ):
        check.fail("pass", f"{n} of {list(PASS_KINDS)}")
    columns["pass"] = kinds
    return pd.DataFrame(columns, columns=HISTORY_COLUMNS).astype({"pass": str})


def _classes(model: Mapping, label: str):
    classes = model.get("classes", "absent")
    if classes is None:
        return None
    ok = isinstance(classes, list) and len(classes) == 2
    if not ok or not all(isinstance(c, (str, int, float, bool)) for c in classes):
        raise ModelFileError(f"{label}: 'classes' must be null or two labels")
    return tuple(classes)


class _Checker:
    """Field readers that raise a ModelFileError naming the file and field."""

    def __init__(self, label: str):
        self.label = label

    def fail(self, key: str, what: str):
        raise ModelFileError(f"{self.label}: {key!r} must be {what}")

    def section(self, d: Mapping, key: str) -> dict:
        value = d.get(key)
        if not isinstance(value, dict):
            self.fail(key, "an object")
        return value

    def typed(self, d: Mapping, key: str, kind):
        if key not in d:
            raise ModelFileError(f"{self.label}: field {key!r} is missing")
        value = d[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if not isinstance(value, kinds) or (
            bool not in kinds and isinstance(value, bool)
        ):
            self.fail(key, " or ".join(k.__name__ for k in kinds))
        return value

    def strings(self, d: Mapping, key: str) -> list[str]:
        value = self.typed(d, key, list)
        if not all(isinstance(v, str) for v in value):
            self.fail(key, "a list of strings")
        return value

    def count(self, d: Mapping, key: str) -> int:
        value = self.typed(d, key, int)
        if value < 0:
            self.fail(key, "a non-negative integer")
        return value

    def names(self, d: Mapping, key: str) -> list[str]:
        value = self.typed(d, key, list)
        if not all(isinstance(v, str) for v in value) or len(set(value)) != len(value):
            self.fail(key, "a list of distinct strings")
        return value

    def floats(self, d: Mapping, key: str, shape, finite: bool = False):
        value = d.get(key, "absent")
        ok = value is not None or shape != ()
        try:
            arr = np.array(value, dtype=np.float64) if ok else np.array(np.nan)
        except (TypeError, ValueError):
            self.fail(key, f"numbers of shape {shape}")
        if _has_bool(value) or arr.shape != tuple(shape):
            self.fail(key, f"numbers of shape {shape}")
        if finite and not np.isfinite(arr).all():
            self.fail(key, "finite numbers")
        return arr


def _has_bool(value) -> bool:
    if isinstance(value, bool) or isinstance(value, str):
        return True
    if isinstance(value, list):
        return any(_has_bool(v) for v in value)
    return False


__all__ = ["FORMAT", "SCHEMA_VERSION", "load", "save"]
