"""Profile-likelihood confidence intervals, over whatever objective was fitted.

For coefficient ``j`` the profile of the fitted objective ``L`` (the
log-likelihood, or a penalized one) is ``L_j(t) = max L(b)`` subject to
``b_j = t``, and its signed root ``r_j(t) = sign(t - b_j) sqrt(2 (L(b) -
L_j(t)))``. The ``level`` interval is ``{t : |r_j(t)| <= z}`` with ``z`` the
normal quantile ``z_{(1 + level)/2}`` (``r^2`` is the likelihood-ratio
statistic, chi-squared with 1 df), as in R's ``confint`` on a ``glm`` and in
``logistf``.

Everything goes through the model's :class:`~newtonlogit.solver.refit.Refitter`, so a
model fitted under another objective (e.g. a Firth penalty) gets profile
*penalized*-likelihood intervals with no change here.

Each limit is a root of ``|r_j(t)| - z``: bracketed by stepping out from the
Wald limit, then found with Brent's method. On separated data (no finite
maximum) a limit is infinite exactly where the log-likelihood never turns:
where some direction along which no row's likelihood falls moves ``b_j`` that
way (linear programs: ``recession_sides`` of the binary family's separation
module); the finite limits are measured from the likelihood's supremum.
Every constrained refit is warm-started from the nearest refit already done,
moved along the first-order profile path ``db_rest/db_j = V_rest,j / V_jj``,
and the Newton solver
damps its steps (step cap, step-halving), so refits take two or three
iterations and do not diverge on nearly separated data.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, optimize

from ..exceptions import ConvergenceWarning
from ..solver.newton import SingularInformation

# The limit is reported as infinite when the profile stays below z this far out
# (in standard errors): the profile likelihood flattens (separation).
MAX_STEPS_OUT = 1e4


@dataclass
class _Profile:
    """Refits of the fitted objective with coefficient ``j`` held fixed."""

    refit: object
    coef: np.ndarray
    top: float  # the objective's maximum
    j: int
    slope: np.ndarray  # d(rest)/d(b_j) along the profile path at the estimate
    points: list = field(default_factory=list)  # (value of b_j, rest at its max)
    roots: dict = field(default_factory=dict)  # value of b_j -> |r_j|
    unconverged: set = field(default_factory=set)  # values whose refit failed

    def trusted(self, limit: float) -> bool:
        """Whether the refit nearest to ``limit`` converged."""
        if not np.isfinite(limit) or not self.roots:
            return True
        nearest = min(self.roots, key=lambda v: abs(v - limit))
        return nearest not in self.unconverged

    def _start(self, value: float) -> np.ndarray:
        if not self.points:
            t0, rest0 = self.coef[self.j], np.delete(self.coef, self.j)
        else:
            t0, rest0 = min(self.points, key=lambda pt: abs(pt[0] - value))
        return rest0 + (value - t0) * self.slope

    def root(self, value: float) -> float:
        """``|r_j(value)|``: the signed root of the objective's drop, unsigned."""
        if value in self.roots:  # Brent's method starts at the bracket's ends
            return self.roots[value]
        starts = (self._start(value), None, np.zeros(self.coef.size - 1))
        for start in starts:  # warm, from the estimate, from zero
            try:
                fit = self.refit.fit_with_fixed({self.j: value}, start=start)
                break
            except SingularInformation:
                if start is starts[-1]:
                    raise
        if not fit.converged:
            self.unconverged.add(value)
        self.points.append((value, np.array(fit.beta)))
        r = float(np.sqrt(max(2 * (self.top - fit.evaluation.value), 0.0)))
        self.roots[value] = r
        return r


def _limit(profile: _Profile, direction: int, z: float, se: float) -> float:
    """The value of ``b_j`` on side ``direction`` where ``|r_j| = z``."""
    b = profile.coef[profile.j]
    if profile.root(b) >= z:
        # (separated data: the fit stopped beyond this limit, on its way to the
        # infinite other side, where the profile only rises)
        return _limit_behind(profile, direction, z, se)
    lo = 0.0
    step = z * se
    while True:
        r = profile.root(b + direction * step)
        if r >= z:
            break
        if step > MAX_STEPS_OUT * se:
            return direction * np.inf
        # r_j is close to linear in the step: aim past the crossing, but grow
        # at most fourfold so that a flattening profile is followed carefully.
        lo = step
        step *= min(max(1.1 * z / max(r, 1e-300), 1.25), 4.0)
    if r == z:
        return b + direction * step
    hi = step
    found = optimize.brentq(
        lambda s: profile.root(b + direction * s) - z,
        lo,
        hi,
        xtol=1e-12 * (abs(b) + hi),
        rtol=1e-13,
        maxiter=200,
    )
    return b + direction * found


def _limit_behind(profile: _Profile, direction: int, z: float, se: float) -> float:
    """The limit on side ``direction`` where the estimate lies beyond it: the
    crossing of ``|r_j| = z`` towards the other side."""
    b = profile.coef[profile.j]
    hi, step = 0.0, z * se
    while profile.root(b - direction * step) >= z:
        if step > MAX_STEPS_OUT * se:
            return direction * np.inf
        hi, step = step, 4.0 * step
    found = optimize.brentq(
        lambda s: profile.root(b - direction * s) - z,
        hi,
        step,
        xtol=1e-12 * (abs(b) + step),
        rtol=1e-13,
        maxiter=200,
    )
    return b - direction * found


def profile_limits(
    refit, coef: np.ndarray, level: float, which: list[int]
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Lower and upper profile limits of the coefficients ``which``.

    Returns the limits (one per index in ``which``; ``-inf``/``inf`` where the
    profile never reaches the critical value) and the indices whose constrained
    refits did not all converge.
    """
    from scipy import stats

    z = float(stats.norm.isf((1 - level) / 2))
    top = refit.value(coef)
    # separated data: where the likelihood never turns, the limit is infinite;
    # the other limits are measured from its supremum, not from where the fit
    # stopped (a refit without the separation check runs on towards it)
    unbounded = np.zeros((coef.size, 2), dtype=bool)
    separated = refit.unbounded is not None
    if separated:
        found = refit.unbounded()  # (None: too large to check)
        unbounded = unbounded if found is None else found
        top = max(top, refit.fit_with_fixed({}).evaluation.value)
    full = np.zeros_like(refit.beta)
    full[refit.free] = coef
    info = refit.objective(full, True).info[np.ix_(refit.free, refit.free)]
    cov = linalg.inv(info)
    cov = (cov + cov.T) / 2
    lower, upper, failed = [], [], []
    for j in which:
        slope = np.delete(cov[:, j], j) / cov[j, j]
        se = float(np.sqrt(cov[j, j]))
        profile = _Profile(refit, coef, top, j, slope)
        if not separated:  # (else the estimate is not the maximum)
            profile.roots[float(coef[j])] = 0.0
        lower.append(-np.inf if unbounded[j, 0] else _limit(profile, -1, z, se))
        upper.append(np.inf if unbounded[j, 1] else _limit(profile, +1, z, se))
        if not (profile.trusted(lower[-1]) and profile.trusted(upper[-1])):
            failed.append(j)
    return np.array(lower), np.array(upper), failed


def warn_failed(failed: list[str], infinite: list[str]) -> None:
    """One warning each for unconverged refits and for infinite limits."""
    if failed:
        warnings.warn(
            f"some profile-likelihood refits for {failed} did not converge; "
            "their limits may be inaccurate",
            ConvergenceWarning,
            stacklevel=4,
        )
    if infinite:
        warnings.warn(
            f"the profile likelihood of {infinite} does not reach the level on "
            "one side: that limit is infinite (separated or nearly separated data)",
            UserWarning,
            stacklevel=4,
        )
