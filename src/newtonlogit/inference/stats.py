"""The inference math behind :class:`~newtonlogit.LogitResults`.

Pure functions of estimates, covariances and fit statistics (never of data):
Wald and likelihood-ratio tests, Wald intervals, pseudo R-squared,
prediction intervals and marginal effects with analytic Jacobians.
p-values always come from survival functions (``sf``), never ``1 - cdf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import linalg, stats

from ..kernels.block import expit


def check_level(level: float) -> float:
    """``level`` as a float in (0, 1), else a ``ValueError``."""
    try:
        value = float(level)
    except (TypeError, ValueError):
        raise ValueError(f"level must be a number in (0, 1); got {level!r}") from None
    if not 0 < value < 1:
        raise ValueError(
            f"level must be in (0, 1), e.g. 0.95 for a 95% interval; got {level!r}"
        )
    return value


def critical_value(level: float) -> float:
    """The two-sided normal quantile ``z_{(1 + level) / 2}``."""
    return float(stats.norm.isf((1 - check_level(level)) / 2))


def two_sided_p(z) -> np.ndarray:
    """``P(|Z| > |z|) = 2 sf(|z|)``, accurate far into the tail."""
    return 2 * stats.norm.sf(np.abs(z))


@dataclass(frozen=True)
class TestResult:
    """A chi-squared test: statistic, degrees of freedom and p-value."""

    __test__ = False  # not a pytest class

    statistic: float
    df: int
    p_value: float
    test: str = ""

    def __str__(self) -> str:
        return (
            f"{self.test}: chi2({self.df}) = {self.statistic:.6g}, "
            f"p = {self.p_value:.4g}"
        )


def chi2_test(statistic: float, df: int, test: str) -> TestResult:
    return TestResult(
        float(statistic), int(df), float(stats.chi2.sf(statistic, df)), test
    )


def wald_test(
    coef: np.ndarray, cov: np.ndarray, names: Sequence[str], which: Sequence[str]
) -> TestResult:
    """Joint Wald test that the coefficients ``which`` are all zero.

    Notes
    -----
    ``W = b_S' (V_SS)^{-1} b_S``, asymptotically chi-squared with ``|S|``
    degrees of freedom under the null.
    """
    if isinstance(which, str):
        which = [which]
    which = list(which)
    if not which:
        raise ValueError("wald_test needs at least one coefficient name")
    unknown = [w for w in which if w not in names]
    if unknown:
        raise ValueError(
            f"wald_test: unknown coefficient name(s) {unknown}; "
            f"the model's coefficients are {list(names)}"
        )
    if len(set(which)) != len(which):
        raise ValueError(f"wald_test: repeated coefficient names in {which}")
    index = [list(names).index(w) for w in which]
    b = coef[index]
    V = cov[np.ix_(index, index)]
    statistic = float(b @ linalg.solve(V, b, assume_a="pos"))
    return chi2_test(statistic, len(index), f"Wald test of {which} = 0")


def lr_test(big, small=None) -> TestResult:
    """Likelihood-ratio test of ``small`` nested in ``big`` (default: null model).

    Notes
    -----
    ``LR = 2 (loglik_big - loglik_small)``, chi-squared with the difference in
    the number of estimated coefficients as degrees of freedom. Two models are
    taken as nested when the smaller one's coefficients are a subset of the
    bigger one's and both were fitted to the same response (equal null
    log-likelihoods and numbers of observations).
    """
    if small is None:
        return chi2_test(
            2 * (big.loglik - big.loglik_null), big.df_model, "LR test vs null model"
        )
    if len(small.coef) > len(big.coef):
        big, small = small, big
    extra = [n for n in small.coef_names if n not in big.coef_names]
    if extra or len(small.coef) == len(big.coef):
        raise ValueError(
            "lr_test: the models are not nested: "
            + (
                f"coefficient(s) {extra} of the smaller model are not in the bigger"
                if extra
                else "both have the same coefficients"
            )
        )
    same_data = small.n_obs == big.n_obs and np.isclose(
        small.loglik_null, big.loglik_null, rtol=1e-8, atol=1e-10
    )
    if not same_data or small.fit_intercept != big.fit_intercept:
        raise ValueError(
            "lr_test: the models were not fitted to the same data (different "
            "observations, response, weights, offset or intercept)"
        )
    df = len(big.coef) - len(small.coef)
    return chi2_test(2 * (big.loglik - small.loglik), df, "LR test of nested models")


PSEUDO_R2 = ("mcfadden", "cox-snell", "nagelkerke")


def pseudo_r2(loglik: float, loglik_null: float, n: int, kind: str) -> float:
    """Pseudo R-squared.

    Notes
    -----
    McFadden ``1 - l / l0``; Cox-Snell ``1 - exp(2 (l0 - l) / n)``;
    Nagelkerke ``cox_snell / (1 - exp(2 l0 / n))``, with ``n`` the number of
    observations (rows).
    """
    if kind == "mcfadden":
        return 1 - loglik / loglik_null
    if kind == "cox-snell":
        return -np.expm1(2 * (loglik_null - loglik) / n)
    if kind == "nagelkerke":
        return -np.expm1(2 * (loglik_null - loglik) / n) / -np.expm1(
            2 * loglik_null / n
        )
    raise ValueError(f"kind must be one of {PSEUDO_R2}; got {kind!r}")


def prediction_frame(
    eta: np.ndarray, var_eta: np.ndarray, level: float, index=None
) -> pd.DataFrame:
    """Predicted probabilities with delta-method ``se`` and interval.

    Notes
    -----
    ``se(p) = p (1 - p) se(eta)`` (delta method); the interval is the Wald
    interval of ``eta`` mapped through ``expit`` (endpoint transformation), so
    it always lies in (0, 1).
    """
    z = critical_value(level)
    se_eta = np.sqrt(np.maximum(var_eta, 0.0))
    p = expit(np, eta)
    return pd.DataFrame(
        {
            "probability": p,
            "lower": expit(np, eta - z * se_eta),
            "upper": expit(np, eta + z * se_eta),
            "se": p * expit(np, -eta) * se_eta,
        },
        index=index,
    )


def marginal_effects(
    coef: np.ndarray,
    cov: np.ndarray,
    names: Sequence[str],
    margins,
    estimated: np.ndarray,
    fit_intercept: bool,
    at: str,
    level: float,
) -> pd.DataFrame:
    """Marginal effects ``dp/dx_j`` with delta-method standard errors.

    Notes
    -----
    With ``f = p (1 - p)``: ``at="overall"`` averages over the rows,
    ``ME_j = b_j mean(f)``, Jacobian ``J = mean(f) I + b grad_f'`` with
    ``grad_f = mean(f (1 - 2p) x)``; ``at="mean"`` evaluates at the mean row,
    ``ME_j = b_j f(xbar'b)``, ``J = f I + f (1 - 2 pbar) b xbar'``. Then
    ``cov(ME) = J V J'`` (rows and columns of the intercept dropped).
    """
    if at == "overall":
        f = margins.f_mean
        grad = margins.grad_f[estimated]
    elif at == "mean":
        eta = float(margins.x_mean[estimated] @ coef) + margins.offset_mean
        p = float(expit(np, np.array(eta)))
        f = p * (1 - p)
        grad = f * (1 - 2 * p) * margins.x_mean[estimated]
    else:
        raise ValueError(f"at must be 'overall' or 'mean'; got {at!r}")
    jac = f * np.eye(len(coef)) + np.outer(coef, grad)
    slopes = slice(1, None) if fit_intercept else slice(None)
    effect = f * coef[slopes]
    jac = jac[slopes]
    se = np.sqrt(np.diag(jac @ cov @ jac.T))
    z = effect / se
    crit = critical_value(level)
    return pd.DataFrame(
        {
            "dydx": effect,
            "std_err": se,
            "z": z,
            "p_value": two_sided_p(z),
            "lower": effect - crit * se,
            "upper": effect + crit * se,
        },
        index=list(names)[slopes],
    )
