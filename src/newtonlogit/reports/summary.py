"""The summary of a fit: one layout, four renderings.

A :class:`Summary` is data: a title, header pairs (label, value), the
coefficient table and notes. ``as_text``, ``as_html``, ``as_latex`` and
``to_frame`` only render it (after linearmodels' ``_SummaryStr``), so
``print(res)`` and a notebook's ``_repr_html_`` always show the same thing.

Notes come from :meth:`LogitResults.notes`: :func:`standard_notes` below plus
the results' ``fit_notes`` (which the fitting code may attach, e.g. on
separation). A penalty's note is looked up in :data:`PENALTY_NOTES`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

WIDTH = 78
TITLE = "Logistic regression results"


def _l2_note(res) -> str:
    return (
        f"L2 penalty (alpha = {res.alpha:g}) in use: the estimates are shrunk toward "
        "0, so standard errors, z, p-values and intervals are not valid in the "
        "usual sense."
    )


# Penalty name -> note; a family's other penalties (e.g. Firth) add their own
# entries when their module is imported.
PENALTY_NOTES: dict[str, Callable] = {"l2": _l2_note}


def standard_notes(res) -> list[str]:
    """Notes every fit may need: dropped columns, convergence, penalty, clusters."""
    notes = []
    if res.model_spec is not None:
        notes.append(f"Formula: {res.model_spec.formula}")
    if res.n_dropped:
        notes.append(
            f"{res.n_dropped} row(s) with missing values were dropped (missing='drop')."
        )
    if res.aliased:
        notes.append(
            f"Dropped aliased (collinear) column(s): {', '.join(res.aliased)}; "
            "R reports them as NA."
        )
    if not res.converged:
        notes.append(
            f"Newton-Raphson did not converge ({res.message}): the estimates and "
            "everything derived from them are unreliable."
        )
    if res.penalty is not None:
        note = PENALTY_NOTES.get(res.penalty)
        notes.append(
            note(res) if note else f"Penalty {res.penalty!r} in use: see its docs."
        )
    if res.cov_type == "cluster":
        notes.append(
            f"Standard errors are cluster-robust (CR1) with {res.n_groups} clusters."
        )
    elif res.cov_type != "nonrobust":
        notes.append(f"Standard errors are heteroskedasticity-robust ({res.cov_type}).")
    return notes


@dataclass(frozen=True)
class Summary:
    """A fit's summary; render it with ``as_text``/``as_html``/``as_latex``."""

    title: str
    header: tuple[tuple[str, str], ...]
    table: pd.DataFrame  # numeric: coef, std_err, z, p_value, lower, upper
    level: float
    notes: tuple[str, ...] = ()
    # A table indexed by (block, name) pairs is shown in blocks, each under a
    # title row ``block_title.format(block)`` (e.g. one block per class).
    block_title: str = "{}"

    def to_frame(self) -> pd.DataFrame:
        """The coefficient table as numbers."""
        return self.table.copy()

    # -- shared pieces -----------------------------------------------------
    def _columns(self) -> list[str]:
        tail = (1 - self.level) / 2
        return [
            "coef",
            "std err",
            "z",
            "P>|z|",
            f"[{_fmt_quantile(tail)}",
            f"{_fmt_quantile(1 - tail)}]",
        ]

    def _cells(self) -> list[list[str]]:
        rows, block = [], None
        for name, row in self.table.iterrows():
            if isinstance(name, tuple):  # (block, name): a title row per block
                if not rows or name[0] != block:
                    block = name[0]
                    rows.append([self.block_title.format(block)] + [""] * 6)
                name = f"  {name[1]}"
            rows.append(
                [
                    str(name),
                    _fmt(row["coef"]),
                    _fmt(row["std_err"]),
                    _fmt(row["z"], digits=3),
                    _fmt_p(row["p_value"]),
                    _fmt(row["lower"]),
                    _fmt(row["upper"]),
                ]
            )
        return rows

    def _header_rows(self) -> list[tuple[tuple[str, str], tuple[str, str]]]:
        half = math.ceil(len(self.header) / 2)
        left, right = list(self.header[:half]), list(self.header[half:])
        right += [("", "")] * (half - len(right))
        return list(zip(left, right))

    # -- renderings --------------------------------------------------------
    def as_text(self) -> str:
        cells = self._cells()
        name_w = max([len(r[0]) for r in cells] + [10]) + 1
        num_w = max(max((len(c) for r in cells for c in r[1:]), default=0) + 2, 11)
        width = max(WIDTH, name_w + 6 * num_w)
        half = width // 2
        lines = [self.title.center(width).rstrip(), "=" * width]
        for (l_lab, l_val), (r_lab, r_val) in self._header_rows():
            left = _pair(l_lab, l_val, half - 2)
            right = _pair(r_lab, r_val, width - half - 2)
            lines.append(f"{left:<{half + 2}}{right}".rstrip())
        lines.append("=" * width)
        lines.append(" " * name_w + "".join(f"{c:>{num_w}}" for c in self._columns()))
        lines.append("-" * width)
        for row in cells:
            lines.append(
                f"{row[0]:<{name_w}}" + "".join(f"{c:>{num_w}}" for c in row[1:])
            )
        lines.append("=" * width)
        if self.notes:
            lines.append("Notes:")
            for i, note in enumerate(self.notes, 1):
                lines.extend(_wrap(f"[{i}] {note}", width))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()

    def as_html(self) -> str:
        esc = html.escape
        head = "".join(
            f"<tr><th>{esc(a)}</th><td>{esc(b)}</td>"
            f"<th>{esc(c)}</th><td>{esc(d)}</td></tr>"
            for (a, b), (c, d) in self._header_rows()
        )
        cols = "".join(f"<th>{esc(c)}</th>" for c in self._columns())
        body = "".join(
            f"<tr><th>{esc(r[0])}</th>"
            + "".join(f"<td>{esc(c)}</td>" for c in r[1:])
            + "</tr>"
            for r in self._cells()
        )
        notes = "".join(f"<li>{esc(n)}</li>" for n in self.notes)
        return (
            f'<div class="newtonlogit-summary"><table class="simpletable">'
            f"<caption>{esc(self.title)}</caption>{head}</table>"
            f'<table class="simpletable"><tr><th></th>{cols}</tr>{body}</table>'
            + (f"<p>Notes:</p><ol>{notes}</ol>" if notes else "")
            + "</div>"
        )

    def as_latex(self) -> str:
        tex = _latex_escape
        head = "\n".join(
            f"{tex(a)} & {tex(b)} & {tex(c)} & {tex(d)} \\\\"
            for (a, b), (c, d) in self._header_rows()
        )
        cols = " & ".join(tex(c) for c in self._columns())
        body = "\n".join(" & ".join(tex(c) for c in r) + " \\\\" for r in self._cells())
        lines = [
            "\\begin{center}",
            f"\\textbf{{{tex(self.title)}}}\\\\[1ex]",
            "\\begin{tabular}{lrlr}",
            "\\hline",
            head,
            "\\hline",
            "\\end{tabular}\\\\[1ex]",
            "\\begin{tabular}{l" + "r" * 6 + "}",
            "\\hline",
            f" & {cols} \\\\",
            "\\hline",
            body,
            "\\hline",
            "\\end{tabular}",
            "\\end{center}",
        ]
        if self.notes:
            lines += ["\\begin{enumerate}"]
            lines += [f"\\item {tex(n)}" for n in self.notes]
            lines += ["\\end{enumerate}"]
        return "\n".join(lines)


def summarize(res, level: float = 0.95) -> Summary:
    """Build the summary of a :class:`~newtonlogit.LogitResults`."""
    ci = res.conf_int(level)
    table = pd.DataFrame(
        {
            "coef": res.coef,
            "std_err": res._std_errors,
            "z": res.z_values.to_numpy(),
            "p_value": res.p_values.to_numpy(),
            "lower": ci["lower"].to_numpy(),
            "upper": ci["upper"].to_numpy(),
        },
        index=list(res.coef_names),
    )
    lr = res.lr_test()
    header = (
        ("Observations", f"{res.n_obs:d}"),
        ("Df model", f"{res.df_model:d}"),
        ("Df residuals", f"{res.df_resid:d}"),
        ("Converged", "yes" if res.converged else "NO"),
        ("Iterations", f"{res.n_iter:d}"),
        ("Covariance", res.cov_type),
        ("Pseudo R2 (McF.)", _fmt_stat(res.pseudo_r2("mcfadden"))),
        ("Log-likelihood", _fmt_stat(res.loglik)),
        ("LL-null", _fmt_stat(res.loglik_null)),
        (f"LR chi2({lr.df})", _fmt_stat(lr.statistic)),
        ("Prob > chi2", _fmt_p(lr.p_value)),
        ("AIC", _fmt_stat(res.aic)),
        ("BIC", _fmt_stat(res.bic)),
        ("Deviance", _fmt_stat(res.deviance)),
    )
    return Summary(TITLE, header, table, level, tuple(res.notes()))


def _pair(label: str, value: str, width: int) -> str:
    if not label:
        return ""
    return f"{label + ':':<{max(width - len(value), len(label) + 2)}}{value}"


def _fmt(x: float, digits: int = 4) -> str:
    if not math.isfinite(x):
        return str(x)
    if x == 0 or 1e-4 <= abs(x) < 1e5:
        return f"{x:.{digits}f}"
    return f"{x:.{digits}e}"


def _fmt_stat(x: float) -> str:
    return _fmt(x, 3) if math.isfinite(x) else "nan"


def _fmt_p(p: float) -> str:
    if not math.isfinite(p):
        return "nan"
    if p < 2.2e-16:  # below double precision's resolution of 1 - p, as R says
        return "<2e-16"
    return f"{p:.4f}" if p >= 1e-4 else f"{p:.1e}"


def _fmt_quantile(q: float) -> str:
    return f"{q:.4f}".rstrip("0")


def _wrap(text: str, width: int) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, subsequent_indent="    ")


_LATEX = {
    "\\": "\\textbackslash{}",
    "_": "\\_",
    "%": "\\%",
    "&": "\\&",
    "#": "\\#",
    "$": "\\$",
    "{": "\\{",
    "}": "\\}",
    "|": "$|$",
    ">": "$>$",
    "<": "$<$",
}


def _latex_escape(text: str) -> str:
    return "".join(_LATEX.get(ch, ch) for ch in text)
