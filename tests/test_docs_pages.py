"""The site's pages say what the code does: their Python blocks parse, and the
output a guide page shows is the output the code gives now."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import newtonlogit as nl

DOCS = Path(__file__).parent.parent / "docs"
PAGES = sorted([DOCS / "index.md", *(DOCS / "guide").glob("*.md")])
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(page: Path, language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(page.read_text()) if lang == language]


def test_the_guide_has_its_pages():
    names = {page.stem for page in PAGES}
    assert {"getting-started", "binary", "separation", "from-r"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.stem)
def test_python_blocks_parse(page):
    for body in blocks(page, "python"):
        ast.parse(body)  # a SyntaxError names the page in the test id


def test_binary_page_shows_the_current_summary():
    sm = pytest.importorskip("statsmodels.api")
    d = sm.datasets.spector.load_pandas()
    res = nl.logit(d.exog[["GPA", "TUCE", "PSI"]], d.endog)
    shown = blocks(DOCS / "guide" / "binary.md", "text")[0]
    assert shown.strip() == str(res).strip()
