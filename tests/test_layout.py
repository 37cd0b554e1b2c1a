"""The package layout: no import cycles, and every module says its one job in a docstring."""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "advisor"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_imports(path: Path, known: set[str]) -> set[str]:
    """Modules of the package imported at run time (imports under TYPE_CHECKING do not count)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for inner in ast.walk(node)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def import_graph() -> nx.DiGraph:
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    for name, path in paths.items():
        graph.add_node(name)
        for target in _runtime_imports(path, set(paths)):
            # a package's __init__ importing its own children is not a cycle
            if target != name and not target.startswith(name + "."):
                graph.add_edge(name, target)
    return graph


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert graph.number_of_edges() > 40  # the graph really was read
    cycles = [c for c in nx.simple_cycles(graph) if not all(m.endswith("__init__") for m in c)]
    assert cycles == [], f"import cycles: {cycles}"


def test_cycle_detector_finds_a_cycle(tmp_path: Path) -> None:
    graph = import_graph()
    graph.add_edge("advisor.knowledge.conditions", "advisor.engine.decide")
    assert list(nx.simple_cycles(graph))


def test_every_module_has_an_opening_docstring() -> None:
    missing = [
        _module_name(p)
        for p in PACKAGE.rglob("*.py")
        if p.name != "_version.py" and not ast.get_docstring(ast.parse(p.read_text("utf-8")))
    ]
    assert missing == []


def test_the_pipeline_is_visible_in_folders() -> None:
    top = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert {"knowledge", "engine", "analysis", "services", "render", "ask", "cli"} <= top
    loose = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(loose) <= 6, loose
