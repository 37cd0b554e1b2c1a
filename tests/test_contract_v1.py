"""Contract 2 keeps contract 1: v1 answer files still load, v1 records are stale, not errors.

`tests/golden/v1/` holds the decision records the goldens were under rules 1.2.0, exactly as
written then; `tests/golden/*.json` hold their answers, written before the questions of contract
2 existed.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import advisor
from advisor.knowledge.loader import default_rulebase

GOLDEN = Path(__file__).parent / "golden"
V1_RECORDS = sorted((GOLDEN / "v1").glob("*.md"))
CONTRACT_2 = ("live_data", "stakes", "checkable", "latency_measure", "lifetime")


def test_v1_answer_files_decide_with_the_new_questions_defaulted() -> None:
    files = sorted(GOLDEN.glob("*.json"))
    assert files
    for path in files:
        answers = json.loads(path.read_text(encoding="utf-8"))["answers"]
        assert not set(CONTRACT_2) & set(answers), "a v1 file holds no contract-2 answer"
        decision = advisor.decide(answers)
        statuses = {s.id: s.status for s in decision.questions}
        for qid in ("live_data", "stakes", "checkable", "lifetime"):
            assert statuses[qid] == "defaulted", (path.name, qid)
        rec = advisor.advise(answers)
        assert rec.evaluation.methods, path.name
        assert rec.latency is not None, path.name


def test_the_example_answer_files_are_v1_and_still_valid() -> None:
    example = Path(__file__).parents[1] / "examples" / "support-bot.toml"
    answers = tomllib.loads(example.read_text(encoding="utf-8"))
    assert advisor.advise(answers).rules_version == default_rulebase().version


def test_check_reports_v1_records_as_stale_with_a_readable_diff(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    assert len(V1_RECORDS) == 4
    folder = tmp_path / "docs"
    folder.mkdir()
    for record in V1_RECORDS:
        shutil.copy(record, folder / record.name)
    result = run_cli("check", "docs")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for record in V1_RECORDS:
        header = f"docs/{record.name}: stale (rules 1.2.0 -> {default_rulebase().version})"
        assert header in lines, result.stdout
    # every record gains the evaluation plan, said in words, one aspect per line
    assert sum(line.startswith("  evaluation: added ") for line in lines) == len(V1_RECORDS)
    assert "  tactics: removed chain_of_thought" in lines
    assert f"{len(V1_RECORDS)} records: 0 current, {len(V1_RECORDS)} stale, 0 unreadable" in (
        result.stdout + result.stderr
    )
    assert "error" not in result.stderr.lower()


def test_a_v1_record_regenerates_under_contract_2(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    record = tmp_path / "0001-support.md"
    shutil.copy(GOLDEN / "v1" / "support_bot.md", record)
    result = run_cli(
        "recommend", "--from-record", str(record), "--format", "markdown", "--output", str(record)
    )
    assert result.returncode == 0, result.stderr
    assert "Evaluation plan:" in record.read_text(encoding="utf-8")
    check = run_cli("check", str(record))
    assert check.returncode == 0, check.stdout + check.stderr
