"""Intersphinx inventories written from a list, for builds without internet.

Intersphinx normally downloads each project's ``objects.inv``. The site must
build offline (and none of the installed packages ships its inventory), so
this extension writes a small inventory per project from ``EXTERNAL`` below:
the names the pages and docstrings link to, with their pages on each
project's site. A reference to a name not listed here stays plain text
(``nitpicky`` is off). Add a name here when a page starts linking to it.
"""

from __future__ import annotations

import zlib
from pathlib import Path

# project: (base URL, {name: (domain:role, page relative to the base URL)})
EXTERNAL = {
    "python": (
        "https://docs.python.org/3/",
        {
            "argparse": ("py:module", "library/argparse.html#module-argparse"),
            "pickle": ("py:module", "library/pickle.html#module-pickle"),
        },
    ),
    "scipy": (
        "https://docs.scipy.org/doc/scipy/",
        {
            "scipy.optimize.linprog": (
                "py:function",
                "reference/generated/scipy.optimize.linprog.html",
            ),
        },
    ),
    "numpy": (
        "https://numpy.org/doc/stable/",
        {
            "numpy.ndarray": ("py:class", "reference/generated/numpy.ndarray.html"),
            "numpy.float32": (
                "py:attribute",
                "reference/arrays.scalars.html#numpy.float32",
            ),
        },
    ),
    "pandas": (
        "https://pandas.pydata.org/docs/",
        {
            "pandas.DataFrame": ("py:class", "reference/api/pandas.DataFrame.html"),
            "pandas.Series": ("py:class", "reference/api/pandas.Series.html"),
            "pandas.read_csv": ("py:function", "reference/api/pandas.read_csv.html"),
        },
    ),
    "sklearn": (
        "https://scikit-learn.org/stable/",
        {
            "sklearn.linear_model.LogisticRegression": (
                "py:class",
                "modules/generated/sklearn.linear_model.LogisticRegression.html",
            ),
            "sklearn.base.BaseEstimator": (
                "py:class",
                "modules/generated/sklearn.base.BaseEstimator.html",
            ),
            "sklearn.base.ClassifierMixin": (
                "py:class",
                "modules/generated/sklearn.base.ClassifierMixin.html",
            ),
            "sklearn.pipeline.Pipeline": (
                "py:class",
                "modules/generated/sklearn.pipeline.Pipeline.html",
            ),
            "sklearn.model_selection.GridSearchCV": (
                "py:class",
                "modules/generated/sklearn.model_selection.GridSearchCV.html",
            ),
            "sklearn.model_selection.cross_val_score": (
                "py:function",
                "modules/generated/sklearn.model_selection.cross_val_score.html",
            ),
            "sklearn.datasets.load_iris": (
                "py:function",
                "modules/generated/sklearn.datasets.load_iris.html",
            ),
            "sklearn.datasets.load_breast_cancer": (
                "py:function",
                "modules/generated/sklearn.datasets.load_breast_cancer.html",
            ),
        },
    ),
    "statsmodels": (
        "https://www.statsmodels.org/stable/",
        {
            "statsmodels.discrete.discrete_model.Logit": (
                "py:class",
                "generated/statsmodels.discrete.discrete_model.Logit.html",
            ),
            "statsmodels.discrete.discrete_model.MNLogit": (
                "py:class",
                "generated/statsmodels.discrete.discrete_model.MNLogit.html",
            ),
            "statsmodels.genmod.generalized_linear_model.GLM": (
                "py:class",
                "generated/statsmodels.genmod.generalized_linear_model.GLM.html",
            ),
            "statsmodels.formula.api.logit": (
                "py:function",
                "generated/statsmodels.formula.api.logit.html",
            ),
        },
    ),
    "dask": (
        "https://docs.dask.org/en/stable/",
        {
            "dask.array.Array": ("py:class", "generated/dask.array.Array.html"),
            "dask.dataframe.DataFrame": (
                "py:class",
                "generated/dask.dataframe.DataFrame.html",
            ),
            "dask.dataframe.read_parquet": (
                "py:function",
                "generated/dask.dataframe.read_parquet.html",
            ),
        },
    ),
    "distributed": (
        "https://distributed.dask.org/en/stable/",
        {
            "distributed.Client": ("py:class", "api.html"),
            "distributed.LocalCluster": ("py:class", "api.html"),
        },
    ),
    "matplotlib": (
        "https://matplotlib.org/stable/",
        {
            "matplotlib.figure.Figure": (
                "py:class",
                "api/_as_gen/matplotlib.figure.Figure.html",
            ),
            "matplotlib.axes.Axes": (
                "py:class",
                "api/_as_gen/matplotlib.axes.Axes.html",
            ),
        },
    ),
}


def write_inventory(path: Path, project: str, entries: dict) -> None:
    """Write a version-2 Sphinx inventory (``objects.inv``) of ``entries``."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        "# Version: stable\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    lines = []
    for name, (role, page) in sorted(entries.items()):
        anchor = "" if "#" in page else f"#{name}"
        lines.append(f"{name} {role} 1 {page}{anchor} -\n")
    body = zlib.compress("".join(lines).encode())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode() + body)


def intersphinx_mapping(folder: Path) -> dict:
    """Write the inventories under ``folder``; the mapping for ``conf.py``."""
    mapping = {}
    for project, (base, entries) in EXTERNAL.items():
        path = folder / f"{project}.inv"
        write_inventory(path, project, entries)
        mapping[project] = (base, str(path))
    return mapping
