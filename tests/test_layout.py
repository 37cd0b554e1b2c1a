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


def _all_imports(path: Path) -> set[str]:
    """Every `advisor...` module a file imports, at the top or inside functions, TYPE_CHECKING
    blocks included (a front end must not even name another front end's types)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name == "advisor" or name.startswith("advisor.")}


def _imports_package(imported: set[str], package: str) -> list[str]:
    return sorted(name for name in imported if name == package or name.startswith(package + "."))


# package -> the front-end packages it must not import
FORBIDDEN = {
    "ask": ("advisor.cli", "advisor.mcp"),
    "mcp": ("advisor.cli", "advisor.ask"),
    "services": ("advisor.cli", "advisor.ask", "advisor.mcp"),
    "engine": ("advisor.cli", "advisor.ask", "advisor.mcp"),
    "knowledge": ("advisor.cli", "advisor.ask", "advisor.mcp"),
    "render": ("advisor.cli", "advisor.ask", "advisor.mcp"),
    "analysis": ("advisor.cli", "advisor.ask", "advisor.mcp"),
    # except cli/ask.py, which starts the questionnaire, and cli/mcp.py, the MCP server
    "cli": ("advisor.ask", "advisor.mcp"),
}
ALLOWED = {("advisor.cli.ask", "advisor.ask"), ("advisor.cli.mcp", "advisor.mcp")}


def layering_violations(package_root: Path = PACKAGE) -> list[str]:
    found = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((package_root / package).rglob("*.py")):
            parts = path.relative_to(package_root.parent).with_suffix("").parts
            module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            imported = _all_imports(path)
            for target in forbidden:
                if (module, target) in ALLOWED:
                    continue
                found += [f"{module} imports {name}" for name in _imports_package(imported, target)]
    return found


def test_front_ends_are_adapters_over_the_services() -> None:
    """ask/ and cli/ use services, engine, knowledge and render, never each other (only `advisor
    ask` starts the questionnaire); nothing below the front ends imports them."""
    assert layering_violations() == []


def test_layering_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    for package in FORBIDDEN:
        (tmp_path / "advisor" / package).mkdir(parents=True)
    (tmp_path / "advisor" / "ask" / "flow.py").write_text(
        '"""x"""\n\ndef save():\n    from advisor.cli.common import write_file\n', "utf-8"
    )
    (tmp_path / "advisor" / "services" / "x.py").write_text(
        '"""x"""\nimport advisor.ask.widgets\n', "utf-8"
    )
    (tmp_path / "advisor" / "cli" / "ask.py").write_text(
        '"""x"""\nfrom advisor.ask.flow import Session\n', "utf-8"
    )
    found = layering_violations(tmp_path / "advisor")
    assert any(v.startswith("advisor.ask.flow imports advisor.cli") for v in found)
    assert any(v.startswith("advisor.services.x imports advisor.ask") for v in found)
    assert not any(v.startswith("advisor.cli.ask") for v in found)
