"""The CLI's JSON writer is byte-identical to pydantic's `model_dump_json(indent=2)`."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE_ANSWERS, ROOT

import advisor
from advisor.render.jsonout import to_json

SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_same_bytes_as_pydantic_for_every_scenario(path: Path) -> None:
    answers = tomllib.loads(path.read_text(encoding="utf-8"))["answers"]
    rec = advisor.advise(answers)
    assert to_json(rec) == rec.model_dump_json(indent=2)


def test_same_bytes_with_awkward_text() -> None:
    answers: dict[str, Any] = {
        **BASE_ANSWERS,
        "project": 'Caf\u00e9 "quoted" \\ back\tslash',
        "notes": "control \u0001 chars, emoji \U0001f389, line\nbreak, \u2028 separator",
    }
    rec = advisor.advise(answers)
    assert to_json(rec) == rec.model_dump_json(indent=2)
