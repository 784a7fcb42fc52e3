"""Goodness-of-fit tests of a binary fit.

- **Hosmer-Lemeshow**: rows in ``g`` groups by the quantiles of the fitted
  probability, ties handled as ResourceSelection's ``hoslem.test`` does
  (``cut`` at the unique type-7 quantiles, intervals closed on the right, the
  lowest included); ``C = sum over groups and outcomes (o - e)^2 / e`` on
  ``g - 2`` degrees of freedom (``g`` as asked, as ``hoslem.test`` has it).
- **Pearson chi-square and deviance over covariate patterns** (Stata's
  ``estat gof``; Hosmer, Lemeshow and Sturdivant, section 5.2.1): the sums of
  the squared pattern residuals on ``J - k`` degrees of freedom, ``J``
  patterns and ``k`` coefficients. Patterns are found in memory; for Dask or
  sparse rows these two rows of the table are NaN.
- **le Cessie-van Houwelingen-Copas-Hosmer unweighted sum of squares**
  (rms ``residuals.lrm(type = "gof")``): ``S = sum (y - p)^2`` against its
  mean ``sum v`` under the model, ``z = (S - sum v) / sd`` with ``sd^2`` the
  weighted residual sum of squares of ``d = 1 - 2 p`` on ``X`` with weights
  ``v = p (1 - p)``: ``d'Vd - (X'Vd)' (X'VX)^{-1} X'Vd``. Sums over rows
  only (:func:`newtonlogit.families.binary.diagnostics.gof_sums`), so it
  runs out of core.

Grouped and weighted rows count as their Bernoulli trials.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special
from scipy.stats import chi2, norm

from . import diagnostics
from .checking import CheckData, bread, covariate_patterns, in_memory


def hosmer_lemeshow(p, events, non_events, groups: int = 10):
    """``(statistic, df, p_value, table)`` of the Hosmer-Lemeshow test."""
    if int(groups) != groups or groups < 3:
        raise ValueError(f"groups must be an integer of at least 3; got {groups!r}")
    edges = np.unique(np.quantile(p, np.linspace(0.0, 1.0, int(groups) + 1)))
    # R's cut(include.lowest = TRUE): (q_{i-1}, q_i], the first closed
    which = np.clip(np.searchsorted(edges, p, side="left"), 1, None) - 1
    if edges.size == 1:
        which = np.zeros_like(which)
    size = max(edges.size - 1, 1)
    table = pd.DataFrame(
        {
            "lower": edges[:size],
            "upper": edges[1:] if edges.size > 1 else edges,
            "rows": np.bincount(which, minlength=size),
            "observed_events": np.bincount(which, events, minlength=size),
            "expected_events": np.bincount(which, (events + non_events) * p, size),
            "observed_non_events": np.bincount(which, non_events, minlength=size),
            "expected_non_events": np.bincount(
                which, (events + non_events) * (1 - p), minlength=size
            ),
        }
    )
    o = table[["observed_events", "observed_non_events"]].to_numpy()
    e = table[["expected_events", "expected_non_events"]].to_numpy()
    statistic = float(np.sum((o - e) ** 2 / e))
    df = int(groups) - 2
    return statistic, df, float(chi2.sf(statistic, df)), table


def pattern_residuals(check: CheckData, eta, hat):
    """Per covariate pattern: ``(codes, events, trials, pearson, deviance,
    hat)``; ``codes`` maps the rows to their pattern."""
    codes = covariate_patterns(check)
    events, non_events = check.outcomes()
    trials = events + non_events
    J = int(codes.max()) + 1
    S = np.bincount(codes, events, J)
    N = np.bincount(codes, trials, J)
    H = np.bincount(codes, hat, J)
    first = np.unique(codes, return_index=True)[1]
    eta_j = eta[first]
    p = special.expit(eta_j)
    with np.errstate(invalid="ignore", divide="ignore"):
        pearson = (S - N * p) / np.sqrt(N * p * (1 - p))
    loglik = S * eta_j - N * np.logaddexp(0.0, eta_j)
    saturated = special.xlogy(S, S / N) + special.xlogy(N - S, (N - S) / N)
    deviance = np.sign(S - N * p) * np.sqrt(np.maximum(2 * (saturated - loglik), 0))
    return codes, S, N, pearson, deviance, H


def pattern_measures(check: CheckData, eta, hat) -> pd.DataFrame:
    """Hosmer and Lemeshow's delta chi-square, delta deviance and delta
    beta-hat of every row's covariate pattern (Stata ``predict, dx2 dd dbeta``)."""
    codes, S, N, pearson, deviance, H = pattern_residuals(check, eta, hat)
    leave = 1.0 - H
    per_pattern = {
        "pattern": np.arange(S.size),
        "pattern_events": S,
        "pattern_trials": N,
        "pattern_hat": H,
        "pattern_pearson": pearson,
        "pattern_deviance": deviance,
        "pattern_delta_chi2": pearson**2 / leave,
        "pattern_delta_deviance": deviance**2 / leave,
        "pattern_delta_beta": pearson**2 * H / leave**2,
    }
    return pd.DataFrame({k: v[codes] for k, v in per_pattern.items()})


@dataclass(frozen=True)
class GoodnessOfFit:
    """The tests of fit of a binary model: :attr:`table` (one row a test) and
    :attr:`hosmer_lemeshow_table` (observed and expected counts per group)."""

    table: pd.DataFrame
    hosmer_lemeshow_table: pd.DataFrame
    groups: int

    def as_text(self) -> str:
        lines = ["Goodness of fit", "", self.table.to_string(float_format="%.6g")]
        lines += [
            "",
            f"Hosmer-Lemeshow groups (g = {self.groups}, by fitted probability)",
            self.hosmer_lemeshow_table.to_string(float_format="%.4g"),
        ]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()


def goodness_of_fit(check: CheckData, groups: int = 10) -> GoodnessOfFit:
    """All tests of the module docstring on the rows of ``check``."""
    fit_intercept = check.design.fit_intercept
    k = int(check.free.sum())
    sse, expected, dvd, Xvd = check.backend.map_sum(
        diagnostics.gof_sums, check.beta, fit_intercept
    )
    B = bread(check)
    sd = float(np.sqrt(dvd - Xvd @ B @ Xvd))
    z = (float(sse) - float(expected)) / sd
    eta, hat = _eta_and_hat(check, B)
    events, non_events = check.outcomes()
    p = special.expit(eta)
    positive = (events + non_events) > 0
    hl, hl_df, hl_p, hl_table = hosmer_lemeshow(
        p[positive], events[positive], non_events[positive], groups
    )
    if in_memory(check):
        _, _, _, pearson, deviance, _ = pattern_residuals(check, eta, hat)
        J = pearson.size
        x2, dev = float(np.nansum(pearson**2)), float(np.sum(deviance**2))
    else:  # patterns are found in memory: these two are left out
        J, x2, dev = 0, np.nan, np.nan
    df = J - k if J else np.nan
    rows = {
        "Hosmer-Lemeshow": (hl, hl_df, hl_p),
        "Pearson chi2 (patterns)": (x2, df, _chi2_sf(x2, df)),
        "deviance (patterns)": (dev, df, _chi2_sf(dev, df)),
        "le Cessie-van Houwelingen (z)": (z, np.nan, float(2 * norm.sf(abs(z)))),
    }
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=["statistic", "df", "p_value"]
    )
    table["patterns"] = J
    return GoodnessOfFit(table, hl_table, int(groups))


def _chi2_sf(statistic: float, df: int) -> float:
    return float(chi2.sf(statistic, df)) if df > 0 and statistic >= 0 else np.nan


def _eta_and_hat(check: CheckData, B):
    eta, hat = check.backend.map_rows(
        diagnostics.hat_rows,
        check.beta,
        check.design.fit_intercept,
        B,
        columns=(None, None),
    )
    return check.host(eta), check.host(hat)


__all__ = ["GoodnessOfFit", "goodness_of_fit", "hosmer_lemeshow", "pattern_measures"]
