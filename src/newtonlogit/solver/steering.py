"""When a steered fit evaluates what: the kinds of pass, and the rule that
picks the next one (see :func:`newtonlogit.solver.newton.newton`).

A steered fit holds an approximation of the information and evaluates
iterates by score passes (the value and score only); it evaluates the
information again where steering stops paying, and exactly at the estimate
it reports, whose exact Newton decrement is the certificate of convergence.
The costs of the passes, in exact passes, decide between them; the backends
measure their own (``score_pass_cost``, ``steer_pass_cost``).
"""

from __future__ import annotations

import numpy as np

# The kinds of pass a history row can come from (its column "pass"): the
# information evaluated at the iterate, so the decrement is exact; only the
# value and score, the decrement taken with the held information; or the
# information evaluated in reduced precision, to steer the next steps.
NEWTON_PASS, SCORE_PASS, STEER_PASS = "newton", "score", "steer"
PASS_KINDS = (NEWTON_PASS, SCORE_PASS, STEER_PASS)
# Steered steps evaluate the information at the next iterate where the last
# step shrank the decrement by less than this factor (or had to be shortened).
REFRESH_RATIO = 0.25
# A steered fit converges where its exact decrement is below this share of
# tol**2 (|value| + 0.1 unit): plain Newton's last step lands orders below tol**2
# (300,000 x 100: 7e-13 against 1.7e-11). The estimate is then within the root
# of the bound in standard errors in the worst direction (1e-6 at 1,000,000 x
# 100); the fits measured ended far closer (3e-10 and 8e-8 at 1,000,000 and
# 300,000 x 100; scikit-learn's newton-cholesky 8e-7 and 4e-6). At the full
# bound one fit ended 2e-6 away; at 1e-3 the 300,000 x 100 fit took one more
# score pass.
CERTIFICATE = 1e-2
# The cost of a score pass in passes that also evaluate the information
# (measured 0.26 at p = 100 and 0.34 at p = 10; see docs/method.md).
SCORE_PASS_COST = 0.3
# Before a steered fit has a rate of its own (one row), the rate its steps
# are expected to shrink the decrement by: a subsample's information of
# 2,000 rows per coefficient steers at 0.002-0.008 a step.
FIRST_RATE = 0.01
# A refresh of the information is planned at an iterate whose decrement is
# predicted at most this (in units of the mean case weight): from there the
# next step converges quadratically. The decrement after the refresh's step
# was about 0.3 lambda^2 / n (1,000,000 x 100: 3.7 -> 4e-6; 300,000 x 100:
# 18.7 -> 4e-4, where the refresh one score pass later, at 0.15, saved a pass).
QUADRATIC_DECREMENT = 1.0
# A fit whose certificate is deferred (``certify=False``) stops at a score
# pass whose decrement, taken with the held information, is below this share
# of the certificate's bound; :func:`certify` then checks it exactly.
HELD_MARGIN = 0.5


def pass_kind(evaluation) -> str:
    """The kind of pass that made ``evaluation`` (an
    :class:`~newtonlogit.solver.newton.Evaluation`): its history row's "pass"."""
    if evaluation.info is not None:
        return NEWTON_PASS
    return SCORE_PASS if evaluation.steering_info is None else STEER_PASS


def next_pass(
    rows: list[dict],
    bound: float,
    certify: bool = True,
    costs: tuple[float, float] = (SCORE_PASS_COST, 1.0),
    refresh: bool | str = True,
    unit: float = 1.0,
) -> bool | str:
    """What a steered fit evaluates at its next iterate (``derivatives`` for
    the objective): ``"score"``, ``refresh`` (the information again:
    ``"steer"`` where the objective has cheaper passes for it, else
    ``True``) or ``True`` (exact: the certificate's pass), from the
    decrements so far, the certificate's ``bound`` on the decrement and the
    passes' ``costs`` (score, refresh) in exact passes.

    The information is exact where the decrement predicted at the next
    iterate at the last step's rate is below a tenth of the bound (the
    certificate's pass). It is refreshed where the last step shrank the
    decrement by less than ``REFRESH_RATIO`` (the steering information has
    gone stale), and, after a score pass, where the score passes needed at
    that rate would cost more than a refresh and one score pass after it:
    from a freshly evaluated information steps converge quadratically, so the
    refresh waits for an iterate whose decrement is predicted below
    ``QUADRATIC_DECREMENT`` times ``unit`` (the mean case weight).
    With the certificate deferred (``certify`` false) the fit ends at a
    score pass below ``HELD_MARGIN`` times the bound.
    """
    score_cost, refresh_cost = costs
    last = rows[-1]["decrement"]
    if len(rows) < 2 or not rows[-2]["decrement"] > 0:
        if certify and last <= bound:
            return True
        rate = FIRST_RATE
    else:
        rate = last / rows[-2]["decrement"]
        if certify and 10 * rate * last <= bound:  # (a margin: rates vary)
            return True
        if rows[-1]["pass"] != SCORE_PASS or rate <= 0:
            # (a fresh information: its step converges quadratically, and the
            # rate compares decrements taken with two different matrices)
            return "score"
        if not rate <= REFRESH_RATIO:
            return refresh
    if not certify:
        bound = HELD_MARGIN * bound
    # (the last of the passes needed is the certificate's; one pass more than
    # the last rate predicts is counted, since steered steps slow down as they
    # go: 0.002 on the first, 0.0075 by the seventh at 1,000,000 x 100)
    needed = np.ceil(np.log(max(last / bound, 1.0)) / np.log(1.0 / rate))
    if rate * last > QUADRATIC_DECREMENT * unit:  # (not yet near enough)
        return "score"
    return refresh if needed * score_cost > refresh_cost + score_cost else "score"
