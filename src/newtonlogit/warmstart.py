"""A warm start for big fits: a few Newton steps on a random subsample of rows.

From the intercept-only start a fit takes 4-8 passes over all of ``X``. The
maximum-likelihood estimate of a random subsample of ``m`` rows is within
sampling error ``O(sqrt(p / m))`` of the full-data estimate, close enough for
Newton's quadratic convergence to finish in two full-data steps plus the final
evaluation, while the subsample fit itself costs about ``6 m / n`` passes.

The subsample is gathered once (``m x p``, at most ``1 / SUBSAMPLE_FRACTION``
of ``X``), fitted, and released before the full-data passes start. Anything
that goes wrong on the subsample (too few events or non-events, a singular
information matrix, no convergence) quietly falls back to the ordinary start: the
warm start may only ever save time, never change the answer.
"""

from __future__ import annotations

import numpy as np

from .newton import SingularInformation, newton
from .objective import LogLikelihood

# Rows per subsample: one in SUBSAMPLE_FRACTION, but at least MIN_ROWS_PER_COEF
# rows per coefficient; skipped when that would be more than MAX_SHARE of n
# (the subsample would then cost more than the full passes it saves).
SUBSAMPLE_FRACTION = 20
MIN_ROWS_PER_COEF = 50
MIN_ROWS = 10_000
MAX_SHARE = 0.1
MIN_OUTCOMES_PER_COEF = 10


def subsample_rows(n_rows: int, n_coef: int) -> int | None:
    """How many rows to subsample for a warm start, or ``None`` to skip it."""
    m = max(n_rows // SUBSAMPLE_FRACTION, MIN_ROWS_PER_COEF * n_coef, MIN_ROWS)
    return m if m <= MAX_SHARE * n_rows else None


def subsample_start(
    backend, fit_intercept: bool, beta0: np.ndarray, *, seed: int = 0
) -> np.ndarray:
    """Coefficients fitted on a random subsample, or ``beta0`` if that fails.

    ``backend`` must offer ``subsample(rows)`` (a backend over those rows);
    backends without it get ``beta0`` back unchanged.
    """
    m = subsample_rows(backend.n_rows, beta0.shape[0])
    if m is None or not hasattr(backend, "subsample"):
        return beta0
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(backend.n_rows, size=m, replace=False))
    sub = backend.subsample(rows)
    events, trials = sub.design.outcome_totals()
    if min(events, trials - events) < MIN_OUTCOMES_PER_COEF * beta0.shape[0]:
        return beta0  # rare events: the subsample's MLE is unreliable or infinite
    likelihood = LogLikelihood(sub, fit_intercept)
    try:
        fit = newton(likelihood, beta0, tol=1e-6, max_iter=25)
    except (SingularInformation, FloatingPointError, ValueError):
        return beta0
    if not fit.converged or not np.all(np.isfinite(fit.beta)):
        return beta0
    return np.array(fit.beta)
