"""A model's summary as the commands print it: text, Markdown, CSV or JSON."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd


def render(results, fmt: str) -> str:
    """The model's summary (:meth:`LogitResults.summary`, the one layout) as
    text, a Markdown document, the coefficient table as CSV, or JSON."""
    summary = results.summary()
    if fmt == "text":
        return summary.as_text() + "\n"
    table = summary.to_frame()
    if isinstance(table.index, pd.MultiIndex):  # multinomial: "class:term"
        table.index = [f"{block}:{name}" for block, name in table.index]
    if fmt == "csv":
        return table.to_csv(index_label="term")
    if fmt == "json":
        document = {
            "title": summary.title,
            "header": dict(summary.header),
            "level": summary.level,
            "coefficients": {
                name: {k: _json_float(v) for k, v in row.items()}
                for name, row in table.iterrows()
            },
            "notes": list(summary.notes),
        }
        return json.dumps(document, indent=2) + "\n"
    return _markdown(summary, table)


def _markdown(summary, table: pd.DataFrame) -> str:
    lines = [f"### {summary.title}", "", "| | |", "|---|---|"]
    lines += [f"| {label} | {value} |" for label, value in summary.header]
    columns = ["term", *map(str, table.columns)]
    lines += ["", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for name, row in table.iterrows():
        cells = [str(name).replace("|", "\\|"), *(f"{v:.6g}" for v in row)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", *(f"- {note}" for note in summary.notes)]
    return "\n".join(lines).rstrip() + "\n"


def _json_float(v):
    v = float(v)
    return v if np.isfinite(v) else None


__all__ = ["render"]
