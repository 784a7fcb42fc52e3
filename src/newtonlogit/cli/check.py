"""The ``check`` command: goodness of fit, discrimination and calibration of
a saved binary model on a table of rows, and optionally the per-row
diagnostics (``-o``) and their figures (``--plot``)."""

from __future__ import annotations

import argparse
import io
import sys

import pandas as pd

from ..exceptions import DataError
from ..families.binary.results import LogitResults
from ..files.modelfile import load
from ..files.tables import atomic_write, check_outputs, read_table, write_table

CHECK_EXAMPLES = """examples:
  newtonlogit check m.json data.csv
  newtonlogit check m.json data.csv --groups 8 --cutoff 0.3 -o diagnostics.csv
  newtonlogit check m.json data.parquet --plot checks.png"""


def add_check(commands) -> None:
    check = commands.add_parser(
        "check",
        help="goodness of fit, discrimination and calibration of a saved model",
        description="Print the goodness-of-fit tests (Hosmer-Lemeshow, Pearson "
        "and deviance over covariate patterns, le Cessie-van Houwelingen), the "
        "AUC with DeLong's interval, the classification table and the "
        "calibration of a binary model on DATA (the rows it was fitted to, or "
        "new ones). -o writes the residuals and influence of every row.",
        epilog=CHECK_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("model", metavar="MODEL.json")
    check.add_argument("data", metavar="DATA", help="CSV/Parquet file, or - (stdin)")
    check.add_argument(
        "--target", metavar="COL", help="the response column (models without formula)"
    )
    check.add_argument("--groups", type=int, default=10, help="Hosmer-Lemeshow groups")
    check.add_argument(
        "--cutoff", type=float, default=0.5, help="classification cutoff"
    )
    check.add_argument("-o", "--output", metavar="OUT", help="per-row diagnostics file")
    check.add_argument("--plot", metavar="FILE.png", help="draw the diagnostics")
    check.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> None:
    model = load(args.model)
    if not isinstance(model, LogitResults):
        raise DataError("check works on binary models (this one is multinomial)")
    if args.plot is not None and not args.plot.lower().endswith(".png"):
        raise DataError(f"--plot writes PNG: give a .png file name, not {args.plot!r}")
    if args.output == "-":
        raise DataError("-o writes the diagnostics to a file (the report is on stdout)")
    targets = [p for p in (args.output, args.plot) if p is not None]
    check_outputs(targets, [args.model, args.data], "-o and --plot")
    frame = read_table(args.data)
    rows = _rows(model, frame, args.target)
    gof = model.gof(**rows, groups=args.groups)
    roc = model.roc(**rows)
    table = model.classification_table(**rows, cutoff=args.cutoff)
    calibration = model.calibration(**rows)
    lower, upper = roc.conf_int()
    text = [
        gof.as_text(),
        "",
        f"AUC {roc.auc:.4f}  (DeLong se {roc.se:.4f}, 95% CI {lower:.4f}-{upper:.4f})",
        "",
        f"Classification at cutoff {args.cutoff:g}",
        table.drop("cutoff").to_string(float_format="%.4f"),
        "",
        "Calibration",
        calibration.to_string(float_format="%.4f"),
        "",
    ]
    sys.stdout.write("\n".join(text))
    if args.output is not None or args.plot is not None:
        influence = model.influence(**rows, patterns=True)
        # the figure is drawn before any file is written: all or none
        png = None if args.plot is None else _plot(influence, gof, roc)
        if args.output is not None:
            write_table(influence, args.output)
        if png is not None:
            with atomic_write(args.plot, "wb") as handle:
                handle.write(png)


def _rows(model: LogitResults, frame: pd.DataFrame, target: str | None) -> dict:
    if model.model_spec is not None:
        if target is not None:
            raise DataError("--target is for models fitted without a formula")
        return {"data": frame}
    if target is None:
        raise DataError("this model has no formula: name the response with --target")
    missing = [c for c in (*model.feature_names, target) if c not in frame.columns]
    if missing:
        raise DataError(f"DATA lacks the column(s) {missing}")
    return {"X": frame[list(model.feature_names)], "y": frame[target]}


def _plot(influence, gof, roc) -> bytes:
    from ..reports import plot
    from ..reports.figure import _figure

    fig, axes = _figure(None, (11, 8.5), 100, 2, 2)
    plot.index_plot(influence, "cooks_distance", ax=axes[0, 0])
    plot.delta_chi2(influence, ax=axes[0, 1])
    plot.hosmer_lemeshow(gof, ax=axes[1, 0])
    plot.roc_band(roc, ax=axes[1, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()
