"""Figures of a fitted model (matplotlib, the optional ``plot`` extra).

Each function returns a :class:`matplotlib.figure.Figure` built without pyplot
(no global state, nothing shown); save it with ``fig.savefig("f.png")``. Pass
``ax=`` to draw into an existing axes instead. Functions that compare the
model with data take the data and, for a formula fit, find the response in it
(``y=`` gives it otherwise).

- :func:`s_curve`: fitted probability against one predictor, the others held
  at their mean (numbers) or most common value (categories), over the data as
  jittered points;
- :func:`convergence`: change in coefficients and in log-likelihood by Newton
  iteration, log scale;
- :func:`roc`: ROC curve with its AUC;
- :func:`calibration`: observed event rate against mean predicted probability
  in bins of predicted probability;
- :func:`forest`: odds ratios with their intervals, log scale;
- :func:`overview`: the last four in one figure (``newtonlogit fit --plot``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..data.checks import INTERCEPT, as_array
from ..exceptions import DataError

# A fitted binary model (newtonlogit.LogitResults); not imported, so that this
# layer stays below the families.
LogitResults = Any

FIGSIZE = (6.4, 4.8)


def _figure(ax, figsize, dpi, nrows=1, ncols=1):
    if ax is not None:
        return ax.figure, ax
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise DataError(
            "plots need matplotlib: pip install 'newtonlogit[plot]'"
        ) from None
    fig = Figure(figsize=figsize or FIGSIZE, dpi=dpi, layout="constrained")
    axes = fig.subplots(nrows, ncols)
    return fig, axes


# -- data -------------------------------------------------------------------
def observed(results: LogitResults, data: Any, y: Any = None):
    """``(events, trials)`` per row of ``data``: the response the model was
    fitted to, from ``y`` or (formula fits) from the columns it names."""
    spec = results.model_spec
    if y is None:
        if spec is None or not _is_columns(spec.response, data):
            raise DataError(
                "pass y=: the response is not a column of data (a matrix fit or "
                "a response expression)"
            )
        y = (
            data[list(spec.response)]
            if len(spec.response) == 2
            else data[spec.response[0]]
        )
    arr = as_array(y)
    if arr.ndim == 2 and arr.shape[1] == 2:
        counts = arr.astype(np.float64)
        return counts[:, 0], counts[:, 0] + counts[:, 1]
    if results.classes is not None:
        event = results.classes[1]
        return (arr == event).astype(np.float64), np.ones(arr.shape[0])
    return arr.astype(np.float64), np.ones(arr.shape[0])


def _is_columns(names, data) -> bool:
    columns = getattr(data, "columns", ())
    return all(n in columns for n in names)


# -- figures ----------------------------------------------------------------
def s_curve(
    results: LogitResults,
    data: Any,
    x: str,
    y: Any = None,
    *,
    jitter: float = 0.04,
    seed: int = 0,
    ax=None,
    figsize=None,
    dpi: float = 100,
):
    """Fitted probability against predictor ``x`` over the jittered data.

    Other predictors are held at their mean (numeric) or most common value.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"dose": rng.uniform(0, 4, 300)})
    >>> df["died"] = rng.random(300) < 1 / (1 + np.exp(3 - 1.5 * df["dose"]))
    >>> res = nl.logit("died ~ dose", data=df)
    >>> fig = nl.plot.s_curve(res, df, "dose")
    >>> fig.axes[0].get_title()
    'Fitted probability against dose'
    >>> import os
    >>> import tempfile
    >>> fig.savefig(os.path.join(tempfile.mkdtemp(), "s_curve.png"))
    """
    frame = _pandas(data)
    if x not in frame.columns:
        raise DataError(f"s_curve: data has no column {x!r}")
    if not pd.api.types.is_numeric_dtype(frame[x]):
        raise DataError(f"s_curve: column {x!r} is not numeric")
    events, trials = observed(results, frame, y)
    grid_x = np.linspace(frame[x].min(), frame[x].max(), 200)
    categorical = _categorical_columns(results, frame.columns)
    grid = pd.DataFrame(
        {c: [_typical(frame[c], c in categorical)] * grid_x.size for c in frame.columns}
    )
    grid[x] = grid_x
    curve = results.predict(grid)
    fig, ax = _figure(ax, figsize, dpi)
    rng = np.random.default_rng(seed)
    share = np.divide(events, trials, out=np.zeros_like(events), where=trials > 0)
    noise = rng.uniform(-jitter, jitter, share.size)
    ax.scatter(frame[x], np.clip(share + noise, -0.1, 1.1), s=12, alpha=0.4, lw=0)
    ax.plot(grid_x, curve, color="C3", lw=2, label="fitted probability")
    ax.set(xlabel=x, ylabel="probability of the event", ylim=(-0.12, 1.12))
    ax.set_title(f"Fitted probability against {x}")
    ax.legend(loc="best", frameon=False)
    return fig


def _typical(column: pd.Series, categorical: bool):
    numeric = pd.api.types.is_numeric_dtype(column)
    if numeric and not categorical and not pd.api.types.is_bool_dtype(column):
        return column.mean()
    return column.mode(dropna=True).iloc[0]


def _categorical_columns(results: LogitResults, columns) -> set[str]:
    """Columns a formula encodes as categories (``C(rank)``): held at their
    most common value, since their mean may not be a level."""
    from ..data.formula import _single_variable

    spec = results.model_spec
    if spec is None:
        return set()
    found = set()
    for factor, (kind, _state) in spec.encoder_state.items():
        if kind == "categorical":
            found.add(_single_variable(factor, columns))
    return found - {None}


def convergence(results: LogitResults, *, ax=None, figsize=None, dpi: float = 100):
    """Largest change in a coefficient and change in log-likelihood per Newton
    iteration (log scale): quadratic convergence shows as a steepening line.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"dose": rng.uniform(0, 4, 300)})
    >>> df["died"] = rng.random(300) < 1 / (1 + np.exp(3 - 1.5 * df["dose"]))
    >>> res = nl.logit("died ~ dose", data=df)
    >>> fig = nl.plot.convergence(res)
    >>> fig.axes[0].get_title()
    'Convergence (5 iterations)'
    """
    history = results.history_table
    fig, ax = _figure(ax, figsize, dpi)
    it = history["iteration"].to_numpy()
    change = history["max_change"].to_numpy(dtype=np.float64)
    loglik = np.abs(
        np.diff(history["loglik"].to_numpy(dtype=np.float64), prepend=np.nan)
    )
    for values, label in (
        (change, "max |change in coefficients|"),
        (loglik, "|change in log-likelihood|"),
    ):
        shown = np.isfinite(values) & (values > 0)
        ax.plot(it[shown], values[shown], marker="o", label=label)
    ax.set_yscale("log")
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set(xlabel="Newton iteration", ylabel="change (log scale)")
    ax.set_title(f"Convergence ({results.n_iter} iterations)")
    ax.legend(loc="best", frameon=False)
    return fig


def roc_curve(probability, events, trials):
    """False- and true-positive rates (weighted by trials) and the AUC.

    Notes
    -----
    With rows sorted by decreasing probability, ``tpr`` and ``fpr`` are the
    cumulative shares of events and non-events above each distinct threshold;
    the AUC is the trapezoid area, which equals the Mann-Whitney probability
    that an event outranks a non-event (ties counting one half).
    """
    order = np.argsort(-np.asarray(probability), kind="stable")
    p = np.asarray(probability)[order]
    pos = np.asarray(events, dtype=np.float64)[order]
    neg = np.asarray(trials, dtype=np.float64)[order] - pos
    last = np.r_[np.flatnonzero(np.diff(p) != 0), p.size - 1]
    tp, fp = np.cumsum(pos)[last], np.cumsum(neg)[last]
    if tp[-1] == 0 or fp[-1] == 0:
        raise DataError("a ROC curve needs both events and non-events")
    tpr, fpr = np.r_[0.0, tp / tp[-1]], np.r_[0.0, fp / fp[-1]]
    return fpr, tpr, float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def roc(
    results: LogitResults, data: Any, y: Any = None, *, ax=None, figsize=None, dpi=100
):
    """ROC curve of the fitted probabilities on ``data``, AUC in the legend.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"dose": rng.uniform(0, 4, 300)})
    >>> df["died"] = rng.random(300) < 1 / (1 + np.exp(3 - 1.5 * df["dose"]))
    >>> res = nl.logit("died ~ dose", data=df)
    >>> fig = nl.plot.roc(res, df)
    >>> fig.axes[0].get_legend().get_texts()[0].get_text()
    'AUC = 0.868'

    Into an axes of a figure of your own:

    >>> import matplotlib.pyplot as plt
    >>> fig, axes = plt.subplots(1, 2)
    >>> _ = nl.plot.roc(res, df, ax=axes[0])
    >>> _ = nl.plot.calibration(res, df, ax=axes[1])
    >>> plt.close(fig)
    """
    frame = _pandas(data)
    events, trials = observed(results, frame, y)
    fpr, tpr, auc = roc_curve(results.predict(frame), events, trials)
    fig, ax = _figure(ax, figsize, dpi)
    ax.plot(fpr, tpr, color="C0", lw=2, label=f"AUC = {auc:.3f}")
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1)
    ax.set(
        xlabel="false positive rate",
        ylabel="true positive rate",
        xlim=(0, 1),
        ylim=(0, 1.01),
    )
    ax.set_aspect("equal")
    ax.set_title("ROC curve")
    ax.legend(loc="lower right", frameon=False)
    return fig


def calibration(
    results: LogitResults,
    data: Any,
    y: Any = None,
    *,
    bins: int = 10,
    ax=None,
    figsize=None,
    dpi=100,
):
    """Observed event rate against mean predicted probability in ``bins``
    groups of equal size by predicted probability, with binomial error bars.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"dose": rng.uniform(0, 4, 300)})
    >>> df["died"] = rng.random(300) < 1 / (1 + np.exp(3 - 1.5 * df["dose"]))
    >>> res = nl.logit("died ~ dose", data=df)
    >>> fig = nl.plot.calibration(res, df, bins=5)
    >>> fig.axes[0].get_title()
    'Calibration (5 bins)'
    """
    frame = _pandas(data)
    events, trials = observed(results, frame, y)
    p = results.predict(frame)
    groups = np.array_split(np.argsort(p, kind="stable"), min(bins, p.size))
    n = np.array([trials[g].sum() for g in groups])
    keep = n > 0
    mean_p = np.array(
        [
            np.average(p[g], weights=trials[g]) if k else np.nan
            for g, k in zip(groups, keep)
        ]
    )
    rate = np.array([events[g].sum() for g in groups]) / np.where(keep, n, 1)
    se = np.sqrt(np.clip(rate * (1 - rate), 0, None) / np.where(keep, n, 1))
    fig, ax = _figure(ax, figsize, dpi)
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=1, label="perfect calibration")
    ax.errorbar(
        mean_p[keep],
        rate[keep],
        yerr=1.96 * se[keep],
        fmt="o",
        capsize=3,
        label="observed",
    )
    ax.set(
        xlabel="mean predicted probability",
        ylabel="observed event rate",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.set_aspect("equal")
    ax.set_title(f"Calibration ({len(groups)} bins)")
    ax.legend(loc="upper left", frameon=False)
    return fig


def forest(
    results: LogitResults, *, level: float = 0.95, ax=None, figsize=None, dpi=100
):
    """Odds ratios ``exp(coef)`` with their intervals (log scale), intercept
    left out; intervals from ``results.conf_int`` where it exists, else Wald.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"dose": rng.uniform(0, 4, 300)})
    >>> df["died"] = rng.random(300) < 1 / (1 + np.exp(3 - 1.5 * df["dose"]))
    >>> res = nl.logit("died ~ dose", data=df)
    >>> fig = nl.plot.forest(res)
    >>> [label.get_text() for label in fig.axes[0].get_yticklabels()]
    ['dose']
    """
    table = _intervals(results, level).drop(index=INTERCEPT, errors="ignore")
    if table.empty:
        raise DataError("a forest plot needs coefficients other than the intercept")
    fig, ax = _figure(ax, figsize, dpi)
    rows = np.arange(table.shape[0])[::-1]
    odds = np.exp(table["coef"])
    low, high = np.exp(table["lower"]), np.exp(table["upper"])
    ax.errorbar(
        odds, rows, xerr=[odds - low, high - odds], fmt="s", capsize=3, color="C0"
    )
    ax.axvline(1.0, color="0.6", ls="--", lw=1)
    ax.set_xscale("log")
    from matplotlib.ticker import LogLocator, NullFormatter, ScalarFormatter

    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(rows, labels=list(table.index))
    ax.set(xlabel=f"odds ratio ({100 * level:g}% interval, log scale)")
    ax.set_title("Odds ratios")
    return fig


def _intervals(results: LogitResults, level: float) -> pd.DataFrame:
    coef = results.params
    conf_int = getattr(results, "conf_int", None)
    if callable(conf_int):
        bounds = conf_int(level=level)
        return pd.DataFrame(
            {"coef": coef, "lower": bounds["lower"], "upper": bounds["upper"]}
        )
    half = ndtri(0.5 + level / 2) * results.std_errors
    return pd.DataFrame({"coef": coef, "lower": coef - half, "upper": coef + half})


def overview(
    results: LogitResults, data: Any, y: Any = None, *, figsize=(11, 8.5), dpi=100
):
    """Forest plot, convergence, ROC and calibration in one figure.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"dose": rng.uniform(0, 4, 300)})
    >>> df["died"] = rng.random(300) < 1 / (1 + np.exp(3 - 1.5 * df["dose"]))
    >>> res = nl.logit("died ~ dose", data=df)
    >>> fig = nl.plot.overview(res, df)
    >>> [ax.get_title() for ax in fig.axes]
    ['Odds ratios', 'Convergence (5 iterations)', 'ROC curve', 'Calibration (10 bins)']
    """
    fig, axes = _figure(None, figsize, dpi, 2, 2)
    forest(results, ax=axes[0, 0])
    convergence(results, ax=axes[0, 1])
    roc(results, data, y, ax=axes[1, 0])
    calibration(results, data, y, ax=axes[1, 1])
    return fig


def _pandas(data: Any) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    from ..data.checks import as_frame

    frame = as_frame(data)
    if frame is None:
        raise DataError("plots need the data as a DataFrame (pandas, polars, ...)")
    return frame.to_pandas()


# -- the command line --------------------------------------------------------
def plot_for_cli(
    results: LogitResults, frame: pd.DataFrame, kind: str, x: str | None
) -> bytes:
    """Draw ``kind`` for ``newtonlogit fit --plot``: the PNG file's bytes (the
    command writes them with its other outputs, all or none)."""
    import io

    spec = results.model_spec
    if spec is not None:  # rows dropped from the fit (missing="drop") are left out
        used = [c for c in (*spec.variables, *spec.response) if c in frame.columns]
        frame = frame.dropna(subset=used).reset_index(drop=True)
    if kind == "scurve":
        x = x or _first_numeric(results, frame)
        fig = s_curve(results, frame, x)
    elif kind in ("convergence", "forest"):
        fig = {"convergence": convergence, "forest": forest}[kind](results)
    else:
        fig = {"overview": overview, "roc": roc, "calibration": calibration}[kind](
            results, frame
        )
    png = io.BytesIO()
    fig.savefig(png, format="png")
    return png.getvalue()


def _first_numeric(results, frame) -> str:
    spec = results.model_spec
    names = spec.variables if spec is not None else results.feature_names
    for name in names:
        if name in frame.columns and pd.api.types.is_numeric_dtype(frame[name]):
            return name
    raise DataError("--plot-kind scurve needs a numeric predictor (--plot-x COL)")


__all__ = [
    "calibration",
    "convergence",
    "forest",
    "overview",
    "roc",
    "roc_curve",
    "s_curve",
]
