"""A conclusion kind added by a rule folder's vocabulary.toml shows everywhere, with no code.

The test-only kind `guardrail` (a prompt-engineering sub-choice) is declared in a copy of the
shipped rules and concluded by one rule; it must reach the Recommendation, the JSON, the text,
the decision record (plan line, decision path) and the record's embedded outcome, which
`advisor check` compares.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BASE_ANSWERS, ROOT, RunResult

import advisor
from advisor import render
from advisor.engine.decide import decide
from advisor.errors import RuleFileError
from advisor.knowledge.rulebase import RuleBase
from advisor.services.records import Outcome, compare, parse_record

Run = Callable[..., RunResult]
VOCABULARY = """\
[[kind]]
name = "guardrail"
owner = "prompt_engineering"
field = "guardrails"
values = ["pii_filter", "toxicity_filter"]
label = "guardrail"
"""
RULE = """\
[[rule]]
id = "filter_personal_data"
when = "citations"
then = "guardrail:pii_filter"
because = "Answers quote documents that may hold personal data: filter it out."
cite = ["kb/prompt-engineering.md#clear-instructions-and-a-system-message"]
"""
ANSWERS = {**BASE_ANSWERS, "citations": True}


@pytest.fixture
def guarded(tmp_path: Path) -> tuple[Path, Path]:
    rules, kb = tmp_path / "rules", tmp_path / "kb"
    shutil.copytree(ROOT / "rules", rules)
    shutil.copytree(ROOT / "kb", kb)
    (rules / "vocabulary.toml").write_text(VOCABULARY, encoding="utf-8")
    (rules / "guardrails.toml").write_text(RULE, encoding="utf-8")
    return rules, kb


def load(folders: tuple[Path, Path]) -> RuleBase:
    rulebase: RuleBase = advisor.load_rulebase(*folders)
    return rulebase


def test_the_new_kind_shows_in_every_output(guarded: tuple[Path, Path]) -> None:
    rulebase = load(guarded)
    rec = advisor.advise(ANSWERS, rulebase)
    assert rec.prompt_engineering.model_extra == {"guardrails": ("pii_filter",)}
    assert any(i.rule == "filter_personal_data" for i in rec.prompt_engineering.rationale)

    decision = decide(ANSWERS, rulebase)
    as_json = render.render(decision, "json")
    assert as_json == rec.model_dump_json(indent=2)
    assert json.loads(as_json)["prompt_engineering"]["guardrails"] == ["pii_filter"]

    text = render.render(decision, "text")
    assert "Tactics: clear instructions; guardrails: pii filter" in text

    record = render.render(decision, "markdown", date="2025-01-15")
    assert "1. **Prompt engineering**, tactics: clear instructions; guardrails: pii filter." in (
        record
    )
    assert '[["pii filter guardrail"]]' in record  # a conclusion of the decision path
    parsed = parse_record(record, "0001.md")
    assert parsed is not None
    assert parsed.outcome == Outcome.of(decision)
    assert list(parsed.outcome.values) == [
        "techniques", "tactics", "retrievers", "reranker", "purposes", "methods", "evaluation",
        "guardrails", "findings",
    ]  # fmt: skip
    assert parsed.outcome.values["guardrails"] == ("pii_filter",)


def test_the_shipped_outcome_is_unchanged_without_the_kind(rulebase: RuleBase) -> None:
    decision = decide(ANSWERS, rulebase)
    assert list(Outcome.of(decision).to_json()) == [
        "techniques", "tactics", "retrievers", "reranker", "purposes", "methods", "evaluation",
        "findings",
    ]  # fmt: skip


def test_check_compares_the_new_kind(guarded: tuple[Path, Path], rulebase: RuleBase) -> None:
    with_kind = Outcome.of(decide(ANSWERS, load(guarded)))
    without = Outcome.of(decide(ANSWERS, rulebase))  # a record from before the kind existed
    vocabulary = load(guarded).vocabulary
    assert compare(without, with_kind, vocabulary) == ["guardrails: added pii_filter"]
    assert compare(with_kind, without, rulebase.vocabulary) == ["guardrails: removed pii_filter"]


def test_check_through_the_cli_detects_a_removed_rule(
    run_cli: Run, tmp_path: Path, guarded: tuple[Path, Path]
) -> None:
    rules, kb = guarded
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(ANSWERS), encoding="utf-8")
    folders = ["--rules", str(rules), "--kb", str(kb)]
    made = run_cli(*folders, "recommend", "--answers", str(answers), "--format", "markdown",
                   "--date", "2025-01-15", "--output", "0001.md")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert run_cli(*folders, "check", "0001.md").returncode == 0
    (rules / "guardrails.toml").unlink()
    stale = run_cli(*folders, "check", "0001.md")
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert "  guardrails: removed pii_filter" in stale.stdout

    shipped = run_cli("recommend", "--answers", str(answers), "--format", "markdown",
                      "--date", "2025-01-15", "--output", "0002.md")  # fmt: skip
    assert shipped.returncode == 0, shipped.stderr
    (rules / "guardrails.toml").write_text(RULE, encoding="utf-8")
    added = run_cli(*folders, "check", "0002.md")  # recorded without the kind: read as empty
    assert added.returncode == 1, added.stdout + added.stderr
    assert "  guardrails: added pii_filter" in added.stdout


# --------------------------------------------------------------------------- the record's data


def test_a_renamed_kb_anchor_in_the_record_data_fails_loudly(
    run_cli: Run, tmp_path: Path, rules_copy: tuple[Path, Path]
) -> None:
    rules, kb = rules_copy
    page = kb / "evaluation.md"
    page.write_text(
        page.read_text(encoding="utf-8").replace(
            "## Checking the latency budget", "## Checking latency"
        ),
        encoding="utf-8",
    )
    rulebase = load((rules, kb))  # no rule cites it: the rule base itself is fine
    with pytest.raises(RuleFileError, match="checking-the-latency-budget") as caught:
        render.render(decide(BASE_ANSWERS, rulebase), "markdown", date="2025-01-15")
    message = str(caught.value)
    assert message.startswith(str(rules / "record" / "record.toml"))
    assert "[[confirmation.check]] #5: 'cite'" in message

    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps(BASE_ANSWERS), encoding="utf-8")
    result = run_cli("--rules", str(rules), "--kb", str(kb), "recommend", "--answers",
                     str(answers), "--format", "markdown")  # fmt: skip
    assert result.returncode == 2
    assert "record.toml" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"answered:base_model_eval"', '"answered:base_model_check"', "unknown question"),
        ('for = "tactic:chain_of_thought"', 'for = "tactic:chain_of_thoughts"', "not one of"),
        ("answer_text = { latency_budget_ms", "answer_text = { latency_ms", "unknown question"),
        ("[plan.purpose]", "[plan.purposes]", "unknown conclusion kind 'purposes'"),
        ('title = "Acceptance"', 'titel = "Acceptance"', "unknown key"),
    ],
)
def test_the_record_data_names_the_file_and_the_key(
    rules_copy: tuple[Path, Path], old: str, new: str, message: str
) -> None:
    rules, kb = rules_copy
    data = rules / "record" / "record.toml"
    text = data.read_text(encoding="utf-8")
    assert old in text
    data.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(RuleFileError, match=message) as caught:
        render.render(decide(BASE_ANSWERS, load((rules, kb))), "markdown", date="2025-01-15")
    assert str(caught.value).startswith(f"{data}: ")


def test_a_rule_folder_without_record_data_uses_the_shipped_one(
    rules_copy: tuple[Path, Path], rulebase: RuleBase
) -> None:
    rules, kb = rules_copy
    shutil.rmtree(rules / "record")
    own = render.render(decide(BASE_ANSWERS, load((rules, kb))), "markdown", date="2025-01-15")
    shipped = render.render(decide(BASE_ANSWERS, rulebase), "markdown", date="2025-01-15")
    assert own == shipped
