"""`--format json` comes from plain data: the bytes of pydantic's JSON, without pydantic."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE_ANSWERS, ROOT

import advisor
from advisor.engine.decide import decide
from advisor.render import jsonout

SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_same_bytes_as_pydantic_for_every_scenario(path: Path) -> None:
    answers = tomllib.loads(path.read_text(encoding="utf-8"))["answers"]
    assert jsonout.render(decide(answers)) == advisor.advise(answers).model_dump_json(indent=2)


def test_same_bytes_with_awkward_text() -> None:
    answers: dict[str, Any] = {
        **BASE_ANSWERS,
        "project": 'Caf\u00e9 "quoted" \\ back\tslash',
        "notes": "control \u0001 chars, emoji \U0001f389, line\nbreak, \u2028 separator",
    }
    assert jsonout.render(decide(answers)) == advisor.advise(answers).model_dump_json(indent=2)


@pytest.mark.parametrize("fmt", ["json", "text", "markdown"])
def test_recommend_imports_no_pydantic(fmt: str) -> None:
    """`advisor recommend` reads answers, decides and renders without pydantic (or the models)."""
    script = (
        "import sys\n"
        "from advisor.cli.main import main\n"
        f"code = main(['recommend', '--answers', 'examples/support-bot.toml', '--format', '{fmt}',"
        " '--date', '2025-01-15'])\n"
        "loaded = [m for m in sys.modules if m.startswith('pydantic') or m == 'advisor.models']\n"
        "print(code, loaded, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stderr.strip().splitlines()[-1] == "0 []"
