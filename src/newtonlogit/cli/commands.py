"""The ``fit``, ``predict`` and ``summary`` commands of the ``newtonlogit`` tool.

:mod:`newtonlogit.cli` builds the parser and turns every ``ValueError`` and
``OSError`` into one line on stderr and exit status 2; this module only reads,
fits, writes. Data go through :mod:`newtonlogit.files.tables` (CSV/Parquet, atomic
output files); models through :mod:`newtonlogit.files.modelfile`.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

import numpy as np
import pandas as pd

from ..data.formula import check_formula
from ..exceptions import DataError
from ..families.binary.results import LogitResults
from ..files.modelfile import dumps, load
from ..files.tables import (
    check_target,
    read_table,
    table_kind,
    write_files,
    write_table,
)
from ..inference.covariance import COVARIANCE_ESTIMATORS
from .render import render

FORMATS = ("text", "markdown", "csv", "json")
MODELS = ("auto", "conditional")
CONDITIONAL_METHODS = ("exact", "efron", "breslow")
PLOT_KINDS = ("overview", "scurve", "convergence", "roc", "calibration", "forest")

FIT_EXAMPLES = """examples:
  newtonlogit fit admissions.csv --formula "admit ~ gre + gpa + C(rank)"
  newtonlogit fit admissions.parquet --target admit --features gre,gpa --save m.json
  cat data.csv | newtonlogit fit - --target y -v --format json
  newtonlogit fit data.csv --formula "cbind(dead, alive) ~ dose" --plot fit.png
  newtonlogit fit data.csv --formula "y ~ x" --cov-type cluster --groups school
  newtonlogit fit infert.csv --formula "case ~ spontaneous + induced" \
      --model conditional --strata stratum"""
PREDICT_EXAMPLES = """examples:
  newtonlogit predict m.json new.csv -o predictions.csv
  newtonlogit predict m.json new.parquet --key id --interval --threshold 0.3
  newtonlogit predict conditional.json sets.csv --strata set --key set,id"""
SUMMARY_EXAMPLES = """examples:
  newtonlogit summary m.json
  newtonlogit summary m.json --format markdown"""


def add_commands(commands) -> None:
    """Register fit, predict and summary on an argparse subparsers object."""
    _add_fit(commands)
    _add_predict(commands)
    _add_summary(commands)


def _add_fit(commands) -> None:
    fit = commands.add_parser(
        "fit",
        help="fit a logistic regression to a CSV or Parquet file",
        description="Fit a logistic regression by Newton-Raphson and print "
        "its coefficients: binary for two classes, multinomial (first class as "
        "base) for more. DATA is a .csv or .parquet file, or - for CSV on "
        "standard input. With --target, text columns among the features are "
        "encoded as categories, as with a formula.",
        epilog=FIT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fit.add_argument("data", metavar="DATA", help="CSV/Parquet file, or - (stdin)")
    model = fit.add_mutually_exclusive_group(required=True)
    model.add_argument("--formula", help='e.g. "y ~ x1 + C(group) + x1:x2"')
    model.add_argument("--target", metavar="COL", help="the response column")
    fit.add_argument(
        "--features",
        metavar="A,B,C",
        help="predictor columns with --target (default: all other columns)",
    )
    fit.add_argument(
        "--model",
        choices=MODELS,
        default="auto",
        help="auto: binary for two classes, multinomial for more; conditional: "
        "conditional logistic regression of matched sets (needs --strata)",
    )
    fit.add_argument(
        "--strata", metavar="COL", help="matched-set column for --model conditional"
    )
    fit.add_argument(
        "--method",
        choices=CONDITIONAL_METHODS,
        help="with --model conditional: exact (default), efron or breslow",
    )
    fit.add_argument("--weights", metavar="COL", help="frequency-weight column")
    fit.add_argument("--firth", action="store_true", help="Firth's penalized fit")
    fit.add_argument(
        "--cov-type",
        choices=list(COVARIANCE_ESTIMATORS),
        default="nonrobust",
        help="covariance of the estimates (default nonrobust)",
    )
    fit.add_argument(
        "--groups", metavar="COL", help="cluster column for --cov-type cluster"
    )
    fit.add_argument(
        "--drop-missing",
        action="store_true",
        help="drop rows with missing values (default: refuse them)",
    )
    fit.add_argument("--save", metavar="MODEL.json", help="write a model file")
    _add_format(fit)
    fit.add_argument(
        "-o", "--output", metavar="FILE", help="write the summary here, not to stdout"
    )
    _add_plot_options(fit)
    fit.add_argument("--max-iter", type=int, default=100, help="most Newton steps")
    fit.add_argument(
        "--dask",
        action="store_true",
        help="read DATA (a Parquet/CSV glob or directory) with dask.dataframe and "
        "fit out of core, partition by partition",
    )
    fit.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --dask: a dask.distributed scheduler, e.g. tcp://host:8786",
    )
    fit.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="print each Newton iteration (and read progress) to stderr",
    )
    fit.set_defaults(run=run_fit)


def _add_plot_options(fit) -> None:
    fit.add_argument("--plot", metavar="FILE.png", help="write a figure as PNG")
    fit.add_argument(
        "--plot-kind",
        choices=PLOT_KINDS,
        default="overview",
        help="which figure --plot writes (default: overview)",
    )
    fit.add_argument(
        "--plot-x", metavar="COL", help="predictor of the scurve plot (default: first)"
    )


def _add_predict(commands) -> None:
    predict = commands.add_parser(
        "predict",
        help="predict probabilities for new data with a saved model",
        description="Write the input's key columns plus probability, "
        "predicted_class (and lower, upper with --interval) as CSV (to stdout, or "
        "-o FILE.csv / FILE.parquet). A multinomial model writes one column "
        "probability_<class> per class and the most probable class.",
        epilog=PREDICT_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    predict.add_argument("model", metavar="MODEL.json")
    predict.add_argument("data", metavar="DATA", help="CSV/Parquet file, or - (stdin)")
    predict.add_argument("-o", "--output", metavar="OUT", help="output file")
    predict.add_argument(
        "--key",
        metavar="A,B",
        help="input columns to copy to the output (default: all of them)",
    )
    predict.add_argument(
        "--interval", action="store_true", help="add a Wald interval: lower, upper"
    )
    predict.add_argument("--level", type=float, default=0.95, help="interval level")
    predict.add_argument(
        "--strata",
        metavar="COL",
        help="matched-set column, for a conditional model: probability is then "
        "the chance that the row is the one case of its set",
    )
    predict.add_argument(
        "--threshold",
        type=float,
        default=0.5,
        help="predicted_class is the event when probability >= this (default 0.5)",
    )
    predict.set_defaults(run=run_predict)


def _add_summary(commands) -> None:
    summary = commands.add_parser(
        "summary",
        help="print the summary of a saved model",
        description="Print the coefficient table of a model file.",
        epilog=SUMMARY_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    summary.add_argument("model", metavar="MODEL.json")
    _add_format(summary)
    summary.set_defaults(run=run_summary)


def _add_format(parser) -> None:
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format"
    )


# -- fit -----------------------------------------------------------------------
def run_fit(args: argparse.Namespace) -> None:
    _check_outputs(args)
    if args.dask or args.scheduler:
        from .dask import dask_session, read_dask_table

        if args.plot or args.drop_missing:
            raise DataError("--plot and --drop-missing are not available with --dask")
        with dask_session(args.scheduler):
            return _run_fit(args, read_dask_table(args.data))
    progress = _stderr_line if args.verbose or sys.stderr.isatty() else None
    return _run_fit(args, read_table(args.data, progress))


def _run_fit(args: argparse.Namespace, frame) -> None:
    conditional = args.model == "conditional"
    if conditional != (args.strata is not None) or (
        args.method is not None and not conditional
    ):
        raise DataError(
            "--model conditional and --strata COLUMN go together (and --method "
            "is for --model conditional)"
        )
    formula = args.formula or _formula_of(
        frame, args.target, args.features, (args.weights, args.groups, args.strata)
    )
    if args.formula and args.features:
        raise DataError("--features goes with --target; a formula names its columns")
    check_formula(formula, frame.columns)  # what a model file may carry
    for option in ("weights", "groups", "strata"):
        column = getattr(args, option)
        if column is not None and column not in frame.columns:
            raise DataError(_unknown([column], frame, f"--{option} column"))
    from ..families.binary.fit import logit

    options = _fit_options(args)
    if args.model == "conditional":
        results = _fit_conditional(args, formula, frame, options)
    elif _multiclass(frame, formula):
        results = _fit_multinomial(args, formula, frame, options)
    else:
        results = logit(formula, data=frame, **options)
    summary = render(results, args.format)
    files: dict[str, str | bytes] = {}  # every output made before any is written
    if args.output not in (None, "-"):
        files[args.output] = summary
    if args.save:
        files[args.save] = dumps(results)
    if args.plot:
        from ..reports.plot import plot_for_cli

        files[args.plot] = plot_for_cli(results, frame, args.plot_kind, args.plot_x)
    write_files(files)
    if args.output in (None, "-"):
        sys.stdout.write(summary)


def _check_outputs(args: argparse.Namespace) -> None:
    """Every file the fit will write, checked before the data are read."""
    if args.plot and not str(args.plot).lower().endswith(".png"):
        raise DataError(f"--plot writes PNG: give a .png file name, not {args.plot!r}")
    targets = [p for p in (args.output, args.save, args.plot) if p not in (None, "-")]
    _check_targets(targets, [args.data])
    if len({os.path.realpath(p) for p in targets}) < len(targets):
        raise DataError(f"-o, --save and --plot must name different files: {targets}")


def _check_targets(targets: list[str], inputs: list[str]) -> None:
    """Each output can be written and is none of the command's inputs."""
    read = {os.path.realpath(p) for p in inputs if p != "-"}
    for path in targets:
        check_target(path)
        if os.path.realpath(path) in read:
            raise DataError(f"{path!r} is an input of the command; write elsewhere")


def _fit_options(args) -> dict:
    options: dict = {"max_iter": args.max_iter}
    if args.weights:
        options["weights"] = args.weights
    if args.drop_missing:
        options["missing"] = "drop"
    if args.firth:
        options["penalty"] = "firth"
    options["cov_type"] = args.cov_type
    if args.groups:
        options["groups"] = args.groups
    if args.verbose:
        options["callback"] = _print_iteration
    return options


def _formula_of(
    frame: pd.DataFrame, target: str, features: str | None, others: tuple
) -> str:
    names = [str(c) for c in frame.columns]
    columns = _split_list(features) if features else None
    unknown = [c for c in [target, *(columns or [])] if c not in names]
    if unknown:
        raise DataError(_unknown(unknown, frame, "column"))
    n_classes = _computed(frame[target].nunique(dropna=True))
    if n_classes < 2:
        raise DataError(
            f"target column {target!r} has {n_classes} distinct value(s); a "
            "logistic regression needs at least two"
        )
    if columns is None:
        columns = [c for c in names if c not in (target, *others)]
    if not columns:
        raise DataError("no feature columns: pass --features or add columns")
    return f"{_quote(target)} ~ " + " + ".join(_quote(c) for c in columns)


def _multiclass(frame: pd.DataFrame, formula: str) -> bool:
    """Whether the response is a column with more than two classes."""
    lhs = formula.split("~", 1)[0].strip()
    if lhs.startswith("`") and lhs.endswith("`"):
        lhs = lhs[1:-1]
    return lhs in frame.columns and _computed(frame[lhs].nunique(dropna=True)) > 2


def _computed(value):
    """A count, computed if it is a lazy (Dask) scalar."""
    return value.compute() if hasattr(value, "compute") else value


def _fit_multinomial(args, formula: str, frame: pd.DataFrame, options: dict):
    from ..families.multinomial.fit import mnlogit

    refused = [
        flag
        for flag, used in (
            ("--firth", args.firth),
            ("--cov-type", args.cov_type != "nonrobust"),
            ("--groups", args.groups),
            ("--plot", args.plot),
        )
        if used
    ]
    if refused:
        raise DataError(
            f"{', '.join(refused)} not available for a target with more than two "
            "classes (multinomial fit)"
        )
    options = {k: v for k, v in options.items() if k not in ("cov_type", "groups")}
    return mnlogit(formula, data=frame, **options)


def _fit_conditional(args, formula: str, frame, options: dict):
    from ..families.conditional.fit import clogit

    flags = (("--firth", args.firth), ("--plot", args.plot))
    refused = [flag for flag, used in flags if used]
    if refused:
        raise DataError(f"{', '.join(refused)} not available with --model conditional")
    return clogit(
        formula,
        data=frame,
        strata=args.strata,
        method=args.method or "exact",
        **options,
    )


def _quote(name: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        return name
    if "`" in name:
        raise DataError(f"column name {name!r} contains a backtick")
    return f"`{name}`"


def _split_list(text: str) -> list[str]:
    items = [c.strip() for c in text.split(",")]
    if not all(items):
        raise DataError(f"empty column name in {text!r}")
    return items


def _unknown(names, frame, what: str) -> str:
    shown = ", ".join(map(str, list(frame.columns)[:20]))
    more = ", ..." if frame.shape[1] > 20 else ""
    return f"unknown {what} {names}; the data has columns: {shown}{more}"


def _print_iteration(row: dict) -> None:
    _stderr_line(
        f"iteration {row['iteration']:3d}  loglik {row['loglik']:.10g}  "
        f"max change {row['max_change']:.3e}  decrement {row['decrement']:.3e}"
    )


def _stderr_line(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- predict -------------------------------------------------------------------
def run_predict(args: argparse.Namespace) -> None:
    for option in ("level", "threshold"):
        value = getattr(args, option)
        if not 0 < value < 1:  # NaN fails too
            raise DataError(f"--{option} must be between 0 and 1; got {value}")
    if args.output not in (None, "-"):
        table_kind(args.output)
        _check_targets([args.output], [args.model, args.data])
    model = load(args.model)
    frame = read_table(args.data)
    keys = _split_list(args.key) if args.key else [str(c) for c in frame.columns]
    unknown = [k for k in keys if k not in frame.columns]
    if unknown:
        raise DataError(_unknown(unknown, frame, "--key column"))
    out = frame[keys].copy()
    conditional = hasattr(model, "n_strata")
    multinomial = not conditional and not isinstance(model, LogitResults)
    _check_no_clash(keys, _output_columns(model, args.interval, multinomial))
    if conditional:  # within a matched set
        if args.strata is None or args.interval:
            raise DataError(
                "a conditional model predicts within matched sets: pass --strata "
                "COLUMN (and no --interval)"
            )
        if args.strata not in frame.columns:
            raise DataError(_unknown([args.strata], frame, "--strata column"))
        out["probability"] = model.predict(frame, frame[args.strata])
        write_table(out, args.output)
        return
    if args.strata is not None:
        raise DataError("--strata is for conditional models only")
    if multinomial:  # one column per class
        if args.interval:
            raise DataError("--interval is available for binary models only")
        probabilities = model.predict(frame)
        for j, label in enumerate(model.classes):
            out[f"probability_{label}"] = probabilities[:, j]
        out["predicted_class"] = np.asarray(model.classes)[probabilities.argmax(1)]
        write_table(out, args.output)
        return
    if args.interval:
        predicted = model.predict(frame, interval=True, level=args.level)
        for column in ("probability", "lower", "upper"):
            out[column] = predicted[column].to_numpy()
    else:
        out["probability"] = model.predict(frame)
    event = out["probability"].to_numpy() >= args.threshold
    labels = model.classes if model.classes is not None else (0, 1)
    out["predicted_class"] = np.where(event, labels[1], labels[0])
    write_table(out, args.output)


def _output_columns(model, interval: bool, multinomial: bool) -> list[str]:
    if hasattr(model, "n_strata"):  # conditional
        return ["probability"]
    if multinomial:
        return [*(f"probability_{c}" for c in model.classes), "predicted_class"]
    bounds = ["lower", "upper"] if interval else []
    return ["probability", *bounds, "predicted_class"]


def _check_no_clash(keys: list[str], outputs: list[str]) -> None:
    clash = [k for k in keys if k in outputs]
    if clash:
        raise DataError(
            f"input column(s) {clash} have the names of output columns; choose "
            "the input columns to copy with --key, or rename them"
        )


# -- summary -------------------------------------------------------------------
def run_summary(args: argparse.Namespace) -> None:
    sys.stdout.write(render(load(args.model), args.format))


__all__ = ["add_commands", "render"]
