"""Covariance of the estimates: model-based, heteroskedasticity-robust, cluster.

Every estimator is a sandwich ``B M B * scale`` around the bread ``B``, the
inverse information at the estimate; each entry of the registry overrides only
the meat ``M`` (and its small-sample scale), as in linearmodels'
``COVARIANCE_ESTIMATORS``. Meats are sums over rows, computed by kernels of
 the fitted family (its ``robust_meat`` and ``cluster_scores``) mapped over row
blocks with ``backend.map_sum``, so they run on every backend and family and
never form an ``n x n`` matrix.

Conventions
-----------
- ``n`` is the number of rows with positive weight (R's ``nobs``), ``k`` the
  number of estimated coefficients, ``G`` the number of clusters.
- Weights are frequency weights: a weighted row contributes as that many
  identical rows (``w_i r_i^2``, not R's prior-weight ``w_i^2 r_i^2``). With
  unit weights every estimator equals R sandwich's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..backends.namespace import to_numpy
from ..exceptions import DataError


@dataclass(frozen=True)
class CovarianceInputs:
    """What a meat needs: the data (through the backend), the estimate, and
    the family's kernels (a namespace with ``robust_meat`` and
    ``cluster_scores``)."""

    backend: Any
    kernels: Any
    beta: np.ndarray  # full-length estimate (aliased entries 0)
    free: np.ndarray  # bool mask of the estimated coefficients
    bread: np.ndarray  # (k, k) inverse information over the estimated ones
    fit_intercept: bool
    n_obs: int
    n_groups: int = 0

    def full_bread(self) -> np.ndarray:
        """The bread padded with zero rows/columns for aliased coefficients."""
        m = len(self.free)
        full = np.zeros((m, m))
        full[np.ix_(self.free, self.free)] = self.bread
        return full


class NonRobust:
    """The inverse information (R ``vcov(glm)``): no sandwich at all."""

    name: ClassVar[str] = "nonrobust"
    description: ClassVar[str] = "nonrobust (inverse information)"

    def cov(self, inputs: CovarianceInputs) -> np.ndarray:
        return inputs.bread


class HC0(NonRobust):
    """White's estimator: ``M = sum_i r_i^2 x_i x_i'``."""

    name = "HC0"
    description = "HC0 (robust)"
    power: ClassVar[int] = 0

    def meat(self, inputs: CovarianceInputs) -> np.ndarray:
        (meat,) = inputs.backend.map_sum(
            inputs.kernels.robust_meat,
            inputs.beta,
            inputs.fit_intercept,
            inputs.full_bread(),
            self.power,
        )
        return meat[np.ix_(inputs.free, inputs.free)]

    def scale(self, inputs: CovarianceInputs) -> float:
        return 1.0

    def cov(self, inputs: CovarianceInputs) -> np.ndarray:
        bread = inputs.bread
        sandwich = bread @ self.meat(inputs) @ bread * self.scale(inputs)
        return (sandwich + sandwich.T) / 2


class HC1(HC0):
    """HC0 scaled by ``n / (n - k)``."""

    name = "HC1"
    description = "HC1 (robust)"

    def scale(self, inputs: CovarianceInputs) -> float:
        n, k = inputs.n_obs, len(inputs.bread)
        return n / (n - k)


class HC2(HC0):
    """``M = sum_i r_i^2 / (1 - h_i) x_i x_i'`` with GLM leverages ``h_i``."""

    name = "HC2"
    description = "HC2 (robust)"
    power = 1


class HC3(HC0):
    """``M = sum_i r_i^2 / (1 - h_i)^2 x_i x_i'`` (jackknife-like)."""

    name = "HC3"
    description = "HC3 (robust)"
    power = 2


class Cluster(HC0):
    """CR1: ``M = sum_g s_g s_g'`` over per-cluster score sums, scaled by
    ``G / (G - 1) * (n - 1) / (n - k)`` (R sandwich ``vcovCL(type = "HC1")``)."""

    name = "cluster"
    description = "cluster (CR1)"

    def meat(self, inputs: CovarianceInputs) -> np.ndarray:
        (scores,) = inputs.backend.map_sum(
            inputs.kernels.cluster_scores,
            inputs.beta,
            inputs.fit_intercept,
            inputs.n_groups,
        )
        scores = scores[:, inputs.free]
        return scores.T @ scores

    def scale(self, inputs: CovarianceInputs) -> float:
        g, n, k = inputs.n_groups, inputs.n_obs, len(inputs.bread)
        return g / (g - 1) * (n - 1) / (n - k)


COVARIANCE_ESTIMATORS: dict[str, type[NonRobust]] = {
    cls.name: cls for cls in (NonRobust, HC0, HC1, HC2, HC3, Cluster)
}


def check_cov_type(cov_type: str, groups: Any) -> None:
    """Raise a ``ValueError`` for an unknown type or misplaced ``groups``."""
    if cov_type not in COVARIANCE_ESTIMATORS:
        raise ValueError(
            f"cov_type must be one of {list(COVARIANCE_ESTIMATORS)}; got {cov_type!r}"
        )
    if cov_type == "cluster" and groups is None:
        raise ValueError("cov_type='cluster' needs groups (one cluster label per row)")
    if cov_type != "cluster" and groups is not None:
        raise ValueError("groups are only used with cov_type='cluster'")


def group_codes(groups: Any, n_rows: int) -> tuple[np.ndarray, int]:
    """Integer codes ``0..G-1`` for cluster labels of any type, and ``G``."""
    labels = groups.to_numpy() if isinstance(groups, pd.Series | pd.Index) else groups
    labels = to_numpy(labels)  # (device labels: one transfer)
    if labels.ndim != 1:
        raise DataError(f"groups must be 1-D (one label per row); got {labels.shape}")
    if labels.shape[0] != n_rows:
        raise DataError(f"groups has {labels.shape[0]} rows but X has {n_rows}")
    missing = pd.isna(labels)
    if missing.any():
        raise DataError(
            f"groups has a missing label at row {int(np.flatnonzero(missing)[0])}"
        )
    codes, uniques = pd.factorize(labels)
    if len(uniques) < 2:
        raise DataError("cluster covariance needs at least two distinct groups")
    return codes.astype(np.intp), len(uniques)


def covariance(cov_type: str, inputs: CovarianceInputs) -> np.ndarray:
    """The covariance matrix of the estimates under ``cov_type``."""
    if not np.isfinite(inputs.bread).all():
        return inputs.bread
    return COVARIANCE_ESTIMATORS[cov_type]().cov(inputs)


def describe(cov_type: str) -> str:
    """How the summary names a covariance type."""
    return COVARIANCE_ESTIMATORS[cov_type].description
