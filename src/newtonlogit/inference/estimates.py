"""What every results object with one vector of estimates derives the same
way: the covariance as a frame, standard errors, Wald statistics and their
p-values. A family's results class inherits it and holds ``coef``,
``coef_names`` and ``cov_array`` (under its ``cov_type``)."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from ..data.checks import frozen_array
from .stats import two_sided_p


class VectorEstimates:
    """Derived quantities of ``coef`` (k,) and ``cov_array`` (k, k)."""

    @property
    def cov(self) -> pd.DataFrame:
        """Covariance matrix of the estimates under ``cov_type`` (by default the
        inverse information; see :mod:`newtonlogit.inference.covariance`)."""
        names = list(self.coef_names)
        return pd.DataFrame(self.cov_array, index=names, columns=names)

    @cached_property
    def _std_errors(self) -> np.ndarray:
        return frozen_array(np.sqrt(np.diag(self.cov_array)))

    @property
    def std_errors(self) -> pd.Series:
        """``sqrt(diag(cov))``, computed at the final estimate."""
        return pd.Series(self._std_errors, index=list(self.coef_names), name="std_err")

    @cached_property
    def _z(self) -> np.ndarray:
        return frozen_array(self.coef / self._std_errors)

    @property
    def z_values(self) -> pd.Series:
        """Wald statistics ``coef / std_err`` (under ``cov_type``)."""
        return pd.Series(self._z, index=list(self.coef_names), name="z")

    @property
    def p_values(self) -> pd.Series:
        """Two-sided p-values ``2 sf(|z|)`` of the Wald statistics."""
        return pd.Series(
            two_sided_p(self._z), index=list(self.coef_names), name="p_value"
        )


__all__ = ["VectorEstimates"]
