"""A sphinx-gallery image scraper for figures made without pyplot.

``nl.plot`` builds :class:`matplotlib.figure.Figure` objects directly (no
global state), which sphinx-gallery's matplotlib scraper, reading pyplot's
figure list, does not see. This one saves every Figure that a code block
left in the example's namespace and that was not saved before.
"""

from __future__ import annotations

import weakref

from sphinx_gallery.scrapers import figure_rst

_saved: weakref.WeakSet = weakref.WeakSet()


def scrape(block, block_vars, gallery_conf, **kwargs):
    from matplotlib.figure import Figure

    figures = [
        value
        for value in block_vars["example_globals"].values()
        if isinstance(value, Figure) and value not in _saved
    ]
    paths = []
    for figure, path in zip(figures, block_vars["image_path_iterator"]):
        figure.savefig(path, dpi=100)
        _saved.add(figure)
        paths.append(path)
    return figure_rst(paths, gallery_conf["src_dir"])
