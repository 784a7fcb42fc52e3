"""The convergence certificate a steered fit deferred (``newton(certify=False)``).

A caller that needs only the estimate now (the scikit-learn estimator, which
predicts) lets the fit stop at a score pass; the pass that evaluates the
information at the estimate, which certifies it and gives the covariance,
runs here when the results are wanted.
"""

from __future__ import annotations

from dataclasses import replace

from scipy import linalg

from .newton import (
    NewtonResult,
    SingularInformation,
    _factor,
    _history,
    _result,
    newton,
    value_scale,
)
from .steering import CERTIFICATE, NEWTON_PASS


def certify(objective, fit: NewtonResult, **options) -> NewtonResult:
    """The certificate a fit with ``certify=False`` deferred: the information
    evaluated at its estimate (one more history row, at the same iteration,
    step 0). Where the exact decrement is below the bound, the fit is
    returned with it; where not, Newton-Raphson goes on from there (the
    ``options`` of :func:`newton`: ``tol``, ``max_iter``...), its rows
    appended, and the estimate moves."""
    if fit.certified:
        return fit
    evaluation = objective(fit.beta, True)
    rows = fit.history.to_dict("records")
    row = dict(rows[-1], max_change=0.0, step=0.0)
    try:
        cho = _factor(evaluation)
    except SingularInformation:
        cho = ()
    if cho:
        row["decrement"] = float(
            evaluation.score @ linalg.cho_solve(cho, evaluation.score)
        )
    row.update(loglik=evaluation.value)
    row["pass"] = NEWTON_PASS
    certificate = CERTIFICATE * options.get("tol", 1e-8) ** 2 * value_scale(evaluation)
    if cho and row["decrement"] / 2 <= certificate:
        return _result(
            fit.beta, evaluation, True, fit.n_iter, [*rows, row], fit.message, cho
        )
    more = newton(objective, fit.beta, first=evaluation, **options)
    offset = fit.n_iter
    extra = more.history.to_dict("records")
    for r in extra:
        r["iteration"] += offset
    return replace(more, n_iter=more.n_iter + offset, history=_history([*rows, *extra]))
