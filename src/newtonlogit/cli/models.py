"""The fits of the models the ``fit`` command chooses with ``--model``
besides the binary and multinomial ones: ordinal and conditional."""

from __future__ import annotations

import pandas as pd

from ..exceptions import DataError


def fit_ordinal(args, formula: str, frame, options: dict):
    from ..families.ordinal.fit import ologit

    if args.firth:
        raise DataError("--firth is not available with --model ordinal")
    if args.levels:
        options["levels"] = levels_of(args.levels, frame, formula)
    return ologit(formula, data=frame, **options)


def levels_of(text: str, frame, formula: str) -> list:
    """``--levels`` as labels of the target's type (numbers for a numeric one)."""
    levels = [v.strip() for v in text.split(",")]
    if not all(levels):
        raise DataError(f"--levels {text!r} has an empty level")
    lhs = formula.split("~", 1)[0].strip().strip("`")
    if lhs in frame.columns and pd.api.types.is_numeric_dtype(frame[lhs].dtype):
        try:
            numbers = [float(v) for v in levels]
        except ValueError:
            raise DataError(
                f"--levels {text!r}: the target {lhs!r} is numeric; give numbers"
            ) from None
        return [int(v) if v.is_integer() else v for v in numbers]
    return levels


def fit_conditional(args, formula: str, frame, options: dict):
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


__all__ = ["fit_conditional", "fit_ordinal", "levels_of"]
