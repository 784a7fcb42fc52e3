"""Predicted level probabilities with intervals, and marginal effects on them.

Pure functions of estimates, their covariance and sums computed at fit time
(:func:`.kernels.margin_sums`); never of data.

With ``t_j = zeta_j - eta``, ``F`` the logistic function and ``f = F (1 - F)``
its density, ``P(Y = j) = F(t_j) - F(t_{j-1})`` (``F(t_{-1}) = 0``,
``F(t_{J-1}) = 1``), so ``dP(Y = j)/deta = f(t_{j-1}) - f(t_j) = G_j`` and
the marginal effect of column ``k`` is ``b_k G_j``: the effects on the ``J``
levels sum to zero. Standard errors by the delta method, ``J V J'``, with the
analytic Jacobians below (``f' = f (1 - 2 F)``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...inference import stats as inference
from ...kernels.block import expit


def _pad(values: np.ndarray) -> np.ndarray:
    """``values`` over the cuts, with a zero row before and after (the
    infinite thresholds of the first and last levels)."""
    zero = np.zeros((1, *values.shape[1:]))
    return np.concatenate([zero, values, zero])


def probability_frame(eta, zeta, X, cov, levels, level, index=None) -> pd.DataFrame:
    """Level probabilities of new rows with delta-method ``se`` and intervals.

    ``X`` holds the columns of the estimated slopes, ``cov`` the covariance of
    (thresholds, those slopes). The interval is the Wald interval of
    ``logit P`` mapped back through ``expit``, so it lies in (0, 1).
    """
    crit = inference.critical_value(level)
    n_cuts = zeta.size
    t = zeta[None, :] - eta[:, None]
    F = expit(np, t)
    density = _pad((F * expit(np, -t)).T).T  # (n, J + 1)
    cumulative = np.column_stack([np.zeros(len(eta)), F, np.ones(len(eta))])
    frames = []
    for j in range(n_cuts + 1):
        p = cumulative[:, j + 1] - cumulative[:, j]
        grad_zeta = np.zeros((len(eta), n_cuts))
        if j < n_cuts:
            grad_zeta[:, j] = density[:, j + 1]
        if j > 0:
            grad_zeta[:, j - 1] = -density[:, j]
        grad = np.column_stack(
            [grad_zeta, -(density[:, j + 1] - density[:, j])[:, None] * X]
        )
        se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", grad, cov, grad), 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            logit = np.log(p) - np.log1p(-p)
            half = crit * se / (p * (1.0 - p))
        frames.append(
            pd.DataFrame(
                {
                    "probability": p,
                    "se": se,
                    "lower": expit(np, logit - half),
                    "upper": expit(np, logit + half),
                }
            )
        )
    rows = np.arange(len(eta)) if index is None else np.asarray(index)
    out = pd.concat(frames, ignore_index=True)
    # level-major blocks -> row-major order
    order = np.arange(len(out)).reshape(n_cuts + 1, len(eta)).T.ravel()
    out = out.iloc[order].reset_index(drop=True)
    out.index = pd.MultiIndex.from_arrays(
        [
            np.repeat(rows, n_cuts + 1),
            np.tile(np.array(levels, dtype=object), len(eta)),
        ],
        names=["row", "level"],
    )
    return out


def marginal_effects(
    theta, cov, margins, keep, feature_names, levels, at, level
) -> pd.DataFrame:
    """``dP(Y = j)/dx_k`` for every level ``j`` and estimated column ``k``.

    ``theta`` holds the thresholds and a slope for every training column
    (aliased ones 0, left out by ``keep``); ``cov`` is the covariance of the
    estimated parameters. ``at="overall"`` uses the sums at the training
    rows, ``at="mean"`` evaluates at the mean row.
    """
    n_cuts = len(levels) - 1
    b = theta[n_cuts:]
    if at == "overall":
        D, E, Q = margins["density"], margins["slope"], margins["slope_x"]
    elif at == "mean":
        x_mean = np.asarray(margins["x_mean"])
        t = theta[:n_cuts] - (x_mean @ b + margins["offset_mean"])
        F = expit(np, t)
        D = F * (1.0 - F)
        E = D * (1.0 - 2.0 * F)
        Q = E[:, None] * x_mean[None, :]
    else:
        raise ValueError(f"at must be 'overall' or 'mean'; got {at!r}")
    D, E, Q = _pad(np.asarray(D)), _pad(np.asarray(E)), _pad(np.asarray(Q))
    free = np.concatenate([np.ones(n_cuts, dtype=bool), keep])
    columns = np.flatnonzero(keep)
    rows, effects, jacobian = [], [], []
    for j, name in enumerate(levels):
        G = D[j] - D[j + 1]
        dG = np.zeros(theta.size)
        if j > 0:
            dG[j - 1] += E[j]
        if j < n_cuts:
            dG[j] -= E[j + 1]
        dG[n_cuts:] = Q[j + 1] - Q[j]
        for k in columns:
            row = b[k] * dG
            row[n_cuts + k] += G
            jacobian.append(row[free])
            effects.append(b[k] * G)
            rows.append((name, feature_names[k]))
    jac = np.array(jacobian)
    effect = np.array(effects)
    se = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", jac, cov, jac), 0.0))
    crit = inference.critical_value(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = effect / se
    return pd.DataFrame(
        {
            "dydx": effect,
            "std_err": se,
            "z": z,
            "p_value": inference.two_sided_p(z),
            "lower": effect - crit * se,
            "upper": effect + crit * se,
        },
        index=pd.MultiIndex.from_tuples(rows, names=["level", "column"]),
    )
