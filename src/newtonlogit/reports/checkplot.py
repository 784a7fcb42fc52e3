"""Figures of model checking, re-exported by :mod:`newtonlogit.reports.plot`.

Each takes what a results object's checking method returned (the influence
frame of ``res.influence(...)``, the ``res.gof(...)`` tests, the
``res.roc(...)`` curve), so no data are read twice, and returns a
:class:`matplotlib.figure.Figure` (or draws into ``ax=``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..exceptions import DataError
from .figure import _figure

LABELS = {
    "hat": "leverage (hat value)",
    "cooks_distance": "Cook's distance",
    "delta_chi2": "delta chi-square",
    "delta_deviance": "delta deviance",
    "delta_beta": "delta beta-hat",
    "std_pearson": "standardized Pearson residual",
    "std_deviance": "standardized deviance residual",
    "studentized": "studentized residual",
}


def _column(frame: Any, name: str) -> np.ndarray:
    if not isinstance(frame, pd.DataFrame):
        if hasattr(frame, "compute"):  # a lazy Dask frame: one column is read
            return np.asarray(frame[name].compute())
        raise DataError("pass the DataFrame that res.influence(...) returned")
    if name not in frame.columns:
        raise DataError(f"the influence frame has no column {name!r}")
    return frame[name].to_numpy()


def index_plot(
    influence: Any,
    measure: str = "cooks_distance",
    *,
    label: int = 3,
    ax=None,
    figsize=None,
    dpi=100,
):
    """One measure of every row against the row's position (index plot), the
    ``label`` largest marked with their index labels.

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
    >>> fig = nl.plot.index_plot(res.influence(data=df), "hat")
    >>> fig.axes[0].get_title()
    'leverage (hat value) by row'
    """
    values = _column(influence, measure)
    fig, ax = _figure(ax, figsize, dpi)
    position = np.arange(values.size)
    ax.vlines(position, 0, values, color="C0", lw=1)
    ax.plot(position, values, "o", ms=3, color="C0")
    index = getattr(influence, "index", pd.RangeIndex(values.size))
    for i in np.argsort(-np.nan_to_num(values, nan=-np.inf))[:label]:
        ax.annotate(
            str(index[i]),
            (i, values[i]),
            fontsize=8,
            xytext=(3, 3),
            textcoords="offset points",
        )
    ax.set(xlabel="row", ylabel=LABELS.get(measure, measure))
    ax.set_title(f"{LABELS.get(measure, measure)} by row")
    return fig


def delta_chi2(influence: Any, *, ax=None, figsize=None, dpi=100):
    """Hosmer and Lemeshow's diagnostic figure: delta chi-square against the
    fitted probability, each point's area proportional to delta beta-hat
    (per covariate pattern when the frame has the ``pattern_*`` columns).

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
    >>> fig = nl.plot.delta_chi2(res.influence(data=df))
    >>> fig.axes[0].get_title()
    'Delta chi-square (area: delta beta-hat)'
    """
    patterned = isinstance(influence, pd.DataFrame) and "pattern" in influence
    prefix = "pattern_" if patterned else ""
    fitted = _column(influence, "fitted")
    dx2 = _column(influence, prefix + "delta_chi2")
    dbeta = _column(influence, prefix + "delta_beta")
    if patterned:  # one point a pattern
        first = ~influence["pattern"].duplicated().to_numpy()
        fitted, dx2, dbeta = fitted[first], dx2[first], dbeta[first]
    scale = np.nanmax(dbeta) if np.isfinite(dbeta).any() else 1.0
    size = 10 + 300 * np.nan_to_num(dbeta) / (scale or 1.0)
    fig, ax = _figure(ax, figsize, dpi)
    ax.scatter(fitted, dx2, s=size, facecolors="none", edgecolors="C0")
    ax.set(xlabel="fitted probability", ylabel="delta chi-square", xlim=(0, 1))
    title = "Delta chi-square (area: delta beta-hat)"
    ax.set_title(title + (", by covariate pattern" if patterned else ""))
    return fig


def residuals_fitted(
    influence: Any, kind: str = "std_deviance", *, ax=None, figsize=None, dpi=100
):
    """Residuals of one kind against the fitted probability, with the zero
    line and the lines at -2 and 2.

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
    >>> fig = nl.plot.residuals_fitted(res.influence(data=df), "studentized")
    >>> fig.axes[0].get_ylabel()
    'studentized residual'
    """
    fitted, residual = _column(influence, "fitted"), _column(influence, kind)
    fig, ax = _figure(ax, figsize, dpi)
    ax.plot(fitted, residual, "o", ms=3, alpha=0.7, color="C0")
    for level, style in ((0, "-"), (-2, ":"), (2, ":")):
        ax.axhline(level, color="0.6", ls=style, lw=1)
    ax.set(xlabel="fitted probability", ylabel=LABELS.get(kind, kind), xlim=(0, 1))
    ax.set_title("Residuals against fitted values")
    return fig


def hosmer_lemeshow(gof: Any, *, ax=None, figsize=None, dpi=100):
    """Observed against expected events in the Hosmer-Lemeshow groups of
    ``res.gof(...)``, with the test in the title.

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
    >>> fig = nl.plot.hosmer_lemeshow(res.gof(data=df))
    >>> fig.axes[0].get_title()
    'Hosmer-Lemeshow: chi2(8) = 3.29, p = 0.915'
    """
    table = getattr(gof, "hosmer_lemeshow_table", None)
    if table is None:
        raise DataError("pass what res.gof(...) returned")
    expected, observed = table.expected_events, table.observed_events
    top = float(max(expected.max(), observed.max())) * 1.05 or 1.0
    fig, ax = _figure(ax, figsize, dpi)
    ax.plot([0, top], [0, top], color="0.6", ls="--", lw=1)
    ax.plot(expected, observed, "o", color="C0")
    for i, (e, o) in enumerate(zip(expected, observed)):
        ax.annotate(
            str(i + 1), (e, o), fontsize=8, xytext=(3, -9), textcoords="offset points"
        )
    row = gof.table.loc["Hosmer-Lemeshow"]
    ax.set(
        xlabel="expected events", ylabel="observed events", xlim=(0, top), ylim=(0, top)
    )
    ax.set_aspect("equal")
    ax.set_title(
        f"Hosmer-Lemeshow: chi2({int(row.df)}) = {row.statistic:.2f}, "
        f"p = {row.p_value:.3g}"
    )
    return fig


def roc_band(roc: Any, *, level: float = 0.95, ax=None, figsize=None, dpi=100):
    """The ROC curve of ``res.roc(...)`` with a pointwise band for the
    sensitivity at each threshold (Wilson score interval over the events) and
    DeLong's interval of the AUC in the legend.

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
    >>> roc = res.roc(data=df)
    >>> roc
    <ROC: AUC 0.8899 (DeLong 95% CI 0.8534-0.9264), 159 events, 141 non-events>
    >>> fig = nl.plot.roc_band(roc)
    >>> fig.axes[0].get_legend().get_texts()[1].get_text()
    'AUC 0.890 (0.853-0.926)'
    """
    curve = roc.curve
    events = float(np.sum(roc.events))
    low, high = _wilson(curve.sensitivity.to_numpy(), events, level)
    lower_auc, upper_auc = roc.conf_int(level)
    fig, ax = _figure(ax, figsize, dpi)
    fpr = curve.false_positive_rate.to_numpy()
    ax.fill_between(
        fpr, low, high, color="C0", alpha=0.2, label=f"{100 * level:g}% pointwise band"
    )
    ax.plot(
        fpr,
        curve.sensitivity,
        color="C0",
        lw=2,
        label=f"AUC {roc.auc:.3f} ({lower_auc:.3f}-{upper_auc:.3f})",
    )
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1)
    ax.set(xlabel="1 - specificity", ylabel="sensitivity", xlim=(0, 1), ylim=(0, 1.01))
    ax.set_aspect("equal")
    ax.set_title("ROC curve")
    ax.legend(loc="lower right", frameon=False)
    return fig


def _wilson(share, n: float, level: float):
    z = ndtri(0.5 + level / 2)
    centre = (share + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(share * (1 - share) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


__all__ = [
    "delta_chi2",
    "hosmer_lemeshow",
    "index_plot",
    "residuals_fitted",
    "roc_band",
]
