"""Model files of multinomial fits (``kind: "multinomial-logit"``).

The same envelope, checksum and field checks as :mod:`newtonlogit.files.modelfile`
(whose ``load`` finds this reader by the model kind); only the model's content
differs: ``coef`` is ``(K - 1, k)``, ``classes`` lists all ``K`` labels and
``base`` is one of them.
"""

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
    _labels,
    _names,
    envelope,
    register_kind,
)
from .results import MNLogitResults

KIND = "multinomial-logit"


def to_document(results) -> dict:
    return envelope(
        results,
        kind=KIND,
        model={
            "classes": _labels(results.classes),
            "base": _labels([results.base])[0],
        },
        estimates={
            "coef": [_floats(row) for row in results.coef],
            "cov": [_floats(row) for row in results.cov_array],
        },
        fit={
            "loglik_null": _float(results.loglik_null),
            "observations": _float(results.n_obs),
            "notes": list(results.notes_of_fit()),
        },
        rows=int(results.n_rows),
    )


def from_document(check: _Checker, document: Mapping):
    """The results of a checked envelope whose model kind is ours."""
    label = check.label
    model = check.section(document, "model")
    estimates = check.section(document, "estimates")
    fit = check.section(document, "fit")
    training = check.section(document, "training_data")
    names, features, aliased, fit_intercept = _names(check, model)
    classes = model.get("classes")
    if (
        not isinstance(classes, list)
        or len(classes) < 2
        or not all(isinstance(c, (str, int, float)) for c in classes)
        or len(set(classes)) != len(classes)
    ):
        raise ModelFileError(f"{label}: 'classes' must be two or more distinct labels")
    base = model.get("base")
    if base not in classes or isinstance(base, bool):
        raise ModelFileError(f"{label}: 'base' must be one of the classes")
    k, K1 = len(names), len(classes) - 1
    cov = check.floats(estimates, "cov", (K1 * k, K1 * k))
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=0, equal_nan=True):
        raise ModelFileError(f"{label}: 'cov' is not symmetric")
    spec = model.get("formula")
    return MNLogitResults(
        coef_names=tuple(names),
        coef=check.floats(estimates, "coef", (K1, k), finite=True),
        cov_array=cov,
        loglik=check.floats(fit, "loglik", (), finite=True).item(),
        loglik_null=check.floats(fit, "loglik_null", (), finite=True).item(),
        converged=check.typed(fit, "converged", bool),
        n_iter=check.count(fit, "n_iter"),
        history_table=_history(check, fit),
        feature_names=tuple(features),
        fit_intercept=fit_intercept,
        classes=tuple(classes),
        base=base,
        aliased=tuple(aliased),
        n_obs=check.floats(fit, "observations", (), finite=True).item(),
        n_rows=check.count(training, "rows"),
        penalty=check.typed(model, "penalty", (str, type(None))),
        alpha=check.floats(model, "alpha", (), finite=True).item(),
        message=check.typed(fit, "message", str),
        fit_notes=tuple(check.strings(fit, "notes")),
        model_spec=None if spec is None else _formula(spec, features, label),
        n_dropped=check.count(training, "rows_dropped_missing"),
        refit=None,
    )


register_kind(ModelKind(KIND, MNLogitResults, to_document, from_document))
