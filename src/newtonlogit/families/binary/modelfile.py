"""Model files of binary fits (``kind: "binary-logit"``): the fields of a
:class:`~newtonlogit.LogitResults` inside the shared envelope of
:mod:`newtonlogit.files.modelfile`, registered there by kind."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ...data.checks import INTERCEPT
from ...exceptions import ModelFileError
from ...files.modelfile import (
    ModelKind,
    _Checker,
    _float,
    _floats,
    _formula,
    _history,
    _labels,
    _names,
    envelope,
    register_kind,
)
from ...inference.covariance import COVARIANCE_ESTIMATORS
from .fitstats import MarginSums
from .results import LogitResults
from .separation import Separation

KIND = "binary-logit"


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


# a link to the training data; how the fit read them
NOT_SAVED_FIELDS = ("refit", "passes")


# -- writing -----------------------------------------------------------------
def to_document(results: LogitResults) -> dict:
    """The model file's content as a JSON-ready dict (checksum included)."""
    return envelope(
        results,
        kind=KIND,
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


def from_document(check: _Checker, document: Mapping) -> LogitResults:
    """The results of a checked envelope whose model kind is ours."""
    label = check.label
    model = check.section(document, "model")
    estimates = check.section(document, "estimates")
    fit = check.section(document, "fit")
    training = check.section(document, "training_data")
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


def _cov_type(check: _Checker, estimates: Mapping) -> str:
    cov_type = check.typed(estimates, "cov_type", str)
    if cov_type not in COVARIANCE_ESTIMATORS:
        check.fail("cov_type", f"one of {list(COVARIANCE_ESTIMATORS)}")
    return cov_type


def _read_margins(check: _Checker, fit: Mapping, k_full: int):
    if fit.get("margins", "absent") is None:
        return None
    margins = check.section(fit, "margins")
    return MarginSums(
        check.floats(margins, "f_mean", ()).item(),
        check.floats(margins, "grad_f", (k_full,)),
        check.floats(margins, "x_mean", (k_full,)),
        check.floats(margins, "offset_mean", ()).item(),
    )


def _classes(model: Mapping, label: str):
    classes = model.get("classes", "absent")
    if classes is None:
        return None
    ok = isinstance(classes, list) and len(classes) == 2
    if not ok or not all(isinstance(c, (str, int, float, bool)) for c in classes):
        raise ModelFileError(f"{label}: 'classes' must be null or two labels")
    return tuple(classes)


register_kind(ModelKind(KIND, LogitResults, to_document, from_document))
