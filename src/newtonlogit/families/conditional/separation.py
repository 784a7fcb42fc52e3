"""Separation of matched sets: when the conditional MLE does not exist.

The conditional log-likelihood of a set tends to its supremum 0 along a
direction ``d`` when, in every informative set, every case has
``x_case' d >= x_control' d`` (the cases' subset then has the largest
``T' d`` of all subsets of its size). So the MLE fails to exist exactly when
the rows ``x_case - x_control`` over all (case, control) pairs of a set are
separated through the origin, with some pair strictly: Konis's linear program
of the binary family, on those difference rows with no intercept. The fit runs
the check on suspicion (the binary family's solver monitor).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...data.design import Design
from ..binary.separation import TOLERANCE, Separation, _konis


def pair_differences(design: Design) -> np.ndarray:
    """``x_case - x_control`` for every pair of a set with positive weight."""
    codes, y, X = design.segments, design.y, np.asarray(design.X, dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    stops = np.r_[starts[1:], len(codes)]
    rows = []
    for start, stop in zip(starts, stops):
        if design.weights is not None and not design.weights[start] > 0:
            continue
        c = y[start:stop] > 0
        if c.all() or not c.any():
            continue
        cases, controls = X[start:stop][c], X[start:stop][~c]
        rows.append((cases[:, None, :] - controls[None, :, :]).reshape(-1, X.shape[1]))
    return np.concatenate(rows) if rows else np.zeros((0, X.shape[1]))


def conditional_separation(design: Design, free: np.ndarray) -> Separation:
    """Konis's program on the pair differences (see the module docstring)."""
    names = list(design.feature_names)
    direction = np.full(len(names), np.nan)
    b, complete = _konis(pair_differences(design)[:, free])
    direction[free] = np.sign(np.where(np.abs(b) < TOLERANCE, 0.0, b))
    separated = bool(np.any(direction[free] != 0))
    kind = ("complete" if complete else "quasi-complete") if separated else None
    return Separation(separated, kind, pd.Series(direction, index=names, name="dir"))


def strata_note(found: Separation) -> str:
    return (
        f"The matched sets show {found.kind} separation (checked by a linear "
        "program on the case-control differences within sets): no finite "
        "conditional maximum-likelihood estimate exists. The coefficients are "
        "where Newton-Raphson stopped; penalty='firth' gives finite estimates."
    )


__all__ = ["conditional_separation", "pair_differences", "strata_note"]
