"""Separation in the ordinal model: thresholds or slopes running off to infinity.

The cumulative-logit log-likelihood has no finite maximum when some direction
``(dzeta, db)``, with ``X db`` not all 0, never lowers any row's probability:
the thresholds stay ordered (``dzeta`` non-decreasing), and for every row in
level ``j`` the upper cut ``zeta_j - x'b`` does not fall and the lower cut
``zeta_{j-1} - x'b`` does not rise,

    dzeta_j - x_i' db >= 0  (j < J - 1),    x_i' db - dzeta_{j-1} >= 0  (j > 0).

Along such a direction the probability of the rows with a strict inequality
climbs to 1 (a level split off from the others, or a covariate ordering the
levels without overlap), so the estimates involved are infinite. It is the
binary condition of Albert and Anderson (1984) for the stacked cut
inequalities, and is decided by Konis's linear program on those rows
(:func:`newtonlogit.families.binary.separation._konis`).
:class:`OrdinalSeparationMonitor` watches the Newton fit for the pattern
(linear convergence, failure) and confirms it by the program.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from ...data.design import Design, make_design
from ...data.ordered import ordinal_response
from ..binary.separation import TOLERANCE, Separation, _konis, _linear_rate


def check_ordinal_separation(
    X: Any, y: Any, *, weights: Any = None, levels: Any = None
) -> Separation:
    """Whether the ordinal MLE fails to exist on ``X``, ``y`` (as ``ologit``'s).

    ``directions`` are by parameter (thresholds ``"a|b"`` first, then the
    columns): ``+1``/``-1`` for an estimate running to ``+inf``/``-inf``.

    Examples
    --------
    A covariate that orders the levels without overlap:

    >>> import numpy as np
    >>> import newtonlogit as nl
    >>> x = np.linspace(-2, 2, 60)[:, None]
    >>> nl.check_ordinal_separation(x, np.digitize(x[:, 0], [-1.0, 1.0]))
    <Separation: complete; infinite estimates: 0|1 -> -inf, 1|2 -> +inf, x1 -> +inf>
    """
    design = make_design(
        X,
        y,
        weights=weights,
        fit_intercept=False,
        feature_names=None,
        response=partial(ordinal_response, levels=levels),
    )
    return ordinal_separation_of(design)


def _names(design: Design) -> list[str]:
    levels = design.classes
    cuts = [f"{lo}|{hi}" for lo, hi in zip(levels[:-1], levels[1:])]
    return cuts + list(design.feature_names)


def ordinal_separation_of(design: Design, free: np.ndarray | None = None) -> Separation:
    """The linear program on validated in-memory data (``free``: the estimated
    parameters; aliased columns are left out)."""
    n_cuts = len(design.classes) - 1
    names = _names(design)
    free = np.ones(len(names), dtype=bool) if free is None else free
    X = np.asarray(design.X, dtype=np.float64)[:, free[n_cuts:]]
    codes = np.asarray(design.y).astype(np.intp)
    if design.weights is not None:
        used = np.asarray(design.weights) > 0
        X, codes = X[used], codes[used]
    eye = np.eye(n_cuts)
    below = codes < n_cuts  # rows with an upper cut
    above = codes > 0  # rows with a lower cut
    rows = [
        np.column_stack([eye[codes[below]], -X[below]]),
        np.column_stack([-eye[codes[above] - 1], X[above]]),
        np.column_stack([eye[1:] - eye[:-1], np.zeros((n_cuts - 1, X.shape[1]))]),
    ]
    d, complete = _konis(np.concatenate(rows), complete=True)
    infinite = np.abs(d) >= TOLERANCE
    direction = np.full(len(names), np.nan)
    direction[free] = np.where(infinite, np.sign(d), 0.0)
    separated = bool(infinite.any())
    kind = None if not separated else ("complete" if complete else "quasi-complete")
    return Separation(separated, kind, pd.Series(direction, index=names))


def separation_note(found: Separation) -> str:
    """The summary's note on a separated ordinal fit."""
    if found.kind == "suspected":
        what = (
            "The fit shows the pattern of separation (not checked by the linear "
            "program: the data are not in memory): likely"
        )
    else:
        what = f"The data show {found.kind} separation (checked by a linear program):"
    return (
        f"{what} no finite maximum-likelihood estimate exists. The estimates are "
        "where Newton-Raphson stopped and their standard errors are meaningless; "
        "merge sparse levels or drop the separating covariates."
    )


@dataclass(eq=False)
class OrdinalSeparationMonitor:
    """Watches an ordinal Newton fit (its ``monitor``) for separation.

    Suspicion: the decrement falling only linearly for three steps, or at the
    point of declaring convergence, or a failed fit. Data in memory are then
    checked once by :func:`ordinal_separation_of`; other data are reported as
    ``"suspected"`` at the end of the fit, with the last step's direction.
    """

    design: Design
    free: np.ndarray
    separation: Separation | None = None
    checked: bool = False
    _previous: np.ndarray | None = None
    _last: np.ndarray | None = None

    def __call__(self, event, beta, evaluation, rows) -> str | None:
        if self._last is None or not np.array_equal(self._last, beta):
            self._previous, self._last = self._last, np.array(beta)
        if self.checked:
            return None
        if event != "failed" and not _linear_rate(
            rows, 3 if event == "iteration" else 1, evaluation
        ):
            return None
        if isinstance(self.design.X, np.ndarray):
            try:
                found = ordinal_separation_of(self.design, self.free)
            except RuntimeError:
                found = None
        elif event == "iteration" or self._previous is None:
            return None
        else:
            found = self._suspected(beta - self._previous)
        self.checked = True
        if found is None or not found.separated:
            return None
        self.separation = found
        return (
            f"{found.kind} separation: the maximum-likelihood estimate does "
            f"not exist ({', '.join(found.describe())})"
        )

    def _suspected(self, step: np.ndarray) -> Separation:
        names = _names(self.design)
        direction = np.full(len(names), np.nan)
        moving = np.abs(step) > 0.1 * np.max(np.abs(step), initial=0.0)
        direction[self.free] = np.where(moving, np.sign(step), 0.0)
        return Separation(True, "suspected", pd.Series(direction, index=names))
