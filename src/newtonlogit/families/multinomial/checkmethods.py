"""Discrimination, Brier score and residuals of a multinomial fit.

The rows are taken as ``predict`` takes them (``X, y`` or, after a formula
fit, ``data=``), in memory. Each class is scored one-vs-rest: its ROC curve
has the rows of that class as events and every other row as non-events,
scored by the fitted probability of the class (as ``sklearn``'s
``roc_auc_score(multi_class="ovr")`` and pROC on the indicator do).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ...data.checks import as_vector
from ...data.inputs import resolve_inputs
from ...exceptions import DataError
from ...inference.discrimination import ROC


class MultinomialChecks:
    """One-vs-rest ROC curves, Brier score and per-class residuals."""

    def _observed(self, X, y, data, weights, offset):
        """``(probabilities, indicators, weights)``, classes in ``classes`` order."""
        if self.model_spec is not None:
            if data is None:
                raise ValueError("the model was fitted with a formula: pass data=")
            inputs = resolve_inputs(
                self.model_spec.formula,
                None,
                data=data,
                weights=weights,
                offset=offset,
                missing="raise",
                fit_intercept=self.fit_intercept,
                feature_names=None,
            )
            X, y, weights, offset = data, inputs.y, inputs.weights, inputs.offset
        elif X is None or y is None:
            raise ValueError("pass the rows to check: X and y")
        probabilities = self.predict(X, offset)
        labels = np.asarray(y).ravel()
        n = probabilities.shape[0]
        if labels.shape[0] != n:
            raise DataError(f"y has {labels.shape[0]} rows but X has {n}")
        indicators = np.column_stack([labels == c for c in self.classes]).astype(float)
        unknown = indicators.sum(axis=1) == 0
        if unknown.any():
            row = int(np.flatnonzero(unknown)[0])
            raise DataError(
                f"y has the label {labels[row]!r} at row {row}, which is not one "
                f"of the model's classes {list(self.classes)}"
            )
        w = np.ones(n) if weights is None else as_vector(weights, n, "weights")
        return probabilities, indicators, w

    def roc(
        self,
        X: Any = None,
        y: Any = None,
        *,
        data: Any = None,
        weights: Any = None,
        offset: Any = None,
    ) -> dict:
        """One-vs-rest ROC curve of every class, ``{class: ROC}`` (each with
        its AUC and DeLong's standard error and interval; see
        :class:`~newtonlogit.inference.discrimination.ROC`)."""
        p, indicators, w = self._observed(X, y, data, weights, offset)
        return {
            c: ROC(p[:, k], w * indicators[:, k], w * (1 - indicators[:, k]))
            for k, c in enumerate(self.classes)
        }

    def brier_score(
        self,
        X: Any = None,
        y: Any = None,
        *,
        data: Any = None,
        weights: Any = None,
        offset: Any = None,
    ) -> float:
        """Brier's multi-class score ``sum_i w_i sum_k (1{y_i = k} - p_ik)^2 /
        sum_i w_i`` (0 for perfect predictions, at most 2)."""
        p, indicators, w = self._observed(X, y, data, weights, offset)
        return float(w @ ((indicators - p) ** 2).sum(axis=1) / w.sum())

    def residuals(
        self,
        X: Any = None,
        y: Any = None,
        *,
        kind: str = "pearson",
        data: Any = None,
        weights: Any = None,
        offset: Any = None,
    ) -> pd.DataFrame:
        """Residuals of every row for every class, one column a class:
        ``"response"``, ``1{y = k} - p_k``, or ``"pearson"``, the response
        residual over ``sqrt(p_k (1 - p_k))`` (times ``sqrt(w)`` when weighted)."""
        if kind not in ("response", "pearson"):
            raise ValueError(f"kind must be 'response' or 'pearson'; got {kind!r}")
        p, indicators, w = self._observed(X, y, data, weights, offset)
        r = indicators - p
        if kind == "pearson":
            r = np.sqrt(w)[:, None] * r / np.sqrt(p * (1 - p))
        source = data if self.model_spec is not None else X
        index = getattr(source, "index", None)
        return pd.DataFrame(r, columns=list(self.classes), index=index)


__all__ = ["MultinomialChecks"]
