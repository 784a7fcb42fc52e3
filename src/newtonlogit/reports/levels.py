"""The figure of an ordinal model: each level's probability against one
predictor (``nl.plot.level_probabilities``)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from .canvas import _categorical_columns, _pandas, _typical
from .figure import _figure


def level_probabilities(
    results: Any,
    data: Any,
    x: str,
    *,
    level: float = 0.95,
    ax=None,
    figsize=None,
    dpi: float = 100,
):
    """Each level's predicted probability against predictor ``x``, with its
    ``level`` interval, for a model with ``levels`` (an ordinal fit).

    Other predictors are held at their mean (numeric) or most common value.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> import newtonlogit as nl
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"dose": rng.normal(size=400)})
    >>> df["grade"] = np.digitize(df.dose + rng.logistic(size=400), [-1, 1])
    >>> res = nl.ologit("grade ~ dose", data=df)
    >>> fig = nl.plot.level_probabilities(res, df, "dose")
    >>> fig.savefig("levels.png")
    """
    levels = getattr(results, "levels", None)
    if levels is None:
        raise DataError("level_probabilities needs a model with levels (ologit)")
    frame = _pandas(data)
    if x not in frame.columns or not pd.api.types.is_numeric_dtype(frame[x]):
        raise DataError(f"level_probabilities: data has no numeric column {x!r}")
    grid_x = np.linspace(frame[x].min(), frame[x].max(), 100)
    categorical = _categorical_columns(results, frame.columns)
    grid = pd.DataFrame(
        {c: [_typical(frame[c], c in categorical)] * grid_x.size for c in frame.columns}
    )
    grid[x] = grid_x
    table = results.predict(grid, interval=True, level=level)
    fig, ax = _figure(ax, figsize, dpi)
    for j, name in enumerate(levels):
        rows = table.xs(name, level="level")
        ax.plot(grid_x, rows["probability"], color=f"C{j}", lw=2, label=str(name))
        ax.fill_between(grid_x, rows["lower"], rows["upper"], color=f"C{j}", alpha=0.2)
    ax.set(xlabel=x, ylabel="probability of the level", ylim=(0, 1))
    ax.set_title(f"Level probabilities against {x} ({level:.0%} intervals)")
    ax.legend(loc="best", frameon=False, title="level")
    return fig
