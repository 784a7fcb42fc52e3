"""The Brant (1990) test of the proportional-odds assumption.

The ordinal model says that the ``J - 1`` binary logits of ``Y > j`` share one
coefficient vector. Brant fits them separately, ``logit P(Y > j) = a_j + x'b_j``
(by Newton, on the same rows, weights and offset, through the backend), and
tests ``b_1 = ... = b_{J-1}`` by a Wald test on the stacked ``b*`` with the
covariance of the separate estimates derived in his paper:

    Cov(b~_m, b~_l) = (X~' W_m X~)^{-1} (X~' W_ml X~) (X~' W_l X~)^{-1},

``W_ml = diag(w pi_l (1 - pi_m))`` for ``m <= l`` (``pi_j`` the fitted
``P(Y > j)`` of fit ``j``, ``X~`` with the intercept column), of which the
slope rows and columns are kept. With ``D`` the contrasts ``b_1 - b_j``
(``j = 2..J-1``), ``X2 = (D b*)' (D V D')^{-1} (D b*)`` is chi-squared with
``(J - 2) p`` degrees of freedom (omnibus), and the rows of ``D`` of one
column give that column's test with ``J - 2``. This is what R's ``brant``
package computes (Schlegel and Steenbergen).

Brant, R. (1990). Assessing proportionality in the proportional odds model
for ordinal logistic regression. *Biometrics* 46, 1171-1178.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import linalg, stats

from ...backends import is_dask
from ...backends.namespace import namespace_of
from ...solver.newton import newton
from ..binary.separation import SeparationMonitor
from . import kernels
from .objective import SplitLikelihood


def _split_monitor(design, cut: int) -> SeparationMonitor:
    """The binary fit's separation monitor, on the binary response ``y > cut``
    (a separated split has no MLE, and no test)."""
    above = design.y > cut
    if is_dask(above):
        above = above.astype(np.float64)
    else:
        xp = namespace_of(above)
        above = xp.astype(above, xp.float64)
    split = replace(
        design,
        y=above,
        trials=None,
        fit_intercept=True,
        classes=(0, 1),
    )
    return SeparationMonitor(split, np.ones(len(split.coef_names), dtype=bool))


def brant_test(res) -> pd.DataFrame:
    """Brant's test for the fitted ordinal model ``res`` (needs its data).

    Returns a DataFrame indexed by ``"Omnibus"`` and each column, with
    ``chi2``, ``df`` and ``p_value``.
    """
    refit = res._need_refit("the Brant test")
    if len(res.levels) < 3:
        raise ValueError("the Brant test needs at least three levels")
    if res.aliased:
        raise ValueError(
            f"the Brant test needs a model without aliased columns ({res.aliased})"
        )
    backend = refit.objective.backend
    n_cuts, p = res.n_cuts, len(res.feature_names)
    zeta, b = res.coef[:n_cuts], res.coef[n_cuts:]
    betas = []
    for cut in range(n_cuts):
        monitor = _split_monitor(backend.design, cut)
        fit = newton(
            SplitLikelihood(backend, cut, refit.objective.unit),
            np.concatenate([[-zeta[cut]], b]),
            tol=refit.tol,
            max_iter=refit.max_iter,
            monitor=monitor,
        )
        if not fit.converged:
            raise ValueError(
                f"the Brant test's binary fit of Y > {res.levels[cut]!r} did not "
                f"converge ({fit.message}): the test is not available"
            )
        betas.append(np.asarray(fit.beta))
    (grams,) = backend.map_sum(kernels.brant_grams, np.array(betas))
    pairs = [(m, l) for m in range(n_cuts) for l in range(m, n_cuts)]  # noqa: E741
    gram = dict(zip(pairs, grams))
    inverse = [linalg.inv(gram[(m, m)]) for m in range(n_cuts)]
    V = np.zeros((n_cuts * p, n_cuts * p))
    for m, l in pairs:  # noqa: E741
        block = (inverse[m] @ gram[(m, l)] @ inverse[l])[1:, 1:]
        V[m * p : (m + 1) * p, l * p : (l + 1) * p] = block
        V[l * p : (l + 1) * p, m * p : (m + 1) * p] = block.T
    stacked = np.concatenate([beta[1:] for beta in betas])
    D = np.zeros(((n_cuts - 1) * p, n_cuts * p))
    for r in range(1, n_cuts):
        D[(r - 1) * p : r * p, :p] = np.eye(p)
        D[(r - 1) * p : r * p, r * p : (r + 1) * p] = -np.eye(p)
    rows = {"Omnibus": np.arange(D.shape[0])}
    for k, name in enumerate(res.feature_names):
        rows[name] = np.arange(n_cuts - 1) * p + k
    out = {}
    for name, index in rows.items():
        contrast = D[index] @ stacked
        cov = D[index] @ V @ D[index].T
        chi2 = float(contrast @ linalg.solve(cov, contrast, assume_a="pos"))
        out[name] = (chi2, len(index), float(stats.chi2.sf(chi2, len(index))))
    return pd.DataFrame.from_dict(
        out, orient="index", columns=["chi2", "df", "p_value"]
    )
