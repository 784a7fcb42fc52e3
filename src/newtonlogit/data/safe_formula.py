"""Which formula expressions a model file may carry.

formulaic evaluates the Python expressions of a formula with ``eval``, with
Python's builtins in reach. A formula typed by the user is the user's own
code; a formula read from a model file is data from disk, and a crafted one
(``I(__import__("os").system(...))``) would run when the model predicts. So
before a model file's formula is evaluated, every Python factor is checked
here against a small grammar:

- names of data columns, numbers, strings, arithmetic, comparisons, boolean
  logic, conditional expressions, tuples, lists, subscripts;
- calls of formulaic's transforms (``C``, ``I``, ``Q``, ``center``, ``poly``,
  ...), of a few harmless builtins (``abs``, ``round``, ``min``, ``max``,
  ``float``, ``int``, ``bool``, ``pow``) and of NumPy's elementwise math
  (``np.log``, ``np.exp``, ``np.sqrt``, ...); contrasts as ``contr.<name>``;
- nothing whose name starts with ``_``, no other attribute, no lambda,
  comprehension, starred argument or walrus, and no builtin that reaches
  outside the expression (``open``, ``eval``, ``getattr``, ...).

The same check runs when a model is saved, so a model that saves also loads.
"""

from __future__ import annotations

import ast

from ..exceptions import DataError

NUMPY_FUNCTIONS = frozenset(
    """abs absolute arccos arccosh arcsin arcsinh arctan arctanh cbrt ceil clip cos
    cosh exp exp2 expm1 fabs floor fmax fmin log log10 log1p log2 maximum minimum
    power reciprocal rint round sign sin sinh sqrt square tan tanh trunc where
    isnan isfinite pi e inf nan""".split()
)
BUILTIN_CALLS = frozenset({"abs", "round", "min", "max", "float", "int", "bool", "pow"})
CONTRASTS = frozenset({"treatment", "sum", "helmert", "diff", "poly", "custom"})
REFUSED_NAMES = frozenset(
    """open eval exec compile getattr setattr delattr globals locals vars input
    breakpoint help exit quit memoryview type object super classmethod
    staticmethod property dir id hasattr iter next map filter""".split()
)
_NODES = (
    ast.Expression,
    ast.Name,
    ast.Load,
    ast.Constant,
    ast.BinOp,
    ast.UnaryOp,
    ast.BoolOp,
    ast.Compare,
    ast.IfExp,
    ast.Call,
    ast.keyword,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Tuple,
    ast.List,
    ast.operator,
    ast.unaryop,
    ast.boolop,
    ast.cmpop,
)


def check_expression(expr: str, transforms: frozenset[str]) -> None:
    """Raise :class:`DataError` unless ``expr`` keeps to the grammar above."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        raise DataError(f"formula expression {expr!r} is not valid Python") from None
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            _refuse(expr, f"a {type(node).__name__}")
        if isinstance(node, ast.Call):
            _check_call(expr, node.func, transforms)
        elif isinstance(node, ast.Attribute):
            _check_attribute(expr, node, NUMPY_FUNCTIONS)
        elif isinstance(node, ast.Name):
            if node.id.startswith("_") or node.id in REFUSED_NAMES:
                _refuse(expr, f"the name {node.id!r}")


def _check_call(expr: str, func: ast.expr, transforms: frozenset[str]) -> None:
    if isinstance(func, ast.Name):
        if func.id not in transforms | BUILTIN_CALLS:
            _refuse(expr, f"a call of {func.id!r}")
    elif isinstance(func, ast.Attribute):
        _check_attribute(expr, func, NUMPY_FUNCTIONS)
    else:
        _refuse(expr, "a call of a computed function")


def _check_attribute(expr: str, node: ast.Attribute, allowed) -> None:
    base = node.value
    if not isinstance(base, ast.Name):
        _refuse(expr, f"the attribute {node.attr!r}")
    if base.id in ("np", "numpy") and node.attr in allowed:
        return
    if base.id == "contr" and node.attr in CONTRASTS:
        return
    _refuse(expr, f"{base.id}.{node.attr}")


def _refuse(expr: str, what: str):
    raise DataError(
        f"formula expression {expr!r} uses {what}, which a model file may not "
        "carry (see newtonlogit.data.safe_formula)"
    )


__all__ = ["check_expression"]
