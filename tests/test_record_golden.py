"""Golden decision records: tests/golden/<name>.json (answers, date, kb_base_url) -> <name>.md.

The rules and the knowledge base change the wording of every record, so when a change is
intended, regenerate the goldens and review the diff:

    UPDATE_GOLDEN=1 python3 -m pytest tests/test_record_golden.py

A new scenario is a new <name>.json; its .md is written on the first UPDATE_GOLDEN run.
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RunResult
from test_record import GOLDEN, SCENARIOS, parse_document, render_scenario, scenario

from advisor.knowledge.rulebase import RuleBase
from advisor.services.records import parse_record

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("name", SCENARIOS)
def test_record_matches_its_golden_file(name: str, rulebase: RuleBase) -> None:
    _, text = render_scenario(name, rulebase)
    golden = GOLDEN / f"{name}.md"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
        return
    assert golden.exists(), f"{golden} is missing: run UPDATE_GOLDEN=1 python3 -m pytest {__file__}"
    expected = golden.read_text(encoding="utf-8")
    if text != expected:
        diff = "".join(
            list(difflib.unified_diff(expected.splitlines(True), text.splitlines(True),
                                      str(golden), "rendered"))[:80]
        )  # fmt: skip
        pytest.fail(f"{name}: the record differs from its golden file (if intended, "
                    f"regenerate with UPDATE_GOLDEN=1):\n{diff}")  # fmt: skip


def test_golden_files_are_valid_records(rulebase: RuleBase) -> None:
    """Every committed golden is itself a readable record whose answers give its outcome."""
    for golden in sorted(GOLDEN.glob("*.md")):
        text = golden.read_text(encoding="utf-8")
        parse_document(text)
        record = parse_record(text, str(golden))
        assert record is not None, golden
        assert record.answers == {
            k: v for k, v in scenario(golden.stem)["answers"].items() if k in record.answers
        }


def test_the_cli_writes_the_golden_record(
    run_cli: Callable[..., RunResult], tmp_path: Path, rulebase: RuleBase
) -> None:
    name = "all_three"
    data = scenario(name)
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(data["answers"]), encoding="utf-8")
    result = run_cli("recommend", "--answers", str(answers), "--format", "markdown",
                     "--date", data["date"], "--kb-base-url", data["kb_base_url"])  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout == render_scenario(name, rulebase)[1]
