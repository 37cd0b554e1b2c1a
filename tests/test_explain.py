"""HOW (`advisor.explain`, `advisor explain`): the rules behind every element, with minimal
supporting answers, checked against the engine on every scenario."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import advisor
from advisor.analysis.answer_space import UNREACHED
from advisor.analysis.support import counterexample
from advisor.knowledge.answers import plain_answer
from advisor.knowledge.rulebase import RuleBase
from tests.test_scenarios import FILES, load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _witness_answers(witness: dict[str, Any], rulebase: RuleBase) -> dict[str, Any]:
    by_id = rulebase.question_by_id
    return {
        qid: plain_answer(value, by_id[qid])
        for qid, value in witness.items()
        if value is not UNREACHED
    }


def _random_answers(rulebase: RuleBase, rng: random.Random) -> dict[str, Any]:
    domains = rulebase.domains
    return {
        q.id: plain_answer(rng.choice(domains.representatives(q)), q) for q in rulebase.questions
    }


def _held(decision: advisor.Decision) -> set[str]:
    """The rules whose condition held: those that fired, and those whose conclusion the latency
    ledger then dropped (what a rule's support answers for is its condition)."""
    return {r.id for r in (*decision.fired, *decision.overruled)}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_rule_named_fired_and_its_support_is_minimal_and_sufficient(
    path: Path, rulebase: RuleBase
) -> None:
    answers = load_scenario(path).answers
    decision = advisor.decide(answers)
    explanation = advisor.explain(answers)
    fired = {rule.id: rule for rule in decision.fired}
    assert explanation.techniques == decision.techniques
    keys = {e.key for e in explanation.elements}
    for kind in rulebase.vocabulary.kinds:
        if kind.field is None or kind.merge == "by_id":
            continue
        for value in decision.conclusions.get(kind.name, ()):
            assert (kind.name if kind.values == () else f"{kind.name}:{value}") in keys
    assert {f"finding:{f.id}" for f in decision.findings} <= keys
    rng = random.Random(path.name)
    for element in explanation.elements:
        for item in (*element.rules, *element.notes):
            if decision.ledger and item.id in {r.id for r in decision.ledger.findings}:
                assert [a.question for a in item.support][:1] == ["latency_budget_ms"]
                continue  # raised by the ledger's sum: it rests on the budget, not a condition
            assert item.id in fired, f"{element.key}: {item.id} did not fire"
            rule = fired[item.id]
            if item in element.rules:
                assert rule.then.key == element.key
            keep = tuple(a.question for a in item.support)
            for answer in item.support:
                if answer.status == "not_asked":
                    assert answer.question not in decision.answers
                else:
                    assert answer.value == plain_answer(
                        decision.answers[answer.question],
                        rulebase.question_by_id[answer.question],
                    )
            # minimal: freeing any one answer admits answers for which the rule does not fire
            for left_out in keep:
                rest = tuple(q for q in keep if q != left_out)
                witness = counterexample(rule, decision.answers, rest, rulebase)
                assert witness is not None, f"{item.id}: {left_out} is not needed"
                trial = _witness_answers(witness, rulebase)
                for qid in rest:  # the very answers of the scenario, same class as the witness
                    if qid in decision.answers:
                        trial[qid] = plain_answer(
                            decision.answers[qid], rulebase.question_by_id[qid]
                        )
                other = advisor.decide(trial)
                assert item.id not in _held(other), (item.id, left_out, trial)
                for qid in rest:
                    assert (qid in other.answers) == (qid in decision.answers)
            # sufficient: random answers agreeing with the support make the rule fire
            for _ in range(15):
                trial = _random_answers(rulebase, rng)
                for answer in item.support:
                    if answer.status == "not_asked":
                        trial.pop(answer.question, None)
                    else:
                        trial[answer.question] = answer.value
                try:
                    other = advisor.decide(trial)
                except advisor.MissingAnswersError:
                    continue
                if any(
                    (a.question in other.answers) != (a.status != "not_asked") for a in item.support
                ):
                    continue  # the walk does not reach the support as it stands: not agreeing
                assert item.id in _held(other), (item.id, trial)


def test_explanation_names_kb_sections_and_strengths(rulebase: RuleBase) -> None:
    answers = load_scenario(ROOT / "tests/scenarios/support_bot_docs_and_part_numbers.toml").answers
    explanation = advisor.explain(answers)
    assert isinstance(explanation, advisor.Explanation)
    for source in explanation.sources:
        assert source.ref in rulebase.kb
    rag = explanation.element("technique:rag")
    assert rag is not None and rag.rules
    assert rag.strength == "essential"
    for element in explanation.elements:
        assert (element.strength is None) == (element.kind == "finding")


def test_a_kind_added_by_a_rule_folder_is_explained(
    rules_copy: tuple[Path, Path], run_cli: Callable[..., Any]
) -> None:
    rules, kb = rules_copy
    (rules / "vocabulary.toml").write_text(
        '[[kind]]\nname = "guardrail"\nowner = "rag"\nfield = "guardrails"\n'
        'values = ["pii_filter"]\nlabel = "guardrail"\n',
        encoding="utf-8",
    )
    with (rules / "rag.toml").open("a", encoding="utf-8") as handle:
        handle.write(
            '\n[[rule]]\nid = "pii_filter_for_citations"\nwhen = "citations"\n'
            'then = "guardrail:pii_filter"\nbecause = "Filter personal data."\n'
            'cite = ["kb/rag.md#citations-need-retrieval"]\n'
        )
    result = run_cli(
        "--rules", str(rules), "--kb", str(kb), "explain",
        "--answers", str(ROOT / "examples/support-bot.toml"), "--format", "json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    element = next(e for e in data["elements"] if e["key"] == "guardrail:pii_filter")
    assert element["rules"][0]["id"] == "pii_filter_for_citations"
    assert [a["question"] for a in element["rules"][0]["support"]] == ["citations"]


def test_cli_formats_agree_with_the_library(run_cli: Callable[..., Any]) -> None:
    example = str(ROOT / "examples/support-bot.toml")
    result = run_cli("explain", "--answers", example, "--format", "json")
    assert result.returncode == 0, result.stderr
    import tomllib

    answers = tomllib.loads(Path(example).read_text(encoding="utf-8"))
    library = advisor.explain(answers)
    assert advisor.Explanation.model_validate(json.loads(result.stdout)) == library
    text = run_cli("explain", "--answers", example)
    assert text.returncode == 0
    assert "rule keyword_for_identifiers" in text.stdout
    assert "because data_shapes = documents, identifiers" in text.stdout
    markdown = run_cli("explain", "--answers", example, "--format", "markdown")
    assert markdown.stdout.startswith("# How the advice was reached")
    assert "## Retriever: keyword search" in markdown.stdout


def test_cli_bad_input_exits_2(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    missing = run_cli("explain")
    assert missing.returncode == 2 and "no answers given" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('knowledge = "nope"\n', encoding="utf-8")
    result = run_cli("explain", "--answers", str(bad))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "bad.toml" in result.stderr


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_an_essential_element_no_change_of_plan_removes(path: Path) -> None:
    """`essential` means a rule resting on facts alone carries it: what-if, searching changes of
    the changeable answers independently, must find it fixed."""
    answers = load_scenario(path).answers
    explanation = advisor.explain(answers)
    what_if = advisor.what_if(answers)
    for element in explanation.elements:
        if element.strength == "essential":
            found = what_if.element(element.key)
            assert found is not None and found.present and found.fixed, element.key
        if element.strength == "optional":
            found = what_if.element(element.key)
            assert found is not None and not found.fixed, element.key
