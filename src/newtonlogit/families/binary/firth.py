"""Firth's bias-reduced logistic regression and Puhr et al.'s corrections.

The fit itself is :class:`.objective.Firth` maximized by the same
Newton solver as every other model (``nl.logit(..., penalty="firth")``). This
module finishes such a fit: it reports the unpenalized log-likelihood next to
the penalized one, and applies FLIC or FLAC (Puhr, Heinze, Nold, Lusa and
Geroldinger, 2017, *Statistics in Medicine* 36:2302), which remove Firth's
bias of the predicted probabilities towards 1/2:

- **FLIC** keeps Firth's slopes and re-estimates the intercept by maximum
  likelihood with the slopes' linear predictor as an offset, so that the
  average predicted probability equals the observed event rate.
- **FLAC** maximizes the likelihood of the data augmented by two
  pseudo-observations per row (one event, one non-event, each weighted by
  half the row's Firth hat value ``h_i``) with an indicator of the
  pseudo-observations as an extra covariate. The pseudo-rows are never
  materialized: their sums come from a kernel that recomputes ``h_i`` from
  the Firth estimate, block by block.

Standard errors are ``sqrt(diag((X'WX)^{-1}))`` at the Firth estimate, as
brglm2 and logistf < 1.24.1 report them; logistf >= 1.24.1 reports
``(X' diag(w (1 + h)) X)^{-1}`` instead, which is smaller.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.stats import chi2

from ...reports.summary import PENALTY_NOTES
from ...solver.newton import Evaluation, cho_inverse, cholesky, newton
from ...solver.objective import Restricted
from . import kernels
from .objective import LogLikelihood

FIRTH_PENALTIES = ("firth", "flic", "flac")


def finish_firth(res, likelihood: LogLikelihood, penalty: str):
    """Fill in a Firth fit's log-likelihoods; apply FLIC or FLAC."""
    beta, free = res.refit.beta, res.refit.free
    penalized = res.refit.objective(beta, False).value
    at_estimate = likelihood(beta, True)
    # The solver used the penalized likelihood's Hessian; the standard errors
    # are brglm2's, from the Fisher information at the estimate.
    cov = cho_inverse(cholesky(at_estimate.info[np.ix_(free, free)]))
    res = replace(
        res,
        loglik=at_estimate.value,
        penalized_loglik=penalized,
        penalized_loglik_null=_penalized_null(res),
        cov_array=cov,
    )
    if penalty == "flic":
        return _flic(res, likelihood, beta)
    if penalty == "flac":
        return _flac(res, likelihood, beta)
    return res


def _penalized_null(res) -> float:
    """The penalized log-likelihood with every slope held at 0 (the penalty
    still on the full model's information, as logistf's LR test has it)."""
    if not res.fit_intercept:
        return res.refit.value(np.zeros(len(res.coef)))
    slopes = {j: 0.0 for j in range(1, len(res.coef))}
    return res.refit.fit_with_fixed(slopes).evaluation.value


def firth_note(res) -> str:
    """The summary's note on a Firth (FLIC, FLAC) fit."""
    if res.penalty != "firth":
        what = {
            "flic": "Firth's slopes with the intercept refitted",
            "flac": "ML on data augmented by Firth-hat-value pseudo-rows",
        }[res.penalty]
        return (
            f"{res.penalty.upper()} (Puhr et al. 2017): {what}, so that predicted "
            "probabilities lose Firth's bias towards 1/2. Standard errors are "
            f"from the {'augmented ' if res.penalty == 'flac' else ''}"
            "information at these estimates; for profile intervals and LR tests "
            "fit penalty='firth'."
        )
    df = len(res.coef) - int(res.fit_intercept)
    stat = 2.0 * (res.penalized_loglik - res.penalized_loglik_null)
    return (
        "Firth's penalized likelihood (R's logistf, brglm2): estimates finite "
        "under separation. Standard errors are sqrt(diag((X'WX)^-1)) (brglm2's; "
        "logistf >= 1.24.1 reports smaller ones); prefer "
        "conf_int(method='profile') and lr_p_values(). Log-likelihood, LR chi2, "
        "AIC and deviance above are unpenalized, at these estimates. Penalized "
        f"log-likelihood {res.penalized_loglik:.4f}; penalized LR test "
        f"{stat:.4f} on {df} df, p = {chi2.sf(stat, df):.4g}."
    )


def _flic(res, likelihood: LogLikelihood, beta: np.ndarray):
    """Firth's slopes, the intercept refitted by maximum likelihood."""
    only_intercept = np.zeros(beta.size, dtype=bool)
    only_intercept[0] = True
    fit = newton(Restricted(likelihood, only_intercept, beta), beta[:1])
    beta = beta.copy()
    beta[0] = fit.beta[0]
    free = res.refit.free
    evaluation = likelihood(beta, True)
    info = evaluation.info[np.ix_(free, free)]
    return replace(
        res,
        coef=beta[free],
        cov_array=np.linalg.inv(info),
        loglik=evaluation.value,
        message=res.message + "; FLIC intercept",
        # Profiles and LR tests are Firth's: fit penalty="firth" for them (the
        # slopes are the same); around FLIC's intercept they would be wrong.
        refit=None,
    )


@dataclass(frozen=True)
class FlacLikelihood:
    """FLAC's objective over ``theta = (beta, gamma)``: the likelihood of the
    data plus that of the pseudo-observations (see the module's docstring),
    ``gamma`` being the coefficient of the pseudo-observation indicator."""

    likelihood: LogLikelihood
    firth_beta: np.ndarray
    inverse: np.ndarray  # (X'VX)^-1 at the Firth estimate, padded with zeros

    @property
    def _jacobian(self) -> np.ndarray:
        """``d beta_aug / d theta``: the pseudo-rows' intercept slot holds the
        intercept (if any) plus gamma."""
        k = self.firth_beta.size
        shift = 0 if self.likelihood.fit_intercept else 1
        J = np.zeros((k + shift, k + 1))
        J[shift:, :k] = np.eye(k)
        J[0, k] = 1.0
        return J

    def __call__(self, theta: np.ndarray, derivatives: bool = True) -> Evaluation:
        beta = theta[:-1]
        J = self._jacobian
        base = self.likelihood(beta, True)
        ll, score, info, weight_sum, *_ = self.likelihood.backend.map_sum(
            kernels.flac_pseudo_sums,
            J @ theta,
            self.firth_beta,
            self.likelihood.fit_intercept,
            self.inverse,
        )
        value = base.value + float(ll)
        if not derivatives:
            return Evaluation(value)
        k = beta.size
        full_score = J.T @ score
        full_score[:k] += base.score
        full_info = J.T @ info @ J
        full_info[:k, :k] += base.info
        return Evaluation(
            value,
            full_score,
            full_info,
            base.weight_sum + float(weight_sum),
            unit=base.unit,
        )


def _flac(res, likelihood: LogLikelihood, beta: np.ndarray):
    """Maximum likelihood on the data augmented by FLAC's pseudo-rows."""
    free = res.refit.free
    inverse = np.zeros((beta.size, beta.size))
    inverse[np.ix_(free, free)] = res.cov_array
    objective = FlacLikelihood(likelihood, beta, inverse)
    theta_free = np.append(free, True)
    restricted = Restricted(objective, theta_free, np.zeros(beta.size + 1))
    fit = newton(restricted, np.append(beta[free], 0.0), tol=res.refit.tol)
    k = int(free.sum())
    cov = cho_inverse(fit.cho)[:k, :k]
    theta = restricted.expand(fit.beta)
    return replace(
        res,
        coef=fit.beta[:k],
        cov_array=cov,
        loglik=likelihood(theta[:-1], False).value,
        penalized_loglik=fit.evaluation.value,
        converged=res.converged and fit.converged,
        message=res.message + "; FLAC",
        refit=None,  # LR tests and profiles would need the augmented data
    )


PENALTY_NOTES.update(dict.fromkeys(FIRTH_PENALTIES, firth_note))
