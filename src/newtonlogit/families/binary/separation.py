"""Separation: when the maximum-likelihood estimate does not exist.

A binary logistic regression's log-likelihood has a finite maximum unless the
data are *separated* (Albert and Anderson, 1984): some direction ``d`` of the
coefficients has ``x_i' d >= 0`` on every row with a success and
``x_i' d <= 0`` on every row with a failure, strictly on some rows. Moving the
coefficients along ``d`` then raises the log-likelihood for ever, so the
estimates of the coefficients that ``d`` involves are infinite. The
separation is *complete* when a ``d`` exists with all inequalities strict
(every row is classified without error), *quasi-complete* otherwise.

:func:`check_separation` decides this exactly by Konis's linear program, as
R's ``detectseparation`` does. :class:`SeparationMonitor` watches a Newton fit
for the pattern that separation makes (fitted probabilities reaching 0 or 1,
coefficients moving at a steady pace while the log-likelihood barely
improves) and confirms it with the linear program, so that a separated fit
stops early and is never reported as converged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ...data.design import Design, make_design
from ...solver.newton import Evaluation, value_scale
from ...solver.objective import aliased_columns

# detectseparation's threshold on the linear program's solution: a coefficient
# whose entry in the (box-bounded) separating direction is below it is finite.
TOLERANCE = 1e-3


@dataclass(frozen=True)
class Separation:
    """The outcome of a separation check.

    Attributes
    ----------
    separated : bool
        Whether the maximum-likelihood estimate fails to exist.
    kind : {"complete", "quasi-complete", None}
        Complete: some coefficients classify every row without error.
    directions : Series
        By coefficient name (intercept included): ``+1`` / ``-1`` where the
        estimate runs off to ``+inf`` / ``-inf``, ``0`` where it is finite,
        NaN for aliased columns (left out of the check, as ``detectseparation``
        does).

    Examples
    --------
    A fit on separated data stops with a ``SeparationWarning`` and keeps the
    diagnosis in ``res.separation``:

    >>> import warnings
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [5.0]])
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", nl.SeparationWarning)
    ...     res = nl.logit(X, [0, 0, 1, 1, 1])
    >>> res.converged
    False
    >>> found = res.separation
    >>> found.separated, found.kind
    (True, 'complete')
    >>> found.describe()
    ['Intercept -> -inf', 'x1 -> +inf']
    """

    separated: bool
    kind: str | None
    directions: pd.Series = field(repr=False)

    @property
    def infinite(self) -> list[str]:
        """Names of the coefficients whose estimates are infinite."""
        d = self.directions
        return [str(name) for name in d.index[d.fillna(0) != 0]]

    def __repr__(self) -> str:
        if not self.separated:
            return "<Separation: none; the maximum-likelihood estimate exists>"
        return (
            f"<Separation: {self.kind}; infinite estimates: "
            f"{', '.join(self.describe())}>"
        )

    def describe(self) -> list[str]:
        """``["PSI -> +inf", ...]`` for the infinite coefficients."""
        d = self.directions
        return [f"{name} -> {'+' if d[name] > 0 else '-'}inf" for name in self.infinite]


def separation_note(found: Separation) -> str:
    """The summary's note on a separated fit (the convergence note before it
    already names the infinite coefficients)."""
    if found.kind == "suspected":
        what = (
            "The fit shows the pattern of separation (not checked by the linear "
            "program: the data are not in memory): likely"
        )
    else:
        what = f"The data show {found.kind} separation (checked by a linear program):"
    return (
        f"{what} no finite maximum-likelihood estimate exists. The coefficients "
        "are where Newton-Raphson stopped and their standard errors are meaningless; "
        "penalty='firth' gives finite estimates."
    )


def check_separation(
    X: Any,
    y: Any,
    *,
    weights: Any = None,
    fit_intercept: bool = True,
) -> Separation:
    """Check whether the data are separated (the MLE does not exist).

    Parameters
    ----------
    X, y, weights, fit_intercept
        As for :func:`newtonlogit.logit`; ``y`` may be labels or a two-column
        array of (successes, failures). Rows with zero weight or zero trials
        are ignored.

    Returns
    -------
    Separation

    Notes
    -----
    Konis's linear program (Konis 2007; R's ``detectseparation``): with
    ``s_i = +1`` for a row's successes and ``s_i = -1`` for its failures,

        maximize   sum_i s_i x_i' b
        subject to s_i x_i' b >= 0 for every row,   -1 <= b_j <= 1.

    Its optimum is 0 (at ``b = 0``) exactly when the MLE exists; otherwise its
    solution is a separating direction, and ``b_j`` away from 0 (beyond
    ``1e-3``) marks an infinite estimate of sign ``sign(b_j)``. A grouped row
    with both successes and failures contributes both inequalities, so it
    forces ``x_i' b = 0``. The separation is complete when a second program,
    maximizing ``t`` subject to ``s_i x_i' b >= t`` and the box, has ``t > 0``.
    Solved by HiGHS through :func:`scipy.optimize.linprog`.

    Examples
    --------
    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> nl.check_separation(X, [0, 0, 1, 1])
    <Separation: complete; infinite estimates: Intercept -> -inf, x1 -> +inf>
    >>> nl.check_separation(X, [0, 0, 1, 1]).infinite
    ['Intercept', 'x1']
    >>> nl.check_separation(X, [0, 1, 0, 1])
    <Separation: none; the maximum-likelihood estimate exists>
    """
    design = make_design(X, y, weights=weights, fit_intercept=fit_intercept)
    return separation_of(design)


def separation_of(design: Design, free: np.ndarray | None = None) -> Separation:
    """The separation check on validated in-memory data.

    ``free`` (a mask over the coefficients) leaves out columns already known
    to be aliased; otherwise aliased columns are found here and left out.
    """
    names = design.coef_names
    if free is None:
        free = np.ones(len(names), dtype=bool)
        free[aliased_columns(_gram(design))] = False
    if _overlap_in_sample(design, free):
        direction = np.where(free, 0.0, np.nan)
        return Separation(False, None, pd.Series(direction, index=names, name="dir"))
    signed = _signed_rows(design)
    direction = np.full(len(names), np.nan)
    b, complete = _konis(signed[:, free])
    direction[free] = np.sign(np.where(np.abs(b) < TOLERANCE, 0.0, b))
    separated = bool(np.any(direction[free] != 0))
    kind = None
    if separated:
        kind = "complete" if complete else "quasi-complete"
    return Separation(separated, kind, pd.Series(direction, index=names, name="dir"))


def _gram(design: Design) -> np.ndarray:
    """``X'X`` with the intercept column, for finding aliased columns."""
    X = design.X
    gram = np.asarray(X.T @ X, dtype=np.float64)
    if not design.fit_intercept:
        return gram
    sums = np.asarray(X.sum(axis=0), dtype=np.float64)
    return np.block([[np.array([[X.shape[0]]]), sums[None, :]], [sums[:, None], gram]])


# Rows in the subsample that :func:`_overlap_in_sample` tries first.
SAMPLE_ROWS = 4000


def _overlap_in_sample(design: Design, free: np.ndarray) -> bool:
    """A cheap proof that the data are *not* separated, tried on large data.

    If every-k-th row alone is not separated and its columns have full rank,
    a separating direction of the whole data would have to give ``x_i' d = 0``
    on those rows, hence ``d = 0``: no separation. (If the sample happens to
    be separated, nothing is proved and the full program decides.)
    """
    size = max(SAMPLE_ROWS, 40 * int(free.sum()))
    if design.n_rows <= 2 * size:
        return False
    signed = _signed_rows(design, slice(None, None, design.n_rows // size))[:, free]
    if aliased_columns(signed.T @ signed).size:
        return False
    b, _ = _konis(signed, complete=False)
    return not np.any(np.abs(b) >= TOLERANCE)


def _signed_rows(design: Design, rows: slice = slice(None)) -> np.ndarray:
    """``s_i x_i`` (intercept column first) for every constraint: one per row
    with successes, one per row with failures, none for zero-weight rows.

    The linear program needs this matrix in memory: one copy of (the selected
    rows of) X, which is why the solver runs the check only on suspicion.
    """
    X = np.asarray(design.X[rows], dtype=np.float64)
    if design.fit_intercept:
        X = np.column_stack([np.ones(X.shape[0]), X])
    y = design.y[rows]
    trials = np.ones_like(y) if design.trials is None else design.trials[rows]
    used = trials > 0
    if design.weights is not None:
        used &= design.weights[rows] > 0
    return np.concatenate([X[used & (y > 0)], -X[used & (y < trials)]])


def _konis(signed: np.ndarray, complete: bool = True) -> tuple[np.ndarray, bool]:
    """Solution of Konis's program on ``s_i x_i`` rows, and whether the
    separation is complete."""
    from scipy.optimize import linprog  # only when a check runs

    m, k = signed.shape
    if k == 0:
        return np.zeros(0), False
    # Scaling a column scales its b_j; detectseparation does not rescale, so
    # neither do we: its tolerance on b_j is what the reference numbers use.
    res = linprog(
        -signed.sum(axis=0),
        A_ub=-signed,
        b_ub=np.zeros(m),
        bounds=[(-1.0, 1.0)] * k,
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"separation linear program failed: {res.message}")
    b = res.x
    if not complete or not np.any(np.abs(b) >= TOLERANCE):
        return b, False
    # Complete separation: some b has s_i x_i' b >= t > 0 on every row.
    # Variables (b, t); maximize t.
    c = np.zeros(k + 1)
    c[-1] = -1.0
    A = np.column_stack([-signed, np.ones(m)])
    res2 = linprog(
        c,
        A_ub=A,
        b_ub=np.zeros(m),
        bounds=[(-1.0, 1.0)] * k + [(0.0, 1.0)],
        method="highs",
    )
    complete = res2.status == 0 and -res2.fun > 1e-9
    return b, complete


def unbounded_sides(design: Design, free: np.ndarray) -> np.ndarray:
    """Where the log-likelihood of separated data never turns, per coefficient.

    Returns a ``(m, 2)`` bool array over the ``m`` free coefficients: whether
    the profile likelihood of each stays at its supremum towards ``-inf``
    (column 0) and ``+inf`` (column 1). See :func:`recession_sides`.
    """
    return recession_sides(_signed_rows(design)[:, free])


def recession_sides(rows) -> np.ndarray:
    """For each coefficient j, whether some direction ``d`` with ``rows @ d >=
    0`` has ``d_j < 0`` (column 0) or ``d_j > 0`` (column 1).

    ``rows`` holds one constraint ``a_r' d >= 0`` per row (``s_i x_i`` for a
    binary fit): directions along which no observation's likelihood falls.
    Moving the estimate along such a ``d`` never lowers the log-likelihood, so
    the profile of ``b_j`` stays at the maximum on that side and its limit is
    infinite. Where no such ``d`` exists the log-likelihood falls to ``-inf``
    as ``b_j`` goes that way, and the limit is finite. One linear program per
    side (HiGHS, box ``-1 <= d <= 1``, the threshold of :data:`TOLERANCE`),
    after the sides that a first direction already shows.
    """
    from scipy.optimize import linprog  # only when a check runs

    m, k = rows.shape
    sides = np.zeros((k, 2), dtype=bool)
    bounds = [(-1.0, 1.0)] * k
    for j in range(k):
        for side, sign in ((0, -1.0), (1, 1.0)):
            if sides[j, side]:
                continue
            c = np.zeros(k)
            c[j] = -sign
            res = linprog(c, A_ub=-rows, b_ub=np.zeros(m), bounds=bounds)
            if res.status != 0:
                raise RuntimeError(f"separation linear program failed: {res.message}")
            # the solution shows every side it reaches, not only this one
            sides[:, 0] |= res.x < -TOLERANCE
            sides[:, 1] |= res.x > TOLERANCE
    return sides


# A Newton step on a regular problem shrinks the decrement quadratically near
# the maximum; along a direction of separation each step only multiplies it by
# about exp(-1) (the log-likelihood creeps up as 1 - exp(-t)). Successive
# ratios in this band are "linear convergence": the maximum may be at infinity.
# (Newton far from a regular maximum can look the same for a few steps, so the
# monitor waits for three ratios in a row and confirms with the data.)
LINEAR_RATE = (0.2, 0.8)


@dataclass(eq=False)
class SeparationMonitor:
    """Watches a Newton fit (as its ``monitor``) for the pattern of separation.

    Suspicion: rows fitted as certain (the kernel's ``saturated`` sum) while the
    decrement falls only linearly; or convergence about to be declared at a
    linear rate; or the fit failing. Data in memory (NumPy) are then checked
    exactly, once, by :func:`separation_of`; otherwise separation is reported
    as ``"suspected"`` with the direction of the last step. The monitor keeps
    the diagnosis in ``separation`` for the results.
    """

    design: Design
    free: np.ndarray
    separation: Separation | None = None
    # the exact check on in-memory data (another family's program may stand in)
    check: Callable[[Design, np.ndarray], Separation] | None = None
    _previous: np.ndarray | None = None
    _last: np.ndarray | None = None

    def __call__(self, event, beta, evaluation, rows) -> str | None:
        # keep the iterate before this one (events may repeat an iterate)
        if self._last is None or not np.array_equal(self._last, beta):
            self._previous, self._last = self._last, np.array(beta)
        previous = self._previous
        if self.separation is not None:
            return None  # checked once already: not separated
        if not self._suspect(event, evaluation, rows):
            return None
        if isinstance(self.design.X, np.ndarray):
            try:
                found = (self.check or separation_of)(self.design, self.free)
            except RuntimeError:  # the program failed: say nothing, fit on
                found = Separation(False, None, pd.Series(dtype=float))
        elif event == "iteration" or previous is None:
            return None  # without the data at hand, wait for the fit's end
        else:
            found = self._suspected(beta - previous)
        self.separation = found
        if not found.separated:
            return None
        return (
            f"{found.kind} separation: the maximum-likelihood estimate does "
            f"not exist ({', '.join(found.describe())})"
        )

    def _suspect(self, event, evaluation, rows) -> bool:
        if event == "failed":
            return True
        linear = _linear_rate(rows, 3 if event == "iteration" else 1, evaluation)
        if event == "converged":
            return linear
        return linear and evaluation.saturated > 0

    def _suspected(self, step: np.ndarray) -> Separation:
        names = self.design.coef_names
        direction = np.full(len(names), np.nan)
        moving = np.abs(step) > 0.1 * np.max(np.abs(step), initial=0.0)
        direction[self.free] = np.where(moving, np.sign(step), 0.0)
        return Separation(True, "suspected", pd.Series(direction, index=names))


def _linear_rate(rows: list[dict], count: int, evaluation: Evaluation) -> bool:
    """Whether the last ``count`` decrement ratios show linear convergence
    (full steps, decrements well above the round-off of ``evaluation``'s value,
    the last)."""
    if len(rows) < count + 1:
        return False
    recent = rows[-(count + 1) :]
    scale = value_scale(evaluation)
    low, high = LINEAR_RATE
    if any(row.get("pass", "newton") != "newton" for row in recent):
        return False  # steps steered by held information converge linearly
    for before, after in zip(recent, recent[1:]):
        if after["step"] != 1.0 or not before["decrement"] > 1e-13 * scale:
            return False
        if not low <= after["decrement"] / before["decrement"] <= high:
            return False
    return True
