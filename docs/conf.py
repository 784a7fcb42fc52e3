"""Sphinx configuration of the newtonlogit site.

Build: ``sphinx-build -W --keep-going -b html docs docs/_build/html``.
Everything the build needs is installed by the ``docs`` extra; nothing is
downloaded (MathJax ships with sphinx-mathjax-offline, the intersphinx
inventories are written by ``_ext/offline_inventories.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "_ext"))

import newtonlogit  # noqa: E402

# ``nl.plot`` is a lazy attribute (matplotlib is imported on first use), not a
# module on the import path; register it so that autodoc finds
# ``newtonlogit.plot.roc`` and friends under the name users type.
sys.modules["newtonlogit.plot"] = newtonlogit.plot
from offline_inventories import intersphinx_mapping as _inventories  # noqa: E402

project = "newtonlogit"
author = "the newtonlogit developers"
copyright = "newtonlogit developers"
release = version = newtonlogit.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static: no CDN
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "api/cli-generated.md", "sg_execution_times.rst"]
templates_path = ["_templates"]

# -- MyST (the guide, method.md and architecture.md are Markdown) ----------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# -- API reference ----------------------------------------------------------
autosummary_generate = True
autodoc_typehints = "none"  # numpydoc's Parameters say the types
numpydoc_show_class_members = False  # the class template lists the members
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()

# Every cross-reference must resolve (with -W a broken one fails the build),
# except those the docstrings make to the layers under the public API, which
# the developers' pages describe and the API reference leaves out.
nitpicky = True
nitpick_ignore_regex = [
    (
        r"py:(mod|func|class|meth|attr)",
        r"newtonlogit\.(backends|cli|data|estimators|families|files|inference"
        r"|kernels|reports|solver)(\..*)?",
    ),
    (r"py:func", r"save"),  # load's docstring: the module's own save()
]

# -- intersphinx, offline ---------------------------------------------------
intersphinx_mapping = _inventories(HERE / "_build" / "intersphinx")
intersphinx_timeout = 1

# -- gallery: examples/ run at build time ------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib", "figure_scraper.scrape"),
    "matplotlib_animations": False,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "write_computation_times": False,
}

# -- HTML ------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"newtonlogit {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = ["_static"]
html_css_files = ["custom.css"]
# pages without sub-pages need no section navigation
html_sidebars = {"index": [], "method": [], "architecture": []}
html_show_sourcelink = False

# The gallery runs statsmodels and Dask; their deprecation chatter is not ours.
warnings.filterwarnings("ignore", category=FutureWarning, module="statsmodels")


def _write_cli_reference() -> None:
    """``api/cli-generated.md``: every command's ``--help``, from the parser."""
    from newtonlogit.cli.main import build_parser

    os.environ["COLUMNS"] = "80"  # argparse wraps the help to the terminal width
    parser = build_parser()
    (commands,) = (
        a for a in parser._actions if isinstance(a, argparse._SubParsersAction)
    )
    parts = ["## newtonlogit\n", "```text", parser.format_help().rstrip(), "```\n"]
    for name, sub in commands.choices.items():
        parts += [f"## newtonlogit {name}\n", "```text", sub.format_help().rstrip()]
        parts.append("```\n")
    (HERE / "api" / "cli-generated.md").write_text("\n".join(parts) + "\n")


_write_cli_reference()


def _skip_member(app, what, name, obj, skip, options):
    # scikit-learn's generated metadata-routing setters (set_fit_request, ...)
    # are documented by scikit-learn, with references into its own site.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


# Results objects are made by the fitting functions, never by users; their
# dataclass signatures (twenty internal fields) would only mislead.
_MADE_BY_FITS = {"LogitResults", "MNLogitResults", "Separation"}


def _signature(app, what, name, obj, options, signature, return_annotation):
    if what == "class" and name.rsplit(".", 1)[-1] in _MADE_BY_FITS:
        return "", None
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-signature", _signature)
