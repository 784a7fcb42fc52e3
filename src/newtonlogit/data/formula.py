"""The formula front end: ``logit("admit ~ gre + gpa + C(rank)", data=df)``.

A formula is parsed and encoded by formulaic; this module adds what a
logistic regression needs around it:

- the response: a column of labels (``admit ~ ...``), an expression formulaic
  evaluates to one column (``I(score > 50) ~ ...``), or grouped counts
  ``cbind(successes, failures) ~ ...`` as in R's ``glm``;
- the intercept: formulaic's ``Intercept`` column is taken out of the matrix
  and becomes ``fit_intercept`` (the kernels add it without a column);
- missing values, counted and named before anything is encoded, refused or
  dropped (``missing="drop"``);
- a :class:`FormulaSpec` the results keep, holding exactly what re-encoding
  new data needs (the formula, categorical levels, the state of stateful
  transforms such as ``center``/``poly``) as plain JSON-ready values, so that
  ``res.predict(new_df)`` applies the training encoding and a model file can
  store it without pickle.

DataFrames of any library narwhals knows (pandas, polars, ...) are accepted;
formulaic is given a pandas frame of just the columns the formula reads.
Functions available inside a formula are formulaic's (``C``, ``I``, ``Q``,
``center``, ``scale``, ``poly``, ``bs``, ...) and NumPy as ``np``; nothing is
taken from the caller's namespace, so a saved model re-encodes the same way
anywhere.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataError
from .checks import INTERCEPT, as_frame
from .design import Inputs
from .jsonstate import check_encoder_state, decode_state, encode_state
from .safe_formula import (
    check_factors,
    check_numeric,
    factor_arithmetic_columns,
    parse_formula,
)

CONTEXT: Mapping[str, Any] = {"np": np, "numpy": np}
_CBIND = re.compile(r"^\s*cbind\(\s*([^,()]+?)\s*,\s*([^,()]+?)\s*\)\s*$")


@dataclass(frozen=True)
class FormulaSpec:
    """What re-encoding new data needs: plain values, ready for JSON.

    ``columns`` are the model-matrix columns the coefficients refer to (the
    intercept excluded); ``encoder_state`` maps each factor expression to
    ``[kind, state]`` (``state["categories"]`` for categorical factors);
    ``transform_state`` is formulaic's, encoded by :func:`encode_state`.
    """

    formula: str
    rhs: str
    response: tuple[str, ...]
    columns: tuple[str, ...]
    fit_intercept: bool
    variables: tuple[str, ...]
    encoder_state: dict = field(default_factory=dict)
    transform_state: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "formula": self.formula,
            "rhs": self.rhs,
            "response": list(self.response),
            "columns": list(self.columns),
            "fit_intercept": self.fit_intercept,
            "variables": list(self.variables),
            "encoder_state": self.encoder_state,
            "transform_state": self.transform_state,
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> FormulaSpec:
        """Rebuild from :meth:`to_dict`, checking every field's type."""
        spec = cls(
            formula=_typed(d, "formula", str),
            rhs=_typed(d, "rhs", str),
            response=tuple(_str_list(d, "response")),
            columns=tuple(_str_list(d, "columns")),
            fit_intercept=_typed(d, "fit_intercept", bool),
            variables=tuple(_str_list(d, "variables")),
            encoder_state=_typed(d, "encoder_state", dict),
            transform_state=_typed(d, "transform_state", dict),
        )
        spec.check_safe()
        spec._model_spec  # noqa: B018  (parses and decodes the state, or raises)
        return spec

    def check_safe(self) -> None:
        """Refuse a formula a model file may not carry: one that could run
        arbitrary code, or compute without bound, when evaluated (see
        :mod:`newtonlogit.data.safe_formula`)."""
        parsed = parse_formula(self.rhs, self.formula)
        check_factors(parsed, self.variables, len(self.columns) + 2)

    @cached_property
    def _arithmetic_columns(self) -> set[str]:
        return factor_arithmetic_columns(parse_formula(self.rhs, self.formula))

    @cached_property
    def _model_spec(self):
        from formulaic import ModelSpec
        from formulaic.parser.types import Factor

        try:
            check_encoder_state(self.encoder_state)
            encoders = {
                name: (Factor.Kind(kind), decode_state(state))
                for name, (kind, state) in self.encoder_state.items()
            }
            return ModelSpec(
                formula=self.rhs,
                encoder_state=encoders,
                transform_state=decode_state(self.transform_state),
                na_action="ignore",
                output="pandas",
            )
        except Exception as exc:
            raise DataError(f"invalid formula encoding: {_first_line(exc)}") from None

    def model_matrix(self, data: Any) -> pd.DataFrame:
        """Encode new rows exactly as the training rows were.

        Raises
        ------
        DataError
            Naming a column the formula needs that ``data`` lacks, a category
            not seen in training, or the rows and columns holding missing
            values.
        """
        variables = list(self.variables)
        frame = _select(
            _frame_of(data, "new data"), variables, "new data", self.formula
        )
        rows = _missing_mask(frame, variables)
        if rows.any():
            raise DataError(_missing_message(frame, variables, rows, "new data"))
        check_numeric(frame, self._arithmetic_columns, "new data")
        self._check_levels(frame)
        with warnings.catch_warnings():
            warnings.simplefilter("error", _data_mismatch_warning())
            try:
                matrix = self._model_spec.get_model_matrix(frame, context=CONTEXT)
            except _data_mismatch_warning() as exc:
                raise DataError(f"new data: {_first_line(exc)}") from None
            except Exception as exc:
                raise DataError(f"cannot encode new data: {_first_line(exc)}") from None
        expected = ([INTERCEPT] if self.fit_intercept else []) + list(self.columns)
        if list(matrix.columns) != expected:
            raise DataError(
                f"new data encodes to columns {list(matrix.columns)}, not the "
                f"model's {expected}"
            )
        return matrix.loc[:, list(self.columns)]

    def _check_levels(self, frame: pd.DataFrame) -> None:
        """Name the column and the category when new data has an unseen one."""
        for factor, (kind, state) in self.encoder_state.items():
            if kind != "categorical" or "categories" not in state:
                continue
            column = _single_variable(factor, frame.columns)
            if column is None:
                continue  # an expression: formulaic's own check names the levels
            known = set(decode_state(state["categories"]))
            unseen = [v for v in pd.unique(frame[column]) if v not in known]
            if unseen:
                shown = ", ".join(repr(_plain(v)) for v in unseen[:5])
                raise DataError(
                    f"column {column!r} has categor{'y' if len(unseen) == 1 else 'ies'}"
                    f" {shown} not seen in training (known: "
                    f"{sorted(map(str, known))}); the model has no coefficient "
                    "for it"
                )


def encode_formula(
    formula: str,
    data: Any,
    *,
    extras: dict[str, Any] | None = None,
    missing: str = "raise",
) -> Inputs:
    """Encode ``data`` by ``formula`` for a fit; see the module docstring.

    ``extras`` are per-row arrays (weights, offset, groups, segments) or names of
    columns of ``data``; rows dropped for missing values are dropped from them.
    """
    from formulaic import model_matrix

    if data is None:
        raise ValueError("a formula needs data=: a pandas or polars DataFrame")
    lhs, rhs_text = _split(formula)
    rhs = parse_formula(rhs_text, formula)
    source = _frame_of(data, "data")
    columns = {str(c) for c in source.columns}
    response, lhs_variables = _response_variables(lhs, formula, columns)
    variables = sorted(_variables(rhs, columns))
    if INTERCEPT in variables:
        raise DataError(
            f"formula {formula!r} reads a data column named {INTERCEPT!r}, the "
            "name of the model's constant term; rename the column"
        )
    extras = dict(extras or {})
    named = {what: v for what, v in extras.items() if isinstance(v, str)}
    needed = list(dict.fromkeys([*variables, *lhs_variables, *named.values()]))
    frame = _select(source, needed, "data", formula)
    rows = _missing_mask(frame, needed)
    n_dropped = 0
    if rows.any():
        if missing != "drop":
            raise DataError(_missing_message(frame, needed, rows, "data"))
        n_dropped = int(rows.sum())
        frame = frame.loc[~rows].reset_index(drop=True)
        if frame.shape[0] == 0:
            raise DataError(f"every row has a missing value ({n_dropped} dropped)")
    extras = {
        what: frame[v].to_numpy() if what in named else _subset(v, rows, what)
        for what, v in extras.items()
    }
    check_numeric(frame, factor_arithmetic_columns(rhs), "data")
    try:
        matrix = model_matrix(rhs, frame, context=CONTEXT, na_action="ignore")
    except Exception as exc:
        raise DataError(f"formula {formula!r}: {_first_line(exc)}") from None
    y = _response(frame, lhs, response, model_matrix, formula)
    spec = _spec(formula, matrix, response, variables)
    keep = [j for j, c in enumerate(matrix.columns) if c != INTERCEPT]
    X = np.ascontiguousarray(matrix.to_numpy(dtype=np.float64)[:, keep])
    return Inputs(
        X,
        y,
        extras.get("weights"),
        extras.get("offset"),
        spec.fit_intercept,
        spec.columns,
        spec,
        n_dropped,
        extras.get("groups"),
        extras.get("segments"),
    )


def check_formula(formula: str, columns) -> None:
    """Refuse, before any fitting, a formula whose model could not be saved:
    one outside the grammar of :mod:`newtonlogit.data.safe_formula` (what a model
    file may carry), its response included. ``columns`` are the data's."""
    lhs, rhs_text = _split(formula)
    columns = {str(c) for c in columns}
    rhs = parse_formula(rhs_text, formula)
    check_factors(rhs, _variables(rhs, columns), None)
    if not _CBIND.match(lhs) and not _is_name(lhs):
        parsed = parse_formula(lhs, formula)
        check_factors(parsed, _variables(parsed, columns), None)


def _split(formula: str) -> tuple[str, str]:
    if formula.count("~") != 1:
        raise DataError(
            f"formula {formula!r} must have one '~' between the response and the "
            "predictors, e.g. 'y ~ x1 + C(group)'"
        )
    lhs, rhs = formula.split("~")
    if not lhs.strip():
        raise DataError(f"formula {formula!r} has no response left of '~'")
    return lhs.strip(), rhs.strip()


def _response_variables(lhs: str, formula: str, columns: set[str]):
    """The response's column names, and the data columns it reads."""
    counts = _CBIND.match(lhs)
    if counts:
        names = tuple(_unquote(g) for g in counts.groups())
        return names, list(names)
    if lhs.startswith("cbind("):
        raise DataError(
            f"formula {formula!r}: write grouped counts as cbind(successes, failures)"
            " with two column names"
        )
    name = _unquote(lhs)
    if _is_name(lhs):
        return (name,), [name]
    return (lhs,), sorted(_variables(parse_formula(lhs, formula), columns))


def _variables(parsed, columns: set[str]) -> set[str]:
    """The data columns a parsed formula reads.

    formulaic's ``required_variables`` misses the arguments of stateful
    transforms (``center(x)``, ``poly(z, 2)``), so the factors' expressions
    are read here: a looked-up name is a column; in an expression, a name is a
    column unless it is a function and not one of the data's ``columns``
    (a column named ``scale`` is a column).
    """
    names: set[str] = set()
    for term in parsed:
        for factor in term.factors:
            method = factor.eval_method.value
            if method == "lookup":
                names.add(factor.expr)
            elif method == "python":
                found = _python_names(factor.expr)
                names |= {n for n in found if n in columns or n not in _functions()}
    return names


def _python_names(expr: str) -> set[str]:
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expr))
    names, callees = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callees.update(id(n) for n in ast.walk(node.func))
            is_q = isinstance(node.func, ast.Name) and node.func.id == "Q"
            if is_q and node.args and isinstance(node.args[0], ast.Constant):
                names.add(str(node.args[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and id(node) not in callees:
            names.add(node.id)
    return names


def _functions() -> set[str]:
    import builtins

    from formulaic.transforms import TRANSFORMS

    return set(TRANSFORMS) | set(CONTEXT) | set(dir(builtins))


def _response(frame: pd.DataFrame, lhs: str, response, model_matrix, formula: str):
    if len(response) == 2:
        return frame[list(response)].to_numpy()
    if response[0] in frame.columns:
        column = frame[response[0]]
        # a categorical keeps its categories (the order of an ordinal response)
        if isinstance(column.dtype, pd.CategoricalDtype):
            return column.reset_index(drop=True)
        return column.to_numpy()
    try:
        matrix = model_matrix(f"0 + {lhs}", frame, context=CONTEXT, na_action="ignore")
    except Exception as exc:
        raise DataError(f"formula {formula!r}: {_first_line(exc)}") from None
    if matrix.shape[1] != 1:
        raise DataError(
            f"the response {lhs!r} encodes to {matrix.shape[1]} columns "
            f"{list(matrix.columns)}; it must be one column of two classes"
        )
    return matrix.iloc[:, 0].to_numpy()


def _spec(formula: str, matrix, response, variables) -> FormulaSpec:
    model_spec = matrix.model_spec
    columns = [str(c) for c in matrix.columns]
    encoders = {
        str(name): [kind.value, encode_state(_public_state(state))]
        for name, (kind, state) in model_spec.encoder_state.items()
    }
    return FormulaSpec(
        formula=formula,
        rhs=str(model_spec.formula),
        response=tuple(response),
        columns=tuple(c for c in columns if c != INTERCEPT),
        fit_intercept=INTERCEPT in columns,
        variables=tuple(variables),
        encoder_state=encoders,
        transform_state=encode_state(model_spec.transform_state),
    )


def _public_state(state: Mapping) -> dict:
    # formulaic keeps a ContrastsState under "contrasts" "for introspection
    # purposes only"; the encoding is fixed by the formula and "categories".
    return {k: v for k, v in state.items() if k != "contrasts"}


# -- data ------------------------------------------------------------------
def _frame_of(data: Any, what: str):
    """Any DataFrame narwhals knows (or a dict of columns), as narwhals'."""
    if isinstance(data, Mapping):
        data = pd.DataFrame(dict(data))
    frame = as_frame(data)
    if frame is None:
        raise DataError(
            f"{what} must be a DataFrame (pandas, polars, ...) or a dict of "
            f"columns; got {type(data).__name__}"
        )
    return frame


def _select(frame, columns: list[str], what: str, formula: str) -> pd.DataFrame:
    """The named columns as a pandas frame (what formulaic is given)."""
    lacking = [c for c in columns if c not in frame.columns]
    if lacking:
        raise DataError(
            f"{what} has no column(s) {lacking} used by the formula {formula!r}"
        )
    selected = frame.select(*columns)
    try:
        return selected.to_pandas()
    except ImportError:  # polars without pyarrow: go through NumPy
        return pd.DataFrame({c: selected[c].to_numpy() for c in columns})


def _missing_mask(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    return frame[columns].isna().to_numpy().any(axis=1)


def _missing_message(frame, columns, rows: np.ndarray, what: str) -> str:
    bad = [c for c in columns if frame[c].isna().any()]
    first = int(np.flatnonzero(rows)[0])
    advice = (
        "impute them, or pass missing='drop' to drop those rows"
        if what == "data"
        else "impute them, or drop those rows before predicting"
    )
    return (
        f"{what} has missing values in {int(rows.sum())} of {rows.size} rows "
        f"(first at row {first}), in column(s) {bad}: {advice}"
    )


def _subset(v: Any, rows: np.ndarray, what: str):
    if v is None or not rows.any():
        return v
    arr = np.asarray(v)
    if arr.shape[0] != rows.size:
        raise DataError(f"{what} has {arr.shape[0]} rows but data has {rows.size}")
    return arr[~rows]


def _single_variable(factor: str, columns) -> str | None:
    name = _unquote(factor)
    if _is_name(factor) and name in columns:
        return name
    call = re.match(r"^C\(\s*([^,()]+?)\s*(,.*)?\)$", factor)
    if call and _unquote(call.group(1)) in columns:
        return _unquote(call.group(1))
    return None


def _is_name(text: str) -> bool:
    return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*|`[^`]+`", text.strip()))


def _unquote(text: str) -> str:
    text = text.strip()
    return text[1:-1] if len(text) > 1 and text[0] == text[-1] == "`" else text


def _data_mismatch_warning():
    from formulaic.errors import DataMismatchWarning

    return DataMismatchWarning


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _typed(d: Mapping, key: str, kind: type):
    if key not in d:
        raise DataError(f"formula spec lacks {key!r}")
    value = d[key]
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise DataError(f"formula spec {key!r} must be a {kind.__name__}")
    return value


def _str_list(d: Mapping, key: str) -> list[str]:
    value = _typed(d, key, list)
    if not all(isinstance(v, str) for v in value):
        raise DataError(f"formula spec {key!r} must be a list of strings")
    return value


__all__ = ["FormulaSpec", "check_formula", "encode_formula"]
