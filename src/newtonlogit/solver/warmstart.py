"""A warm start for big fits: a few Newton steps on a random subsample of rows.

From the intercept-only start a fit takes 4-8 passes over all of ``X``. The
maximum-likelihood estimate of a random subsample of ``m`` rows is within
sampling error ``O(sqrt(p / m))`` of the full-data estimate, close enough for
Newton's quadratic convergence to finish in two full-data steps plus the final
evaluation, while the subsample fit itself costs about ``6 m / n`` passes.

The subsample's information at its estimate, scaled up to all rows, is
within ``O(sqrt(p / m))`` relative of the information at the full-data
estimate. It steers the full-data steps (:func:`newtonlogit.newton.newton`
with ``held``), whose passes need only the value and score (no ``O(n p^2)``
Gram); the information is evaluated where the steering stops paying and
always at the estimate, whose exact decrement certifies convergence. On
1,000,000 x 100 the fit evaluates the information once instead of three
times, with eight score passes.

Where the start is already closer to the full-data estimate than the
subsample's estimate would be (:func:`start_is_closer`), the subsample is only
evaluated at the start, for its information.

The subsample is gathered once (``m x p``, at most ``1 / SUBSAMPLE_FRACTION``
of ``X``), fitted, and released before the full-data passes start. Anything
that goes wrong on the subsample (too few events or non-events, a singular
information matrix, no convergence) quietly falls back to the ordinary start: the
warm start may only ever save time, never change the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import partial

import numpy as np
from scipy.linalg import cho_solve

from .newton import SingularInformation, cholesky, newton
from .objective import Ridge
from .steering import NEWTON_PASS

# Rows per subsample: one in SUBSAMPLE_FRACTION, but at least MIN_ROWS_PER_COEF
# rows per coefficient; skipped when that would be more than MAX_SHARE of n
# (the subsample would then cost more than the full passes it saves). A fixed
# share of n, not a fixed number of rows: the full-data Newton decrement at the
# subsample's estimate grows like p n / m, so with m a share of n it stays
# near 10 p whatever n is. Capping m at 500 rows per coefficient was tried:
# at 4,000,000 x 10, 10,000 rows instead of 200,000 left 3 full steps instead
# of 2 (1.53 s against 1.24 s a fit).
SUBSAMPLE_FRACTION = 20
MIN_ROWS_PER_COEF = 50
MIN_ROWS = 10_000
MAX_SHARE = 0.1
MIN_OUTCOMES_PER_COEF = 10
# Without a subsample, steps are still steered (by the start's information)
# where a score pass costs at most this share of a Newton pass, on at least
# this many rows (see steers_from_start).
START_SCORE_COST = 0.1
START_MIN_ROWS = 50_000
# The subsample's MLE is itself O(sqrt(p / m)) from the full-data one (a
# Newton decrement of order p in the subsample's units), so its fit stops at a
# decrement of 1e-3: one Newton step fewer than 1e-6, and the same full-data
# steps after it (measured at 1,000,000 x 100, 2,000,000 x 10, 300,000 x 50).
SUBSAMPLE_TOL = 1e-3
# ... or sooner, at the first iterate whose decrement is at most this (in
# units of the mean case weight): plain Newton's test of convergence needs one
# more pass after it. At 1,000,000 x 100 the subsample's decrements were
# 8304, 199, 0.82, 2e-5: three passes instead of four, the full-data
# decrement at the start 1704 either way.
SUBSAMPLE_DECREMENT = 1.0
CLOSE_ENOUGH = "close enough for a warm start"


def steers_from_start(backend) -> bool:
    """Whether a fit without a subsample (too few rows per coefficient for
    one) should still steer its steps, by the information at the start,
    from score passes: where they cost at most ``START_SCORE_COST`` of a
    Newton pass (many columns) on at least ``START_MIN_ROWS`` rows.

    At 100,000 x 1,000 (a score pass 0.03 of a Newton pass) exact Newton
    takes five Newton passes from the start, with decrements 1.8e4, 590,
    4.5, 3e-4; steered, the first is the only exact pass before the
    certificate's, and the rest are score passes and one steering pass.
    """
    cost = getattr(backend, "score_pass_cost", None)
    return (
        cost is not None
        and cost <= START_SCORE_COST
        and (backend.n_rows >= START_MIN_ROWS)
    )


def subsample_rows(n_rows: int, n_coef: int) -> int | None:
    """How many rows to subsample for a warm start, or ``None`` to skip it."""
    m = max(n_rows // SUBSAMPLE_FRACTION, MIN_ROWS_PER_COEF * n_coef, MIN_ROWS)
    return m if m <= MAX_SHARE * n_rows else None


def stratified_rows(n_rows: int, m: int, seed: int = 0) -> np.ndarray:
    """``m`` distinct sorted row numbers: one drawn uniformly from each of ``m``
    consecutive, near-equal runs of rows.

    A random sample as good as a simple one for a warm start (and balanced
    over the row order), drawn in O(m): NumPy's ``choice`` without
    replacement shuffles O(n) state, 60 ms at n = 10^7 against 9 ms here.
    """
    edges = np.arange(m + 1, dtype=np.int64) * n_rows // m
    rng = np.random.default_rng(seed)
    return edges[:-1] + (rng.random(m) * np.diff(edges)).astype(np.int64)


def case_control_rows(design, m: int, n_coef: int, seed: int = 0):
    """``(rows, scale)``: every row of the rarer outcome and a stratified
    sample of the others, ``m`` rows in all, with the inverse sampling rate of
    each (1 for the rarer outcome); or ``None`` where that does not apply.

    For rare events a uniform subsample holds too few of them for a fit. With
    each row weighted by its inverse sampling rate, the subsample's
    log-likelihood, score and information estimate the full-data ones
    (Horvitz-Thompson), so its estimate and its information (with no further
    scaling: the weighted trials add up to all of them) serve the warm start
    as a uniform subsample's do. Binary rows held as NumPy arrays only.
    """
    y = design.y
    if design.trials is not None or not isinstance(y, np.ndarray):
        return None
    rare = 1.0 if 2 * np.count_nonzero(y) < y.size else 0.0
    rarer = np.flatnonzero(y == rare)
    if rarer.size < MIN_OUTCOMES_PER_COEF * n_coef or 2 * rarer.size > m:
        return None
    others = np.flatnonzero(y != rare)
    taken = others[stratified_rows(others.size, m - rarer.size, seed)]
    rows = np.concatenate([rarer, taken])
    order = np.argsort(rows, kind="stable")
    scale = np.ones(rows.size)
    scale[rarer.size :] = others.size / taken.size
    return rows[order], scale[order]


def sampled_rows(backend, m: int, seed: int = 0) -> np.ndarray:
    """``m`` stratified rows (:func:`stratified_rows`) of the backend's
    sampling frame, or of all its rows where it has none."""
    frame = getattr(backend, "sampling_frame", lambda m, seed: None)(m, seed)
    if frame is None:
        return stratified_rows(backend.n_rows, m, seed)
    return frame[stratified_rows(frame.size, m, seed)]


@dataclass(frozen=True)
class WarmStart:
    """A subsample's estimate, and its information scaled to all rows."""

    beta: np.ndarray
    info: np.ndarray


def subsample_start(
    likelihood, beta0: np.ndarray, *, seed: int = 0, ridge=None
) -> WarmStart | None:
    """The fit of a random subsample of rows (or the start, with the
    subsample's information there, where the start is closer), or ``None``
    where neither helps.

    ``likelihood`` is a family's likelihood: a dataclass whose ``backend``
    field holds the data; the same likelihood over the subsample replaces
    that field. The backend must offer ``subsample(rows)`` (a backend over
    those rows); backends without it get ``None``. The rows are drawn from
    the backend's ``sampling_frame(m, seed)`` where it has one (the rows it
    reads cheaply: a few partitions of streamed Dask data), else from all
    rows. ``ridge = (alpha,
    penalized)`` fits the L2-penalized likelihood
    (:class:`~newtonlogit.solver.objective.Ridge`): the subsample's penalty is
    ``alpha`` times its share of the trials, so that its information scaled
    to all rows is the penalized full-data one.
    """
    backend = likelihood.backend
    m = subsample_rows(backend.n_rows, beta0.shape[0])
    if m is None or not hasattr(backend, "subsample"):
        return None
    sub = backend.subsample(sampled_rows(backend, m, seed))
    counts = outcome_counts(likelihood, sub.design)
    unit = getattr(likelihood, "unit", 1.0)  # (the mean case weight)
    # (every outcome but one has its own coefficients: all k of them for two)
    needed = MIN_OUTCOMES_PER_COEF * beta0.shape[0] / (counts.size - 1) * unit
    if counts.min() < needed:
        # rare events: the uniform subsample's MLE is unreliable or infinite
        drawn = None
        if counts.size == 2:  # (binomial rows: every event, a sample of the rest)
            drawn = case_control_rows(backend.design, m, beta0.shape[0], seed)
        if drawn is None:
            return None
        sub = backend.subsample(*drawn)
    _, trials = sub.design.outcome_totals()
    likelihood = replace(likelihood, backend=sub)
    _, all_trials = backend.design.outcome_totals()
    share = trials / all_trials
    if ridge is not None:  # the same penalty on a share of the data
        alpha, penalized = ridge
        likelihood = Ridge(likelihood, alpha * share, penalized)
    try:
        at_start = likelihood(beta0, True)
        decrement = at_start.score @ cho_solve(cholesky(at_start.info), at_start.score)
        # the information is a sum over trials: scale by their (weighted) totals
        if start_is_closer(decrement / unit, beta0.size, share):
            return WarmStart(np.array(beta0, dtype=np.float64), at_start.info / share)
        fit = newton(
            likelihood,
            beta0,
            tol=SUBSAMPLE_TOL,
            max_iter=25,
            first=at_start,
            monitor=partial(_close_enough, SUBSAMPLE_DECREMENT * unit),
        )
    except (SingularInformation, FloatingPointError, ValueError):
        return None
    finished = fit.converged or fit.message == CLOSE_ENOUGH
    if not finished or not np.all(np.isfinite(fit.beta)):
        return None
    return WarmStart(np.array(fit.beta), fit.evaluation.info / share)


def _close_enough(bound, event, beta, evaluation, rows) -> str | None:
    """A :func:`newton` monitor stopping the subsample's fit at an iterate
    whose exact decrement is at most ``bound`` (``CLOSE_ENOUGH``)."""
    if event != "iteration" or not rows:
        return None
    last = rows[-1]
    close = last["pass"] == NEWTON_PASS and last["decrement"] <= bound
    return CLOSE_ENOUGH if close else None


def outcome_counts(likelihood, design) -> np.ndarray:
    """The (weighted) count of each outcome in ``design``: the likelihood's
    ``outcome_counts`` where it has one (K classes), else failures and
    successes of the binomial trials."""
    counts = getattr(likelihood, "outcome_counts", None)
    if counts is not None:
        return np.asarray(counts(design), dtype=np.float64)
    events, trials = design.outcome_totals()
    return np.array([trials - events, events])


def start_is_closer(decrement: float, n_coef: int, share: float) -> bool:
    """Whether the start is predicted nearer the full-data estimate than the
    subsample's estimate would be, from the subsample's Newton decrement at
    the start.

    Decrements are in log-likelihood units (per unit of the mean case
    weight: the caller divides by it). The subsample's estimate differs
    from the full-data one by sampling error: its expected full-data
    decrement is ``k (1 / share - 1)`` for ``k`` coefficients and a subsample
    holding ``share`` of the trials. The subsample's decrement at the start
    is about ``share`` times the full-data one plus the same sampling noise,
    ``k (1 - share)``. So the subsample fit helps only if that decrement
    exceeds ``2 k (1 - share)``: with many coefficients and a weak signal
    (1,000,000 x 2,000 one-hot, 50 rows per coefficient) the start is the
    better of the two, and the fit starting there took one full pass fewer.
    """
    return decrement <= 2.0 * n_coef * (1.0 - share)
