"""Model files of ordinal fits (``kind: "ordinal-logit"``).

The shared envelope, checksum and field checks of
:mod:`newtonlogit.files.modelfile`; the model adds its ``levels`` (lowest
first), ``coef_names`` are the thresholds ``"a|b"`` then the estimated
columns, and the sums behind marginal effects are kept (numbers, no data).
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
    envelope,
    register_kind,
)
from .results import OLogitResults

KIND = "ordinal-logit"
COV_TYPES = ("nonrobust", "HC0", "HC1", "cluster")


def to_document(results) -> dict:
    margins = results.margins
    return envelope(
        results,
        kind=KIND,
        model={"levels": _labels(results.levels)},
        estimates={
            "coef": _floats(results.coef),
            "cov": [_floats(row) for row in results.cov_array],
            "cov_type": results.cov_type,
            "n_groups": int(results.n_groups),
        },
        fit={
            "loglik_null": _float(results.loglik_null),
            "observations": _float(results.n_obs),
            "notes": list(results.notes_of_fit()),
            "margins": None
            if margins is None
            else {
                "x_mean": _floats(margins["x_mean"]),
                "offset_mean": _float(margins["offset_mean"]),
                "density": _floats(margins["density"]),
                "slope": _floats(margins["slope"]),
                "slope_x": [_floats(row) for row in margins["slope_x"]],
            },
        },
        rows=int(results.n_rows),
    )


def _levels(check: _Checker, model: Mapping) -> tuple:
    levels = model.get("levels")
    if (
        not isinstance(levels, list)
        or len(levels) < 2
        or not all(
            isinstance(c, (str, int, float)) and not isinstance(c, bool) for c in levels
        )
        or len(set(levels)) != len(levels)
    ):
        raise ModelFileError(f"{check.label}: 'levels' must be two or more labels")
    return tuple(levels)


def _margins(check: _Checker, fit: Mapping, n_cuts: int, p: int):
    margins = fit.get("margins")
    if margins is None:
        return None
    if not isinstance(margins, dict):
        check.fail("margins", "an object or null")
    return {
        "x_mean": check.floats(margins, "x_mean", (p,), finite=True),
        "offset_mean": check.floats(margins, "offset_mean", (), finite=True).item(),
        "density": check.floats(margins, "density", (n_cuts,), finite=True),
        "slope": check.floats(margins, "slope", (n_cuts,), finite=True),
        "slope_x": check.floats(margins, "slope_x", (n_cuts, p), finite=True),
    }


def from_document(check: _Checker, document: Mapping):
    """The results of a checked envelope whose model kind is ours."""
    from .fit import threshold_names

    label = check.label
    model = check.section(document, "model")
    estimates = check.section(document, "estimates")
    fit = check.section(document, "fit")
    training = check.section(document, "training_data")
    levels = _levels(check, model)
    names = check.names(model, "coef_names")
    features = check.names(model, "feature_names")
    aliased = check.names(model, "aliased")
    expected = threshold_names(levels) + [f for f in features if f not in aliased]
    if names != expected or not set(aliased) <= set(features):
        raise ModelFileError(
            f"{label}: coef_names {names} do not match levels, feature_names "
            "and aliased"
        )
    k = len(names)
    cov = check.floats(estimates, "cov", (k, k))
    if not np.allclose(cov, cov.T, rtol=1e-10, atol=0, equal_nan=True):
        raise ModelFileError(f"{label}: 'cov' is not symmetric")
    cov_type = check.typed(estimates, "cov_type", str)
    if cov_type not in COV_TYPES:
        check.fail("cov_type", f"one of {COV_TYPES}")
    spec = model.get("formula")
    return OLogitResults(
        coef_names=tuple(names),
        coef=check.floats(estimates, "coef", (k,), finite=True),
        cov_array=cov,
        loglik=check.floats(fit, "loglik", (), finite=True).item(),
        loglik_null=check.floats(fit, "loglik_null", (), finite=True).item(),
        converged=check.typed(fit, "converged", bool),
        n_iter=check.count(fit, "n_iter"),
        history_table=_history(check, fit),
        feature_names=tuple(features),
        levels=levels,
        aliased=tuple(aliased),
        n_obs=check.floats(fit, "observations", (), finite=True).item(),
        n_rows=check.count(training, "rows"),
        cov_type=cov_type,
        n_groups=check.count(estimates, "n_groups"),
        message=check.typed(fit, "message", str),
        margins=_margins(check, fit, len(levels) - 1, len(features)),
        fit_notes=tuple(check.strings(fit, "notes")),
        model_spec=None if spec is None else _formula(spec, features, label),
        n_dropped=check.count(training, "rows_dropped_missing"),
        refit=None,
    )


register_kind(ModelKind(KIND, OLogitResults, to_document, from_document))
