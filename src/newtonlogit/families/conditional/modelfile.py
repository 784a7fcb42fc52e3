"""Model files of conditional fits (``kind: "conditional-logit"``): the shared
envelope of :mod:`newtonlogit.files.modelfile`, plus the method, the counts of
rows, cases and strata, and the covariance type."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ...exceptions import ModelFileError
from ...files.modelfile import (
    ModelKind,
    _Checker,
    _float,
    _floats,
    _formula,
    _history,
    _names,
    envelope,
    register_kind,
)
from .kernels import METHODS
from .results import COV_TYPES, ConditionalResults

KIND = "conditional-logit"


def to_document(results: ConditionalResults) -> dict:
    return envelope(
        results,
        kind=KIND,
        model={"method": results.method},
        estimates={
            "coef": _floats(results.coef),
            "cov": [_floats(row) for row in results.cov_array],
            "cov_type": results.cov_type,
            "n_groups": int(results.n_groups),
        },
        fit={
            "loglik_null": _float(results.loglik_null),
            "events": int(results.n_events),
            "strata": int(results.n_strata),
            "informative_strata": int(results.n_informative),
            "penalized_loglik": None
            if results.penalized_loglik is None
            else _float(results.penalized_loglik),
            "notes": list(results.notes_of_fit()),
        },
        rows=int(results.n_obs),
    )


def from_document(check: _Checker, document: Mapping) -> ConditionalResults:
    label = check.label
    model = check.section(document, "model")
    estimates = check.section(document, "estimates")
    fit = check.section(document, "fit")
    training = check.section(document, "training_data")
    names, features, aliased, fit_intercept = _names(check, model)
    if fit_intercept:
        raise ModelFileError(f"{label}: a conditional model has no intercept")
    method = check.typed(model, "method", str)
    if method not in METHODS:
        raise ModelFileError(f"{label}: 'method' must be one of {METHODS}")
    k = len(names)
    cov = check.floats(estimates, "cov", (k, k))
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=0, equal_nan=True):
        raise ModelFileError(f"{label}: 'cov' is not symmetric")
    penalty = check.typed(model, "penalty", (str, type(None)))
    if penalty not in (None, "firth"):
        raise ModelFileError(f"{label}: unknown penalty {penalty!r}")
    penalized = None
    if penalty is not None:
        penalized = check.floats(fit, "penalized_loglik", (), finite=True).item()
    spec = model.get("formula")
    return ConditionalResults(
        coef_names=tuple(names),
        coef=check.floats(estimates, "coef", (k,), finite=True),
        cov_array=cov,
        loglik=check.floats(fit, "loglik", (), finite=True).item(),
        loglik_null=check.floats(fit, "loglik_null", (), finite=True).item(),
        converged=check.typed(fit, "converged", bool),
        n_iter=check.count(fit, "n_iter"),
        history_table=_history(check, fit),
        feature_names=tuple(features),
        method=method,
        aliased=tuple(aliased),
        n_obs=check.count(training, "rows"),
        n_events=check.count(fit, "events"),
        n_strata=check.count(fit, "strata"),
        n_informative=check.count(fit, "informative_strata"),
        message=check.typed(fit, "message", str),
        penalty=penalty,
        penalized_loglik=penalized,
        cov_type=_cov_type(check, estimates),
        n_groups=check.count(estimates, "n_groups"),
        fit_notes=tuple(check.strings(fit, "notes")),
        model_spec=None if spec is None else _formula(spec, features, label),
        n_dropped=check.count(training, "rows_dropped_missing"),
        refit=None,
    )


def _cov_type(check: _Checker, estimates: Mapping) -> str:
    value = check.typed(estimates, "cov_type", str)
    if value not in COV_TYPES:
        check.fail("cov_type", f"one of {COV_TYPES}")
    return value


register_kind(ModelKind(KIND, ConditionalResults, to_document, from_document))
