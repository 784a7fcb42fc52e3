"""The model-file format: ``res.save("model.json")``, ``nl.load("model.json")``.

A model file is one JSON document, never a pickle: loading one runs no code,
and every field is checked before a results object is built from it.

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
- The file is written atomically (see :func:`newtonlogit.files.tables.atomic_write`).
- A formula is Python that formulaic evaluates; one read from a file is first
  checked against a small grammar (:mod:`newtonlogit.data.safe_formula`), so a
  crafted file cannot run code. Models whose formula falls outside it are
  refused at save time.

- ``model.kind`` names the model family. This module knows the envelope shared
  by every kind; each family registers its own fields with
  :func:`register_kind` (its ``modelfile`` module), and :func:`load` finds the
  reader by the kind.

A loaded model has ``refit = None``: constrained refits (profile intervals,
LR tests) need the training data, which a model file never holds.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._version import __version__
from ..data.formula import FormulaSpec
from ..exceptions import ModelFileError
from ..solver.newton import HISTORY_COLUMNS
from ..solver.steering import NEWTON_PASS, PASS_KINDS
from .tables import atomic_write

FORMAT = "newtonlogit-model"


SCHEMA_VERSION = 1
MAX_DEPTH = 32  # deeper than any model file's JSON (formula state included)


@dataclass(frozen=True)
class ModelKind:
    """How one model family is written and read: ``to_document(results)``
    returns the whole document (see :func:`envelope`), ``from_document(check,
    document)`` builds the results from a document whose envelope passed."""

    kind: str
    results_type: type
    to_document: Callable[[Any], dict]
    from_document: Callable[[Any, Mapping], Any]


_KINDS: dict[str, ModelKind] = {}


def register_kind(kind: ModelKind) -> None:
    """Make :func:`save` write, and :func:`load` read, models of this kind."""
    _KINDS[kind.kind] = kind


def _kind_of(results) -> ModelKind:
    for kind in _KINDS.values():
        if type(results) is kind.results_type:
            return kind
    raise TypeError(f"no model-file kind is registered for {type(results).__name__}")


def save(results, path: str | os.PathLike) -> None:
    """Write ``results`` to ``path`` as a model file (atomically)."""
    text = dumps(results)
    with atomic_write(path, "w") as handle:
        handle.write(text)


def dumps(results) -> str:
    """The model file of ``results`` (of any registered kind) as text."""
    return json.dumps(to_document(results), indent=1, allow_nan=False) + "\n"


def load(path: str | os.PathLike):
    """Read a model file written by :func:`save`, checking it completely.

    Raises
    ------
    ModelFileError
        The file is not JSON (truncated?), not a newtonlogit model, of a newer
        schema, fails its checksum (edited after saving), or has a field of
        the wrong type or shape.
    OSError
        The file cannot be read.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 2))
    >>> y = rng.random(100) < 1 / (1 + np.exp(-X[:, 0]))
    >>> res = nl.logit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> res.save(path)
    >>> model = nl.load(path)
    >>> model.params.equals(res.params)
    True
    >>> model.predict(X[:3]).round(3)
    array([0.453, 0.557, 0.34 ])
    """
    label = repr(str(path))
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        document = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        raise ModelFileError(
            f"{label} is not a newtonlogit model file: not valid JSON "
            f"(truncated or corrupted?): {_one_line(exc)}"
        ) from None
    except RecursionError:
        raise ModelFileError(_too_deep(label)) from None
    return from_document(document, label)


def to_document(results) -> dict:
    """The model file's content as a JSON-ready dict (checksum included)."""
    return _kind_of(results).to_document(results)


def from_document(document: Any, label: str = "model file"):
    """Check a parsed model file's envelope and build the results of its kind."""
    _check_depth(document, label)
    _check_envelope(document, label)
    check = _Checker(label)
    model = check.section(document, "model")
    for section in ("estimates", "fit", "training_data"):
        check.section(document, section)
    name = model.get("kind")
    kind = _KINDS.get(name) if isinstance(name, str) else None
    if kind is None:
        raise ModelFileError(f"{label}: unknown model kind {model.get('kind')!r}")
    return kind.from_document(check, document)


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


def _check_depth(document: Any, label: str) -> None:
    """Refuse nesting deeper than any model file has, before anything recurses
    into the document (the checksum, the field checks, NumPy)."""
    stack = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ModelFileError(_too_deep(label))
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _too_deep(label: str) -> str:
    return (
        f"{label} is not a newtonlogit model file: its JSON is nested deeper "
        f"than {MAX_DEPTH} levels"
    )


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


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


__all__ = ["FORMAT", "SCHEMA_VERSION", "ModelKind", "load", "register_kind", "save"]
