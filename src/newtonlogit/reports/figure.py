"""The figure every plot draws into: a matplotlib ``Figure`` without pyplot."""

from __future__ import annotations

from ..exceptions import DataError

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
