"""The ``newtonlogit`` command."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from .._version import __version__


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr (exit status 2), like data errors."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="newtonlogit",
        description="Logistic regression by exact Newton-Raphson.",
        epilog="examples:\n  newtonlogit demo\n"
        '  newtonlogit fit data.csv --formula "y ~ x1 + C(g)" --save m.json\n'
        "  newtonlogit predict m.json new.csv -o predictions.csv\n"
        "  newtonlogit summary m.json\n"
        "Each command has its own --help.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=_Parser
    )
    commands.add_parser(
        "demo",
        help="run the iris experiment the project grew from",
        description="Fit iris setosa vs versicolor (separated: the MLE does not "
        "exist) and versicolor vs virginica (a well-posed fit) by Newton-Raphson "
        "and print the iterations, accuracy and coefficients.",
        epilog="example: newtonlogit demo",
    )
    from .commands import add_commands

    add_commands(commands)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    text = " ".join(str(message).split())
    print(f"newtonlogit: warning: {text}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    warnings.showwarning = _one_line_warning
    try:
        if args.command == "demo":
            from .demo import run

            run(sys.stdout)
        else:
            args.run(args)
    except BrokenPipeError:
        # the reader went away (``| head``): say nothing, as cat would
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except (ValueError, OSError) as exc:
        print(f"newtonlogit: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("newtonlogit: interrupted", file=sys.stderr)
        return 130
    return 0


def _one_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return " ".join(str(exc).split()) or type(exc).__name__
