"""Safety properties of the whole package: no code from data, identical concurrent runs."""

from __future__ import annotations

import ast
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from conftest import ADVISOR, ROOT

PACKAGE = ROOT / "advisor"
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_MODULES = {"pickle", "marshal", "shelve", "dill", "cloudpickle", "yaml"}


def unsafe_uses(source: str) -> list[str]:
    """Calls and imports through which data could become code."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in FORBIDDEN_CALLS:
                found.append(f"line {node.lineno}: {node.func.id}()")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module]
            for name in names:
                if name and name.split(".")[0] in FORBIDDEN_MODULES:
                    found.append(f"line {node.lineno}: import {name}")
    return found


def test_no_module_can_turn_data_into_code() -> None:
    problems = {
        str(path.relative_to(ROOT)): found
        for path in PACKAGE.rglob("*.py")
        if (found := unsafe_uses(path.read_text(encoding="utf-8")))
    }
    assert problems == {}


def test_the_scan_finds_an_eval_and_a_pickle() -> None:
    assert unsafe_uses("import pickle\nx = eval(text)\n") == [
        "line 1: import pickle",
        "line 2: eval()",
    ]


def test_concurrent_runs_on_a_cold_cache_give_identical_output(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "ADVISOR_CACHE_DIR": str(tmp_path / "cache"),
        "ADVISOR_CACHE_KEY_FILE": str(tmp_path / "key" / "cache-key"),
    }
    command = [ADVISOR, "recommend", "--answers", str(ROOT / "examples" / "support-bot.toml")]

    def run(_: int) -> tuple[int, str]:
        result = subprocess.run(
            [*command, "--format", "json"], capture_output=True, text=True, env=env, timeout=120
        )
        return result.returncode, result.stdout

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, range(16)))
    assert {code for code, _ in results} == {0}
    assert len({out for _, out in results}) == 1  # byte-identical, whoever wrote the cache
    assert len(list((tmp_path / "cache").glob("rulebase-*.json"))) == 1
    warm = run(0)
    assert warm == results[0]


def test_a_closed_standard_input_is_a_clear_error() -> None:
    result = subprocess.run(
        f"'{ADVISOR}' recommend --answers - <&-",
        shell=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "standard input is closed" in result.stderr
