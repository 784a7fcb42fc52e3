"""The ``newtonlogit`` command."""

from __future__ import annotations

import argparse
import sys

from ._version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newtonlogit",
        description="Logistic regression by exact Newton-Raphson.",
        epilog="example: newtonlogit demo",
    )
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "demo",
        help="run the iris experiment the project grew from",
        description="Fit iris setosa vs versicolor (separated: the MLE does not "
        "exist) and versicolor vs virginica (a well-posed fit) by Newton-Raphson "
        "and print the iterations, accuracy and coefficients.",
        epilog="example: newtonlogit demo",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            from .demo import run

            run(sys.stdout)
    except (ValueError, OSError) as exc:
        print(f"newtonlogit: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
