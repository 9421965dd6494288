"""The shape of the house: no import cycles, data flowing one way, small files."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("data", "spaces", "studies", "search")
# Layers, upstream first: a module may import its own layer and the ones above it.
LAYERS = ("data", "spaces", "studies", "search.errors", "search.files", "search.workspace", "search.evaluation.metrics",
          "search.engine", "search.results", "search.evaluation", "search.reporting", "search")


def modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every project module ``name`` imports, at module level or inside a function."""
    out = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        out |= {t for t in targets if t in known and t != name}
    return out


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def layer(name: str) -> int:
    """The layer of the longest prefix that names the module."""
    matches = [(len(prefix), i) for i, prefix in enumerate(LAYERS) if name == prefix or name.startswith(prefix + ".")]
    return max(matches)[1]


def test_no_import_cycles():
    edges = graph()
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*stack[stack.index(nxt):], nxt]))
            if nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])


def test_data_flows_one_way():
    upstream = [f"{a} imports {b}" for a, targets in graph().items() for b in targets if layer(b) > layer(a)]
    assert not upstream, upstream


def test_files_stay_small():
    long = {str(p.relative_to(ROOT)): n for p in modules().values() if (n := len(p.read_text().splitlines())) > 300}
    assert not long, long


def test_functions_stay_short():
    long = [f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for path in modules().values() for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 60]
    assert not long, long


# The command lines: only these parse arguments; everything else takes typed options.
CLI_MODULES = {"search.cli", "search.run", "search.retrain", "search.ensemble", "search.report", "search.forecast",
               "search.baseline", "search.dashboard", "search.presets", "search.bench.cli"}


def test_only_the_command_lines_import_argparse():
    users = {name for name, path in modules().items()
             if any(isinstance(n, ast.Import | ast.ImportFrom) and "argparse" in
                    ([a.name for a in n.names] if isinstance(n, ast.Import) else [n.module or ""])
                    for n in ast.walk(ast.parse(path.read_text())))}
    assert users <= CLI_MODULES, users - CLI_MODULES
