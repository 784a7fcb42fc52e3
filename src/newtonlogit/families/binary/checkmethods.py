"""The model-checking methods of :class:`~newtonlogit.LogitResults`.

Every method takes the rows to check as ``predict`` takes new rows: ``X, y``
(with ``weights`` and ``offset`` as in the fit), or ``data=`` after a formula
fit; with no rows at all, the fit's own training data (through ``refit``).
Definitions and their R and Stata counterparts are in ``docs/method.md``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from scipy import special

from ...inference import discrimination
from . import diagnostics
from .checking import check_data, in_memory, influence_frame

RESIDUALS = (
    "response",
    "working",
    "pearson",
    "deviance",
    "std_pearson",
    "std_deviance",
    "studentized",
)


class ModelChecks:
    """Residuals, influence, goodness of fit, discrimination and calibration."""

    def influence(
        self,
        X: Any = None,
        y: Any = None,
        *,
        data: Any = None,
        weights: Any = None,
        offset: Any = None,
        patterns: bool = False,
    ):
        """Residuals and influence of every row, one column a measure.

        Columns: ``fitted`` (p), ``linear_predictor``, ``hat`` (R
        ``hatvalues``), the residuals ``response``, ``working``, ``pearson``,
        ``deviance`` (R ``residuals.glm``), ``std_pearson``, ``std_deviance``
        (R ``rstandard``), ``studentized`` (R ``rstudent``),
        ``cooks_distance`` (R ``cooks.distance``), Hosmer and Lemeshow's
        ``delta_chi2``, ``delta_deviance`` and ``delta_beta`` (Stata
        ``predict, dx2 dd dbeta`` with one row a pattern), and
        ``dfbeta_<coef>``, ``dfbetas_<coef>`` for each estimated coefficient
        (R ``dfbeta``, ``dfbetas``). With ``patterns=True`` the columns
        ``pattern_*`` add the same measures per covariate pattern (rows with
        equal covariates pooled), as Stata computes ``dx2 dd dbeta`` by default.

        A DataFrame with the rows' index; on Dask a lazy Dask DataFrame
        (``patterns`` needs the rows in memory).
        """
        check = check_data(self, X, y, data=data, weights=weights, offset=offset)
        if patterns and not in_memory(check):
            raise ValueError(
                "covariate patterns are found in memory: pass NumPy or pandas rows"
            )
        frame = influence_frame(check)
        if not patterns:
            return frame
        from .gof import pattern_measures

        extra = pattern_measures(
            check, frame["linear_predictor"].to_numpy(), frame["hat"].to_numpy()
        )
        extra.index = frame.index
        return pd.concat([frame, extra], axis=1)

    def residuals(
        self,
        X: Any = None,
        y: Any = None,
        *,
        kind: str = "deviance",
        data: Any = None,
        weights: Any = None,
        offset: Any = None,
    ):
        """Residuals of one ``kind``: ``"response"``, ``"working"``,
        ``"pearson"``, ``"deviance"`` (R ``residuals.glm``), ``"std_pearson"``,
        ``"std_deviance"`` (R ``rstandard``) or ``"studentized"`` (R
        ``rstudent``). A column of :meth:`influence`."""
        if kind not in RESIDUALS:
            raise ValueError(f"kind must be one of {RESIDUALS}; got {kind!r}")
        frame = self.influence(X, y, data=data, weights=weights, offset=offset)
        return frame[kind]

    def gof(
        self,
        X: Any = None,
        y: Any = None,
        *,
        data: Any = None,
        weights: Any = None,
        offset: Any = None,
        groups: int = 10,
    ):
        """Goodness-of-fit tests (a :class:`~newtonlogit.families.binary.gof.
        GoodnessOfFit`: ``table``, ``hosmer_lemeshow_table``, ``as_text()``):
        Hosmer-Lemeshow with ``groups`` groups, Pearson chi-square and deviance
        over covariate patterns, and le Cessie-van Houwelingen-Copas-Hosmer."""
        from .gof import goodness_of_fit

        check = check_data(self, X, y, data=data, weights=weights, offset=offset)
        return goodness_of_fit(check, groups)

    def _scored(self, X, y, data, weights, offset):
        check = check_data(self, X, y, data=data, weights=weights, offset=offset)
        (eta,) = check.backend.map_rows(
            diagnostics.linear_predictor_rows,
            check.beta,
            check.design.fit_intercept,
            columns=(None,),
        )
        events, non_events = check.outcomes()
        return check.host(eta), events, non_events

    def roc(
        self,
        X: Any = None,
        y: Any = None,
        *,
        data: Any = None,
        weights: Any = None,
        offset: Any = None,
    ) -> discrimination.ROC:
        """ROC curve and AUC of the fitted probabilities on these rows, with
        DeLong's standard error and interval (``.auc``, ``.se``,
        ``.conf_int()``, ``.curve``; see
        :class:`~newtonlogit.inference.discrimination.ROC`). Compare two
        models on the same rows with :func:`newtonlogit.roc_test`."""
        eta, events, non_events = self._scored(X, y, data, weights, offset)
        return discrimination.ROC(special.expit(eta), events, non_events)

    def classification_table(
        self,
        X: Any = None,
        y: Any = None,
        *,
        cutoff: float = 0.5,
        data: Any = None,
        weights: Any = None,
        offset: Any = None,
    ) -> pd.Series:
        """Stata's ``estat classification``: rows with fitted probability at
        least ``cutoff`` classified as events; counts, sensitivity,
        specificity, predictive values, correctly classified."""
        eta, events, non_events = self._scored(X, y, data, weights, offset)
        return discrimination.classification_table(
            special.expit(eta), events, non_events, float(cutoff)
        )

    def calibration(
        self,
        X: Any = None,
        y: Any = None,
        *,
        data: Any = None,
        weights: Any = None,
        offset: Any = None,
    ) -> pd.Series:
        """Brier score, calibration intercept and slope (the logistic
        regression of the outcome on the linear predictor, rms ``val.prob``)
        and calibration-in-the-large (the intercept with the linear predictor
        as offset)."""
        eta, events, non_events = self._scored(X, y, data, weights, offset)
        brier = discrimination.brier_score(special.expit(eta), events, non_events)
        cal = discrimination.calibration(eta, events, non_events)
        return pd.concat([pd.Series({"brier": brier}), cal]).rename("calibration")


__all__ = ["RESIDUALS", "ModelChecks"]
