"""The package layout keeps the architecture (docs/architecture.md): imports
point down the layers, no shared layer imports a family, no import circles,
no module over 500 lines."""

import ast
from pathlib import Path

import newtonlogit

ROOT = Path(newtonlogit.__file__).parent
# lowest first; a module may import its own layer and those below it
LAYERS = [
    "exceptions",
    "_version",
    "kernels",
    "backends",
    "solver",
    "data",
    "inference",
    "files",
    "reports",
    "families",
    "estimators",
    "cli",
]


def _modules():
    mods = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        mods[".".join(parts)] = path
    return mods


def _imports(name, path, mods):
    """The package's modules that ``name`` imports (inside functions too)."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                base = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").startswith("newtonlogit"):
                base = node.module.removeprefix("newtonlogit").lstrip(".")
            else:
                continue
            for target in [base] + [f"{base}.{a.name}".lstrip(".") for a in node.names]:
                if target in mods and target != name:
                    found.add(target)
    # a module's own package __init__ runs first anyway: not an edge
    return {t for t in found if t and not name.startswith(t + ".")}


def _layer(name):
    return LAYERS.index(name.split(".")[0]) if name else len(LAYERS)


def test_imports_point_down_and_shared_layers_never_import_a_family():
    mods = _modules()
    upward = []
    for name, path in mods.items():
        if not name:
            continue  # the public API imports everything
        for target in _imports(name, path, mods):
            if _layer(target) > _layer(name):
                upward.append(f"{name} -> {target}")
    assert not upward, upward


def test_no_import_cycles():
    mods = _modules()
    graph = {n: _imports(n, p, mods) for n, p in mods.items() if n}
    state = {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in graph.get(node, ()):
            if state.get(nxt) == "open":
                raise AssertionError(" -> ".join(trail + [node, nxt]))
            if nxt not in state:
                visit(nxt, trail + [node])
        state[node] = "done"

    for node in graph:
        if node not in state:
            visit(node, [])


def test_no_module_is_over_500_lines():
    long = {
        name: n
        for name, path in _modules().items()
        if (n := len(path.read_text().splitlines())) > 500
    }
    assert not long, long


def test_the_checks_see_a_violation():
    # the import reader finds relative imports at any depth
    mods = _modules()
    fit = "families.binary.fit"
    assert {"solver.newton", "data.design"} <= _imports(fit, mods[fit], mods)
    assert _layer("families.binary.fit") > _layer("inference.covariance")
