"""Discrimination and calibration of predicted probabilities.

Pure math on host arrays, shared by the families: a score per row and the
row's (weighted) numbers of events ``a_i`` and non-events ``b_i``. A binary
row is one event (``a = 1, b = 0``) or one non-event; a grouped row with
``y`` successes in ``n`` trials and frequency weight ``w`` stands for
``a = w y`` events and ``b = w (n - y)`` non-events, all with the row's
score. With unit weights every number equals pROC's (``roc``, ``ci.auc``,
``roc.test(method = "delong")``) and Stata's (``estat classification``).

Notes
-----
The AUC is the probability that an event outscores a non-event, ties counting
one half: ``A = sum_ij a_i b_j psi(s_i, s_j) / (a. b.)``. DeLong, DeLong and
Clarke-Pearson (1988) write it through the placements
``V10_i = sum_j b_j psi(s_i, s_j) / b.`` (of events) and
``V01_j = sum_i a_i psi(s_i, s_j) / a.`` (of non-events), whose sample
variances ``S10``, ``S01`` give ``var(A) = S10 / a. + S01 / b.``. For two
scores on the same rows, the covariances of the placements give the variance
of the difference and DeLong's paired z test. Placements come from sorting
(``searchsorted`` on cumulative weights): ``O(n log n)``, never ``n x n``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.stats import norm

from .stats import check_level, critical_value


def _placements(scores, events, non_events):
    """``(V10, V01)`` per row: the placement of the row's events among the
    non-events, and of its non-events among the events."""
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    cum_b = np.concatenate([[0.0], np.cumsum(non_events[order])])
    cum_a = np.concatenate([[0.0], np.cumsum(events[order])])
    below = np.searchsorted(sorted_scores, scores, side="left")
    upto = np.searchsorted(sorted_scores, scores, side="right")
    # non-events with a lower score, plus half of those with the same score
    v10 = (cum_b[below] + 0.5 * (cum_b[upto] - cum_b[below])) / cum_b[-1]
    # events with a higher score, plus half of those tied
    v01 = (cum_a[-1] - cum_a[upto] + 0.5 * (cum_a[upto] - cum_a[below])) / cum_a[-1]
    return v10, v01


@dataclass(frozen=True, eq=False)
class ROC:
    """ROC curve and AUC of a score against observed outcomes.

    ``curve`` has one row per distinct score (used as the threshold, a row
    counting as positive when its score is at least the threshold), from the
    highest, with a first row at infinity (nothing positive).
    """

    scores: np.ndarray = field(repr=False)
    events: np.ndarray = field(repr=False)
    non_events: np.ndarray = field(repr=False)

    def __post_init__(self):
        a, b = float(self.events.sum()), float(self.non_events.sum())
        if a <= 0 or b <= 0:
            raise ValueError(
                "an ROC curve needs both events and non-events among the rows"
            )

    @cached_property
    def _parts(self):
        v10, v01 = _placements(self.scores, self.events, self.non_events)
        return v10, v01, float(self.events @ v10) / float(self.events.sum())

    @property
    def auc(self) -> float:
        """Area under the curve (the concordance index ``c``)."""
        return self._parts[2]

    def _covariance_terms(self):
        v10, v01, auc = self._parts
        return v10 - auc, v01 - auc

    @property
    def se(self) -> float:
        """DeLong's standard error of the AUC (pROC ``var(roc)``'s root)."""
        return float(np.sqrt(_delong_variance([self], np.ones(1))))

    def conf_int(self, level: float = 0.95) -> tuple[float, float]:
        """DeLong's interval ``AUC -/+ z se``, clipped to [0, 1] (pROC
        ``ci.auc(method = "delong")``)."""
        half = critical_value(check_level(level)) * self.se
        return max(self.auc - half, 0.0), min(self.auc + half, 1.0)

    @property
    def curve(self) -> pd.DataFrame:
        """Columns ``threshold``, ``sensitivity``, ``specificity``,
        ``false_positive_rate``."""
        order = np.argsort(-self.scores, kind="stable")
        s = self.scores[order]
        last = np.r_[s[1:] != s[:-1], True]
        tp = np.cumsum(self.events[order])[last]
        fp = np.cumsum(self.non_events[order])[last]
        a, b = tp[-1], fp[-1]
        sens = np.r_[0.0, tp / a]
        spec = np.r_[1.0, 1.0 - fp / b]
        return pd.DataFrame(
            {
                "threshold": np.r_[np.inf, s[last]],
                "sensitivity": sens,
                "specificity": spec,
                "false_positive_rate": 1.0 - spec,
            }
        )

    def summary(self, level: float = 0.95) -> pd.Series:
        """AUC, its standard error and interval, and the numbers of events and
        non-events, as a Series."""
        lower, upper = self.conf_int(level)
        return pd.Series(
            {
                "auc": self.auc,
                "se": self.se,
                "lower": lower,
                "upper": upper,
                "events": float(self.events.sum()),
                "non_events": float(self.non_events.sum()),
            },
            name="roc",
        )

    def __repr__(self) -> str:
        lower, upper = self.conf_int()
        return (
            f"<ROC: AUC {self.auc:.4f} (DeLong 95% CI {lower:.4f}-{upper:.4f}), "
            f"{self.events.sum():g} events, {self.non_events.sum():g} non-events>"
        )


def _delong_variance(rocs, contrast) -> float:
    """``contrast' S contrast`` for DeLong's covariance ``S`` of the AUCs of
    scores on the same rows."""
    a = rocs[0].events
    b = rocs[0].non_events
    x = np.array([r._covariance_terms()[0] for r in rocs])  # (R, n)
    y = np.array([r._covariance_terms()[1] for r in rocs])
    cx, cy = contrast @ x, contrast @ y
    s10 = float((a * cx) @ cx) / (a.sum() - 1)
    s01 = float((b * cy) @ cy) / (b.sum() - 1)
    return s10 / a.sum() + s01 / b.sum()


def roc_test(first: ROC, second: ROC) -> pd.Series:
    """DeLong's test that two ROC curves on the same rows have equal AUCs
    (pROC ``roc.test(r1, r2, method = "delong", paired = TRUE)``).

    Returns ``auc_1``, ``auc_2``, ``difference``, its ``se``, ``z`` and the
    two-sided ``p_value``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"dose": rng.uniform(0, 4, 300)})
    >>> df["age"] = rng.normal(50, 10, 300)
    >>> df["died"] = rng.random(300) < 1 / (1 + np.exp(3 - 1.5 * df["dose"]))
    >>> res = nl.logit("died ~ dose + age", data=df)
    >>> small = nl.logit("died ~ dose", data=df)
    >>> nl.roc_test(res.roc(data=df), small.roc(data=df)).round(4)
    auc_1         0.8899
    auc_2         0.8893
    difference    0.0006
    se            0.0019
    z             0.2993
    p_value       0.7647
    Name: delong, dtype: float64
    """
    same = first.events.shape == second.events.shape
    if not (
        same
        and np.array_equal(first.events, second.events)
        and np.array_equal(first.non_events, second.non_events)
    ):
        raise ValueError(
            "DeLong's paired test compares two ROC curves on the same rows with "
            "the same outcomes"
        )
    se = float(np.sqrt(_delong_variance([first, second], np.array([1.0, -1.0]))))
    diff = first.auc - second.auc
    z = diff / se if se > 0 else 0.0
    return pd.Series(
        {
            "auc_1": first.auc,
            "auc_2": second.auc,
            "difference": diff,
            "se": se,
            "z": z,
            "p_value": float(2 * norm.sf(abs(z))),
        },
        name="delong",
    )


def classification_table(scores, events, non_events, cutoff: float) -> pd.Series:
    """Stata's ``estat classification``: a row is classified positive when its
    score is at least ``cutoff``. Rates in [0, 1] (NaN where undefined)."""
    if not 0.0 <= cutoff <= 1.0:
        raise ValueError(f"cutoff must be a probability in [0, 1]; got {cutoff!r}")
    positive = scores >= cutoff
    tp, fn = events[positive].sum(), events[~positive].sum()
    fp, tn = non_events[positive].sum(), non_events[~positive].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        values = {
            "cutoff": cutoff,
            "true_positive": tp,
            "false_positive": fp,
            "false_negative": fn,
            "true_negative": tn,
            "sensitivity": tp / (tp + fn),
            "specificity": tn / (tn + fp),
            "ppv": tp / (tp + fp),
            "npv": tn / (tn + fn),
            "false_positive_rate": fp / (fp + tn),
            "false_negative_rate": fn / (tp + fn),
            "correctly_classified": (tp + tn) / (tp + fn + fp + tn),
        }
    return pd.Series({k: float(v) for k, v in values.items()}, name="classification")


def brier_score(probabilities, events, non_events) -> float:
    """Mean squared difference between outcome and probability over trials:
    ``sum [a (1 - p)^2 + b p^2] / sum (a + b)``."""
    p = probabilities
    total = events * (1.0 - p) ** 2 + non_events * p**2
    return float(total.sum() / (events.sum() + non_events.sum()))


def calibration(eta, events, non_events, tol: float = 1e-10) -> pd.Series:
    """Calibration intercept and slope: the coefficients of the logistic
    regression of the outcome on the linear predictor ``eta`` (rms
    ``val.prob``'s ``Intercept`` and ``Slope``; 0 and 1 when calibrated), and
    calibration-in-the-large, the intercept with ``eta`` as an offset."""
    trials = events + non_events
    slope_fit = _newton(np.column_stack([np.ones_like(eta), eta]), 0.0, events, trials)
    large = _newton(np.ones((eta.size, 1)), eta, events, trials)
    return pd.Series(
        {
            "intercept": slope_fit[0],
            "slope": slope_fit[1],
            "in_the_large": large[0],
        },
        name="calibration",
    )


def _newton(Z, offset, events, trials, max_iter: int = 50):
    """Maximum likelihood of a logistic model with a few columns ``Z``."""
    beta = np.zeros(Z.shape[1])
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(Z @ beta + offset)))
        info = (Z * (trials * p * (1 - p))[:, None]).T @ Z
        step = np.linalg.solve(info, Z.T @ (events - trials * p))
        beta = beta + step
        if np.max(np.abs(step)) < 1e-12 * (1 + np.max(np.abs(beta))):
            break
    return beta


__all__ = ["ROC", "brier_score", "calibration", "classification_table", "roc_test"]
