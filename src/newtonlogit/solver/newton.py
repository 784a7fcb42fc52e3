"""Damped Newton-Raphson on a concave objective, knowing nothing of the data.

Conventions
-----------
- An *objective* is a callable ``objective(beta, derivatives) -> Evaluation``.
  With ``derivatives=False`` only ``value`` is needed (the cheap pass of a line
  search); with ``True`` also ``score`` (gradient, shape ``(k,)``), ``info``
  (negative Hessian, ``(k, k)``, positive definite at a regular point) and
  ``weight_sum`` (the total IRLS weight, used to put the step cap on the scale
  of the linear predictor). ``unit`` is the scale the case weights give the
  value (their mean): the tolerances are relative to ``|value| + 0.1 unit``,
  so that scaling every weight, which scales the value and its derivatives
  alike, changes no decision of the solver. An objective whose attribute
  ``score_passes`` is true also takes ``derivatives="score"``: the value,
  score and weight sum without the information (``info=None``), a pass that
  reads the data once without the ``O(n k^2)`` Gram. One whose attribute
  ``steer_passes`` is true also takes ``derivatives="steer"``: the value and
  score, with the information computed more cheaply and less exactly
  (``info=None``, ``steering_info`` set: float32 products), which only
  steers steps and is never reported.
- ``beta`` is float64 of shape ``(k,)``; whatever ordering the objective uses.
- The solver keeps its state local to :func:`newton` and returns a frozen
  :class:`NewtonResult` with one history row per evaluated iterate.

Template of one iteration: evaluate (value, score, info) -> Cholesky solve for
the direction -> convergence test -> step cap -> Armijo backtracking.

Steered steps (``held``): the direction is solved with a held approximation of
the information, and the iterates are evaluated by score passes; the
information is evaluated again where the steering stops paying
(:func:`newtonlogit.solver.steering.next_pass`): by a "steer" pass (the
information in reduced precision) where the objective and backend offer a
cheaper one, else by a "newton" pass; it becomes the held one. The
information is evaluated exactly (a "newton" pass) always at the estimate
reported as converged, whose exact decrement is the certificate.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import linalg
from scipy.linalg import lapack

from ..exceptions import ConvergenceWarning, SeparationWarning
from .steering import (
    CERTIFICATE,
    HELD_MARGIN,
    SCORE_PASS_COST,
    STEER_PASS,
    next_pass,
    pass_kind,
)

HISTORY_COLUMNS = ["iteration", "loglik", "max_change", "decrement", "step", "pass"]


@dataclass(frozen=True)
class Evaluation:
    """An objective's value and (optionally) derivatives at one point."""

    value: float
    score: np.ndarray | None = None
    info: np.ndarray | None = None
    weight_sum: float = np.nan
    saturated: float = 0.0  # weight of rows fitted as certain (see _kernels)
    # A positive definite stand-in for ``info`` where ``info`` is not (Firth's
    # exact Hessian away from the maximum: the Fisher information).
    fallback_info: np.ndarray | None = None
    # The information in reduced precision, from a "steer" pass (``info`` is
    # then None): it steers the next steps and is never reported.
    steering_info: np.ndarray | None = None
    # The log-likelihood's sums for marginal effects at this point, where its
    # pass made them (``_kernels.newton_sums``), over the full coefficients.
    margin_parts: np.ndarray | None = None
    # The value's unit: the mean case weight of a row (see the conventions).
    unit: float = 1.0


class SingularInformation(np.linalg.LinAlgError):
    """The information matrix is not positive definite at the current point."""


@dataclass(frozen=True)
class NewtonResult:
    beta: np.ndarray
    evaluation: Evaluation  # at beta, with derivatives
    converged: bool
    n_iter: int
    history: pd.DataFrame
    message: str = ""
    cho: tuple = field(default=(), repr=False)  # Cholesky factor of info at beta
    # False where the fit stopped at a score pass with its certificate
    # deferred (``certify=False``): ``evaluation`` has no information and
    # ``cho`` is the held one until :func:`certify` evaluates it.
    certified: bool = True


def cholesky(info: np.ndarray):
    """Cholesky factor of the information, or :class:`SingularInformation`."""
    try:
        return linalg.cho_factor(info, lower=True, check_finite=True)
    except (linalg.LinAlgError, ValueError) as exc:
        raise SingularInformation(str(exc)) from None


def cho_inverse(cho) -> np.ndarray:
    """The inverse of a matrix from its :func:`cholesky` factor, exactly symmetric.

    LAPACK ``potri``: a third of the work of solving for the identity
    (0.2 s against 0.43 s at k = 2,001 on one thread).
    """
    factor, lower = cho
    inverse, status = lapack.dpotri(factor, lower=lower)
    if status != 0:
        raise SingularInformation(f"dpotri failed ({status})")
    triangle = np.tril(inverse) if lower else np.triu(inverse)
    return triangle + triangle.T - np.diag(np.diag(triangle))


def newton(
    objective: Callable[[np.ndarray, bool], Evaluation],
    beta0: np.ndarray,
    *,
    tol: float = 1e-8,
    max_iter: int = 100,
    step_cap: float = 10.0,
    first: Evaluation | None = None,
    callback: Callable[[dict], None] | None = None,
    monitor: Callable[[str, np.ndarray, Evaluation, list], str | None] | None = None,
    held: np.ndarray | None = None,
    certify: bool = True,
    score_pass_cost: float | None = None,
    steer_pass_cost: float | None = None,
) -> NewtonResult:
    """Maximize ``objective`` by damped Newton-Raphson.

    Parameters
    ----------
    objective : callable
        See the module's conventions.
    beta0 : ndarray
        Starting point.
    tol : float
        Convergence tolerance: relative change of the objective (the deviance)
        and the Newton decrement, both relative to ``|value| + 0.1 unit`` (R's
        ``glm.control`` has ``|value| + 0.1``; ``unit``, the mean case weight,
        makes the test independent of the scale of the weights).
    max_iter : int
        Most Newton steps to take.
    step_cap : float
        Largest root-mean-square change of the linear predictor (weighted by
        the IRLS weights) one step may make; longer steps are shortened.
    first : Evaluation, optional
        The evaluation at ``beta0`` if the caller already has it.
    callback : callable, optional
        Called with each history row (a dict) as soon as it is known.
    monitor : callable, optional
        ``monitor(event, beta, evaluation, rows) -> message or None``, asked
        after each iteration (``event="iteration"``), before convergence is
        declared (``"converged"``) and before a failure is reported
        (``"failed"``). A message stops the fit, *not* converged, with that
        message: the maximum may be at infinity (see
        :class:`newtonlogit.families.binary.separation.SeparationMonitor`).
    held : ndarray, optional
        An approximation of the information at ``beta0`` (a subsample's,
        scaled to all rows: :mod:`newtonlogit.solver.warmstart`). With an
        objective offering score passes, steps are steered by held information
        and iterates evaluated by score passes (see the Notes); ``first`` may
        then be a score pass's evaluation.
    certify : bool
        False defers a steered fit's certificate: the fit stops at a score
        pass whose decrement with the held information is below
        ``HELD_MARGIN`` times the bound, saving the certificate's pass for a
        caller that needs only the estimate now (an estimator that predicts);
        :func:`newtonlogit.solver.certificate.certify` evaluates the
        information there later.
    score_pass_cost : float, optional
        What a score pass costs in passes that also evaluate the information
        (default ``SCORE_PASS_COST``, measured in memory). A backend that
        streams its data gives its own (:class:`DaskBackend`'s streamed
        passes cost the read whatever they compute: 1); at 1 or more a score
        pass saves nothing, and ``held`` is not used.
    steer_pass_cost : float, optional
        What a "steer" pass costs in passes that evaluate the information
        exactly, where the objective offers them (``steer_passes``) and the
        backend computes them cheaper (:class:`NumpyBackend`'s float32 Gram:
        about 0.6); ``None`` or 1 or more: the held information is refreshed
        by exact passes only.

    Notes
    -----
    Convergence is declared at iterate ``k`` when the full Newton step from
    ``k - 1`` predicted a gain ``decrement / 2 <= tol (|value| + 0.1 unit)`` and the
    realised change of the objective was as small. Because Newton converges
    quadratically, the estimate after that last full step is accurate to about
    ``tol`` squared, and the score and information reported are those *at the
    final estimate*. A test on the change of coefficients alone would be a poor
    one: it depends on the scale of each column.
    """
    beta = np.array(beta0, dtype=np.float64)
    cost = SCORE_PASS_COST if score_pass_cost is None else float(score_pass_cost)
    steer = held is not None and bool(getattr(objective, "score_passes", False))
    steer = steer and cost < 1.0
    refresh: bool | str = True  # how a steered fit refreshes its information
    if getattr(objective, "steer_passes", False) and (steer_pass_cost or 1.0) < 1.0:
        refresh = STEER_PASS
    costs = (cost, steer_pass_cost if refresh == STEER_PASS else 1.0)
    held_cho = ()
    if steer:
        try:
            held_cho = cholesky(held)
        except SingularInformation:
            steer = False
    current = first
    if current is None or (current.info is None and not steer):
        current = objective(beta, "score" if steer else True)

    def ask(event: str) -> str | None:
        return None if monitor is None else monitor(event, beta, current, rows)

    def finish(converged, message, cho):
        evaluation = current
        if evaluation.info is None:  # (a steered fit stopped at a score pass)
            evaluation, cho = _evaluated(objective, beta)
        return _result(beta, evaluation, converged, it, rows, message, cho)

    rows: list[dict] = []
    previous_small = False
    change, step = np.nan, np.nan
    cho = ()
    for it in range(max_iter + 1):
        if current.steering_info is not None:
            try:
                held_cho = cholesky(current.steering_info)
            except SingularInformation:  # (float32 rounding): evaluate exactly
                current = objective(beta, True)
        exact = current.info is not None
        if exact:
            try:
                cho = _factor(current)
            except SingularInformation:
                if it == 0:
                    raise
                message = ask("failed") or (
                    "the information matrix became singular "
                    "(fitted probabilities of 0 or 1?)"
                )
                return _result(beta, current, False, it, rows, message, ())
            held_cho = cho
        else:
            cho = held_cho
        direction = linalg.cho_solve(cho, current.score)
        decrement = float(current.score @ direction)
        row = dict(
            iteration=it,
            loglik=current.value,
            max_change=change,
            decrement=decrement,
            step=step,
        )
        row["pass"] = pass_kind(current)
        rows.append(row)
        if callback is not None:
            callback(row)
        message = ask("iteration")
        if message:
            return finish(False, message, cho)
        scale = value_scale(current)
        certificate = CERTIFICATE * tol**2 * scale
        if (
            exact
            and it > 0
            and previous_small
            # (a change below the value's round-off counts as none)
            and abs(rows[-2]["loglik"] - current.value) <= max(tol, 1e-13) * scale
        ) or (steer and exact and decrement / 2 <= certificate):
            return _converged(beta, current, it, rows, cho, ask("converged"))
        if (
            steer
            and not certify
            and not exact
            and decrement / 2 <= HELD_MARGIN * certificate
        ):
            objection = ask("converged")
            if not objection:  # (the certificate is solver.certificate's)
                return replace(
                    _result(beta, current, True, it, rows, "converged", cho),
                    certified=False,
                )
        if it == max_iter:
            break
        step = _step_length(decrement, current.weight_sum, step_cap)
        if not steer:
            mode = True
        elif step < 1.0:  # (far from the estimate: refresh the information)
            mode = refresh
        else:
            mode = next_pass(
                rows, 2 * certificate, certify, costs, refresh, current.unit
            )
        beta_new, new, step = _line_search(
            objective, beta, current, direction, step, mode
        )
        if (
            exact
            and decrement / 2 <= max(tol, 1e-10) * scale
            and (new is None or step < 1.0)
        ):
            # A step predicted to gain less than the tolerance had to be
            # shortened: roundoff in the objective dominates, so this is the
            # optimum (e.g. a warm start at it). Going on would shorten every
            # step forever. (The floor matters for tolerances below 1e-10,
            # Firth's tol**2: its log-determinant is noisier than the
            # log-likelihood when X'WX is ill-conditioned, near separation.)
            return _converged(beta, current, it, rows, cho, ask("converged"))
        if new is None and not exact:
            # the held information misled the step: evaluate it here
            current, change, step = objective(beta, True), 0.0, 0.0
            continue
        if new is None:
            message = ask("failed") or "line search failed to improve the objective"
            return _result(beta, current, False, it, rows, message, cho)
        previous_small = exact and step == 1.0 and decrement / 2 <= tol * scale
        change = float(np.max(np.abs(beta_new - beta), initial=0.0))
        beta, current = beta_new, new
    message = ask("failed") or f"no convergence in {max_iter} iterations"
    return finish(False, message, cho)


def _evaluated(objective, beta):
    """``(evaluation, cho)`` with the information evaluated at ``beta``
    (``cho`` empty where it is singular)."""
    evaluation = objective(beta, True)
    try:
        cho = _factor(evaluation)
    except SingularInformation:
        cho = ()
    return evaluation, cho


def value_scale(evaluation: Evaluation) -> float:
    """``|value| + 0.1 unit``: what the solver's tolerances are relative to."""
    return abs(evaluation.value) + 0.1 * evaluation.unit


def _factor(evaluation: Evaluation):
    """Cholesky factor of ``info``, else of ``fallback_info``."""
    try:
        return cholesky(evaluation.info)
    except SingularInformation:
        if evaluation.fallback_info is None:
            raise
        return cholesky(evaluation.fallback_info)


def _converged(beta, current, it, rows, cho, objection):
    """The converged result, unless the monitor objected."""
    if objection:
        return _result(beta, current, False, it, rows, objection, cho)
    return _result(beta, current, True, it, rows, "converged", cho)


def _step_length(decrement: float, weight_sum: float, step_cap: float) -> float:
    """Initial step length: 1, or shorter when the step would move the linear
    predictor by more than ``step_cap`` in root-mean-square.

    ``decrement = d' I d = sum_i v_i (x_i' d)^2``, so ``decrement / sum(v)`` is
    the IRLS-weighted mean square change of the linear predictor.
    """
    if not np.isfinite(weight_sum) or weight_sum <= 0:
        return 1.0
    rms = np.sqrt(max(decrement, 0.0) / weight_sum)
    return 1.0 if rms <= step_cap else step_cap / rms


def _line_search(
    objective,
    beta,
    current,
    direction,
    step,
    derivatives=True,
    *,
    armijo=1e-4,
    max_halvings=40,
):
    """Armijo backtracking; returns (beta, evaluation with derivatives, step).

    The first trial is evaluated with ``derivatives`` (``True``, or
    ``"score"`` for a steered step), since it is accepted almost always;
    rejected trials are followed by cheap value-only passes, and the accepted
    one then by a pass with the information (a shortened step refreshes a
    steered fit's information). A full
    step whose predicted gain is below the round-off of the objective's value
    is accepted unless it loses more than that round-off: the value cannot
    judge it, and the step is then a tiny one near the maximum (this matters
    for objectives whose "information" is an approximation, such as Firth's,
    which converge linearly and are iterated to tighter tolerances).
    """
    slope = float(current.score @ direction)
    resolution = 1e-13 * value_scale(current)
    trial = beta + step * direction
    new = objective(trial, derivatives)
    if step == 1.0 and slope / 2 < resolution:
        armijo, slope = 1.0, -resolution
    for _ in range(max_halvings):
        if (
            np.isfinite(new.value)
            and new.value >= current.value + armijo * step * slope
        ):
            if new.score is None:
                new = objective(trial, True)
            return trial, new, step
        step /= 2
        trial = beta + step * direction
        new = objective(trial, False)
    return beta, None, 0.0


def _history(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS).astype({"pass": str})


def _result(beta, evaluation, converged, n_iter, rows, message, cho):
    history = _history(rows)
    beta = beta.copy()
    beta.flags.writeable = False
    return NewtonResult(beta, evaluation, converged, n_iter, history, message, cho)


def warn_if_not_converged(fit: NewtonResult, separation, remedy: str) -> None:
    """One warning per fit: separation if found (``remedy`` names the penalty
    that gives finite estimates), else non-convergence."""
    if separation is not None:
        warnings.warn(
            f"{fit.message}; the coefficients are where Newton-Raphson "
            f"stopped. Use {remedy} for finite estimates (see res.separation)",
            SeparationWarning,
            stacklevel=3,
        )
    elif not fit.converged:
        warnings.warn(
            f"Newton-Raphson did not converge: {fit.message}; see res.history",
            ConvergenceWarning,
            stacklevel=3,
        )
