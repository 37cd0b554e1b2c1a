"""`advisor ask` through the installed console script, without a terminal: it must never wait
for input, never overwrite a file, and agree with `advisor recommend`."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from advisor.engine.decide import walk
from advisor.knowledge.rulebase import RuleBase

RunCli = Callable[..., Any]


def test_incomplete_answers_without_a_terminal_exit_2_naming_them(
    run_cli: RunCli, rulebase: RuleBase
) -> None:
    result = run_cli("ask", "--set", "knowledge=general")
    assert result.returncode == 2
    missing = [q.id for q in walk({"knowledge": "general"}, rulebase).missing]
    assert missing and all(qid in result.stderr for qid in missing)
    assert "--answers" in result.stderr and "--set" in result.stderr
    assert "Traceback" not in result.stderr


def test_bare_advisor_without_a_terminal_prints_help(run_cli: RunCli) -> None:
    result = run_cli()
    assert result.returncode == 2  # usage: no command, and no terminal to ask in
    assert "usage: advisor" in result.stderr and "ask" in result.stderr


def test_complete_answers_without_a_terminal_give_the_recommendation(
    run_cli: RunCli, tmp_path: Path, answers: dict[str, Any]
) -> None:
    settings = [f"--set={key}={_setting(value)}" for key, value in answers.items()]
    asked = run_cli("ask", *settings, "--save-answers", "saved.toml", "--output", "record.md")
    assert asked.returncode == 0, asked.stderr
    recommended = run_cli("recommend", *settings)
    assert asked.stdout == recommended.stdout
    saved = tomllib.loads((tmp_path / "saved.toml").read_text(encoding="utf-8"))
    again = run_cli("recommend", "--answers", "saved.toml", "--format", "markdown")
    assert again.stdout == (tmp_path / "record.md").read_text(encoding="utf-8")
    assert {k: v for k, v in saved.items() if k in answers} == {
        k: v for k, v in answers.items() if k in saved
    }


def test_existing_files_are_not_overwritten_without_a_terminal(
    run_cli: RunCli, tmp_path: Path, answers: dict[str, Any]
) -> None:
    (tmp_path / "record.md").write_text("keep me\n", encoding="utf-8")
    settings = [f"--set={key}={_setting(value)}" for key, value in answers.items()]
    result = run_cli("ask", *settings, "--save-answers", "new.toml", "--output", "record.md")
    assert result.returncode == 2
    assert "record.md" in result.stderr and "exists" in result.stderr
    assert (tmp_path / "record.md").read_text(encoding="utf-8") == "keep me\n"
    assert not (tmp_path / "new.toml").exists()


def test_resume_without_saved_answers_is_a_clear_error(run_cli: RunCli) -> None:
    result = run_cli("ask", "--resume")
    assert result.returncode == 2
    assert "advisor-answers.partial.toml" in result.stderr and "Traceback" not in result.stderr


def _setting(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return ",".join(value) if isinstance(value, list) else str(value)
