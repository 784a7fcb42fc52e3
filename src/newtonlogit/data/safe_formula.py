"""Which formulas a model file may carry, and the command line may run.

formulaic evaluates the Python expressions of a formula with ``eval``, with
Python's builtins in reach. A formula read from a model file is data from
disk, and a crafted one (``I(__import__("os").system(...))``) would run when
the model predicts; the checksum is no defence, since anyone can recompute
it. So before such a formula is evaluated, every Python factor is checked
here against a small grammar, and the formula's size against a bound:

- names of the data columns the formula reads, numbers, strings, arithmetic,
  comparisons, boolean logic, conditional expressions, tuples, lists,
  subscripts;
- calls of formulaic's transforms (``C``, ``I``, ``Q``, ``center``, ``poly``,
  ...), of a few harmless builtins (``abs``, ``round``, ``min``, ``max``,
  ``float``, ``bool``, ``pow``) and of NumPy's elementwise math
  (``np.log``, ``np.exp``, ``np.sqrt``, ...); contrasts as ``contr.<name>``;
- nothing whose name starts with ``_``, no other attribute, no lambda,
  comprehension, starred argument or walrus; no name as a value but a data
  column (``min(x, key=print)`` is refused), and no function called but
  those above.

What the formula may compute is bounded too, since a formula that only
computes can still hang or exhaust memory:

- arithmetic needs a data column, a float or a NumPy value on one side:
  Python's integers grow without bound (``9 ** 9 ** 9`` runs for hours),
  floats and NumPy arrays do not, so arithmetic and ``pow`` on integers alone
  are refused;
- text and lists are not multiplied, formatted or raised to a power
  (``"a" * 10 ** 9``), and the data columns those operators take must be
  numeric when the data arrive (see :func:`arithmetic_columns`);
- formulaic's own term algebra is bounded: ``(a + b + ... )**k`` expands
  through ``|terms|**k`` products, so the expansion's work is estimated from
  the parse tree before it is done and refused past :data:`MAX_TERM_WORK`;
- for a model file, the sizes a transform takes (``poly``'s degree,
  a spline's ``df``, ``hashed``'s levels) are integers no larger than the
  model's number of columns.

The same check runs when a model is saved and when the command line fits a
formula, so a model that saves also loads, and a formula the command line
fits can be saved.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from ..exceptions import DataError

NUMPY_FUNCTIONS = frozenset(
    """abs absolute arccos arccosh arcsin arcsinh arctan arctanh cbrt ceil clip cos
    cosh exp exp2 expm1 fabs floor fmax fmin log log10 log1p log2 maximum minimum
    power reciprocal rint round sign sin sinh sqrt square tan tanh trunc where
    isnan isfinite pi e inf nan""".split()
)
# (no ``int``: it turns a NumPy value into a Python integer, which can grow)
BUILTIN_CALLS = frozenset({"abs", "round", "min", "max", "float", "bool", "pow"})
# formulaic transforms whose results are arrays, whatever their arguments
TRANSFORM_RESULTS = frozenset(
    "C Q center scale standardize poly bs cr cs cc hashed lag log log10 log2 "
    "exp exp2 exp10".split()
)
CONTRASTS = frozenset({"treatment", "sum", "helmert", "diff", "poly", "custom"})
# transforms' arguments that set how many columns they make (first name: the
# second positional argument)
SIZE_ARGUMENTS = {
    "poly": ("degree",),
    "bs": ("df", "degree"),
    "cr": ("df",),
    "cs": ("df",),
    "cc": ("df",),
    "hashed": ("levels",),
}
# operators that repeat, format or raise: a data column they take must be numeric
_GROWING = (ast.Mult, ast.Mod, ast.Pow, ast.LShift, ast.RShift, ast.MatMult)
_SEQUENCES = (ast.Constant, ast.List, ast.Tuple)
# the work formulaic's term expansion may take (products of terms formed)
MAX_TERM_WORK = 100_000
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


def check_expression(
    expr: str,
    transforms: Iterable[str],
    columns: Iterable[str],
    size_limit: int | None = None,
) -> None:
    """Raise :class:`DataError` unless ``expr`` keeps to the grammar above.

    ``columns`` are the data columns the formula reads (the only names allowed
    as values); ``size_limit``, when given, bounds the transforms' sizes.
    """
    tree = _parse(expr)
    transforms = frozenset(transforms) - {"np", "contr"}
    columns = frozenset(columns)
    heads = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    heads |= {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    for node in ast.walk(tree):
        if not isinstance(node, _NODES):
            _refuse(expr, f"a {type(node).__name__}")
        if isinstance(node, ast.Call):
            _check_call(expr, node, transforms, columns, size_limit)
        elif isinstance(node, ast.Attribute):
            _check_attribute(expr, node)
        elif isinstance(node, ast.Name):
            if node.id.startswith("_"):
                _refuse(expr, f"the name {node.id!r}")
            if id(node) not in heads and node.id not in columns:
                _refuse(expr, f"the name {node.id!r}, not a data column")
        elif isinstance(node, ast.keyword):
            if node.arg is None or node.arg.startswith("_"):
                _refuse(expr, f"the argument {node.arg or '**'!r}")
        elif isinstance(node, ast.BinOp):
            _check_arithmetic(expr, node, [node.left, node.right], columns)


def arithmetic_columns(expr: str) -> set[str]:
    """The names ``expr`` repeats, formats or raises (``x`` in ``x * 3``):
    they must be numeric columns, else ``text * 10**9`` exhausts memory."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError:
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        operands = _growing_operands(node)
        for operand in operands:
            found |= {n.id for n in _outside_comparisons(operand, ast.Name)}
    return found


def check_term_work(parsed_ast, formula: str) -> None:
    """Refuse a formulaic parse tree whose term expansion is too much work.

    ``parsed_ast`` is formulaic's (``DefaultFormulaParser().get_ast``), taken
    before the terms are expanded. The estimate is an upper bound on the
    number of term products formed: ``A ** k`` forms ``|A| ** k`` of them.
    """
    from formulaic.parser.types import ASTNode

    sizes: dict[int, int] = {}
    stack = [(parsed_ast, False)]
    while stack:  # post-order without recursion: the tree may be deep
        node, done = stack.pop()
        if not isinstance(node, ASTNode):
            sizes[id(node)] = 1
            continue
        if not done:
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args)
            continue
        args = [sizes[id(a)] for a in node.args]
        symbol = node.operator.symbol
        if symbol == "**" and len(node.args) == 2:
            size = min(args[0], MAX_TERM_WORK + 1) ** min(_power(node.args[1]), 64)
        elif symbol in ("+", "-", "|", "~") or len(args) < 2:
            size = sum(args)
        else:
            size = (args[0] + 1) * (args[1] + 1)
        if size > MAX_TERM_WORK:
            raise DataError(
                f"formula {formula!r} expands to too many terms (more than "
                f"{MAX_TERM_WORK:,} products); write the terms out"
            )
        sizes[id(node)] = size


def parse_formula(text: str, formula: str):
    """formulaic's parse of ``text`` (one side of ``formula``), after checking
    that its term expansion is bounded work (:func:`check_term_work`)."""
    from formulaic import Formula
    from formulaic.parser import DefaultFormulaParser

    try:
        check_term_work(DefaultFormulaParser().get_ast(text), formula)
        parsed = Formula(text)
        list(parsed)  # forces the parse
    except DataError:
        raise
    except Exception as exc:
        raise DataError(
            f"cannot parse formula {formula!r}: {_first_line(exc)}"
        ) from None
    return parsed


def check_factors(parsed, columns, size_limit: int | None = None) -> None:
    """:func:`check_expression` on every Python factor of a parsed formula."""
    from formulaic.transforms import TRANSFORMS

    for expr in _python_factors(parsed):
        check_expression(expr, TRANSFORMS, columns, size_limit)


def factor_arithmetic_columns(parsed) -> set[str]:
    """:func:`arithmetic_columns` of every Python factor of a parsed formula."""
    names: set[str] = set()
    for expr in _python_factors(parsed):
        names |= arithmetic_columns(expr)
    return names


def check_numeric(frame, names, what: str) -> None:
    """Columns a formula multiplies, formats or raises must hold numbers."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    for name in sorted(n for n in names if n in frame.columns):
        dtype = frame[name].dtype
        if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype)):
            raise DataError(
                f"{what} column {name!r} holds {dtype} values, but the formula "
                "uses it in arithmetic (*, %, **, <<, >>); it must be numeric"
            )


def _python_factors(parsed) -> list[str]:
    return [
        factor.expr
        for term in parsed
        for factor in term.factors
        if factor.eval_method.value == "python"
    ]


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _power(token) -> int:
    try:
        return max(int(str(token)), 1)
    except ValueError:
        return 64


def _parse(expr: str) -> ast.Expression:
    try:
        return ast.parse(expr, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        raise DataError(f"formula expression {expr!r} is not valid Python") from None


def _check_call(expr, node: ast.Call, transforms, columns, size_limit) -> None:
    func = node.func
    if isinstance(func, ast.Name):
        if func.id not in transforms | BUILTIN_CALLS:
            _refuse(expr, f"a call of {func.id!r}")
        if func.id == "pow":
            _check_arithmetic(expr, node, node.args, columns)
        if size_limit is not None and func.id in SIZE_ARGUMENTS:
            _check_sizes(expr, node, SIZE_ARGUMENTS[func.id], size_limit)
    elif isinstance(func, ast.Attribute):
        _check_attribute(expr, func)
    else:
        _refuse(expr, "a call of a computed function")


def _check_sizes(expr, node: ast.Call, names, limit: int) -> None:
    given = [kw.value for kw in node.keywords if kw.arg in names]
    given += node.args[1:2]
    for value in given:
        number = value.value if isinstance(value, ast.Constant) else None
        if not isinstance(number, int) or isinstance(number, bool):
            _refuse(expr, f"a size {ast.unparse(value)!r} that is not a number")
        if not 0 <= number <= limit:
            _refuse(
                expr,
                f"the size {number}, more than the model's {limit} columns",
            )


def _check_arithmetic(expr, node, operands, columns) -> None:
    """Arithmetic on constants alone, and text or lists repeated, refused."""
    for operand in _growing_operands(node):
        for literal in _outside_comparisons(operand, _SEQUENCES):
            text = isinstance(literal, ast.Constant) and isinstance(
                literal.value, (str, bytes)
            )
            if text or not isinstance(literal, ast.Constant):
                _refuse(expr, f"text or a list repeated ({ast.unparse(node)!r})")
    if not any(_bounded(o, columns) for o in operands):
        _refuse(
            expr,
            f"arithmetic without a data column, a float or a NumPy value "
            f"({ast.unparse(node)!r})",
        )


def _growing_operands(node) -> list:
    if isinstance(node, ast.BinOp) and isinstance(node.op, _GROWING):
        return [node.left, node.right]
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "pow"
    ):
        return list(node.args)
    return []


def _outside_comparisons(node, kinds) -> list:
    """Nodes of ``kinds`` under ``node``, not inside a comparison (whose
    result is boolean whatever it compares)."""
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Compare):
            continue
        if isinstance(current, kinds):
            found.append(current)
        stack.extend(ast.iter_child_nodes(current))
    return found


def _bounded(node, columns) -> bool:
    """Whether ``node`` is a value that cannot grow without bound in
    arithmetic: a data column (NumPy or pandas; checked numeric when it is
    repeated or raised), a float, or a NumPy value. Python integers, text and
    lists are not (``9 ** 9 ** 9``; ``[9, x][0] ** 10 ** 9``)."""
    if isinstance(node, ast.Name):
        return node.id in columns
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (float, complex))
    if isinstance(node, ast.Attribute):
        return True  # np.<name>, checked elsewhere
    if isinstance(node, ast.UnaryOp):
        return _bounded(node.operand, columns)
    if isinstance(node, ast.BinOp):
        return _bounded(node.left, columns) or _bounded(node.right, columns)
    if isinstance(node, (ast.Compare, ast.BoolOp)):  # a bool, or booleans
        return any(_bounded(n, columns) for n in ast.iter_child_nodes(node))
    if isinstance(node, ast.IfExp):
        return _bounded(node.body, columns) and _bounded(node.orelse, columns)
    if isinstance(node, ast.Subscript):
        return _bounded(node.value, columns)
    if isinstance(node, ast.Call):
        return _bounded_call(node, columns)
    return False  # lists, tuples, text, integers


def _bounded_call(node: ast.Call, columns) -> bool:
    func = node.func
    if isinstance(func, ast.Attribute):
        return True  # NumPy's functions return NumPy values
    args = [*node.args, *(k.value for k in node.keywords)]
    if func.id == "round" and len(args) < 2:
        return False  # round(a NumPy scalar) is a Python integer
    if func.id in ("I", "abs", "round", "pow"):  # their first argument's kind
        return bool(node.args) and _bounded(node.args[0], columns)
    if func.id in ("min", "max", "bool"):
        return any(_bounded(a, columns) for a in args)
    return func.id in TRANSFORM_RESULTS or func.id == "float"


def _check_attribute(expr: str, node: ast.Attribute) -> None:
    base = node.value
    if not isinstance(base, ast.Name):
        _refuse(expr, f"the attribute {node.attr!r}")
    if base.id in ("np", "numpy") and node.attr in NUMPY_FUNCTIONS:
        return
    if base.id == "contr" and node.attr in CONTRASTS:
        return
    _refuse(expr, f"{base.id}.{node.attr}")


def _refuse(expr: str, what: str):
    raise DataError(
        f"formula expression {expr!r} uses {what}: more than a model file or "
        "the command line may run (see newtonlogit.data.safe_formula)"
    )


__all__ = [
    "arithmetic_columns",
    "check_expression",
    "check_factors",
    "check_numeric",
    "check_term_work",
    "factor_arithmetic_columns",
    "parse_formula",
]
