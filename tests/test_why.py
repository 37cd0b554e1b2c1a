"""WHY (`advisor.why`, `advisor why`): what a question can change, and the outcome of each of its
answers, checked against the engine."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import advisor
from advisor.knowledge.rulebase import RuleBase
from tests.test_scenarios import FILES, load_scenario

ROOT = Path(__file__).resolve().parents[1]
CASES = [
    p
    for p in FILES
    if p.stem in ("support_bot_docs_and_part_numbers", "companion_persona_open_weights")
]


def _keys(decision: advisor.Decision) -> set[str]:
    keys = set()
    for kind in decision.rulebase.vocabulary.kinds:
        if kind.field is None or kind.merge == "by_id":
            continue
        for value in decision.conclusions.get(kind.name, ()):
            keys.add(kind.name if kind.values == () else f"{kind.name}:{value}")
    return keys | {f"finding:{f.id}" for f in decision.findings}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_each_answer_gives_the_stated_outcome(path: Path, rulebase: RuleBase) -> None:
    answers = load_scenario(path).answers
    reference = advisor.decide(answers)
    for question in rulebase.questions:
        data = advisor.why(question.id, answers)
        assert set(data.live_rules) <= set(data.rules)
        assert sum(v.current for v in data.values) == 1
        firing: dict[str, set[bool]] = {}
        for outcome in data.values:
            trial = dict(answers)
            trial[question.id] = outcome.value
            try:
                decision = advisor.decide(trial)
            except advisor.MissingAnswersError:
                assert data.assumed  # the walk needed more: why() filled it in and said so
                continue
            keys = _keys(decision)
            assert decision.techniques == outcome.techniques
            assert sorted(keys - _keys(reference)) == list(outcome.added), outcome.words
            assert sorted(_keys(reference) - keys) == list(outcome.removed), outcome.words
            fired = {r.id for r in decision.fired}
            for rule in data.rules:
                firing.setdefault(rule, set()).add(rule in fired)
        assert set(data.live_conclusions) == {
            key for o in data.values for key in (*o.added, *o.removed)
        }
        if not data.assumed:
            live = {rule for rule, seen in firing.items() if len(seen) == 2}
            assert live == set(data.live_rules), question.id


def test_partial_answers_are_filled_and_said() -> None:
    data = advisor.why("latency_budget_ms", {"knowledge": "general"})
    assert any(a.startswith("behavior = ") and a.endswith("(suggested)") for a in data.assumed)
    assert not any(a.startswith("data_shapes") for a in data.assumed)  # never asked here
    assert data.reached


def test_a_question_not_asked_is_said(run_cli: Callable[..., Any], tmp_path: Path) -> None:
    answers = tmp_path / "general.json"
    answers.write_text(json.dumps({**load_scenario(CASES[0]).answers, "knowledge": "general"}))
    result = run_cli("why", "data_shapes", "--answers", str(answers))
    assert result.returncode == 0, result.stderr
    assert "with these answers it is not asked" in result.stdout
    assert "Given the other answers, no rule depends on it." in result.stdout


def test_cli(run_cli: Callable[..., Any]) -> None:
    example = str(ROOT / "examples/support-bot.toml")
    result = run_cli("why", "latency_budget_ms", "--answers", example)
    assert result.returncode == 0, result.stderr
    assert "latency_budget_ms from 170 to 299 ms: adds" in result.stdout
    data = json.loads(
        run_cli("why", "latency_budget_ms", "--answers", example, "--format", "json").stdout
    )
    assert data["question"] == "latency_budget_ms" and data["reached"] is True
    # Under 1 s a rule says the plan needs a small model; from 1 s the ledger swaps the large
    # one for it: the same listed change for other reasons. Under 1 s the plan also drops the
    # note that checks each citation before the answer is shown, so the text keeps the two
    # ranges apart; ranges whose elements and notes are the same are one row.
    rows = [(v["low"], v["high"], v["added"], v["removed"]) for v in data["values"]]
    small = (["finding:latency_budget_needs_small_model"], [])
    assert (360, 999, *small) in rows and (1000, 1209, *small) in rows
    flat = " ".join(result.stdout.split())
    assert (
        "latency_budget_ms from 360 to 999 ms: adds finding:latency_budget_needs_small_model; "
        "drops the notes of rag_verify_grounding_for_citations" in flat
    )
    assert (
        "latency_budget_ms from 1,000 to 1,209 ms: adds "
        "finding:latency_budget_needs_small_model -" in flat
    )
    shown = [line for line in result.stdout.splitlines() if line.startswith("  - ")]
    visible = {(v["low"], v["high"]) for v in data["values"]}
    assert len(shown) == len(visible)
    bad = run_cli("why", "nope")
    assert bad.returncode == 2 and "unknown question 'nope'" in bad.stderr


def test_can_change_agrees_with_the_decision_graph(rulebase: RuleBase) -> None:
    from advisor.analysis.why import can_change

    for question in rulebase.questions:
        assert can_change(question.id, rulebase) == rulebase.graph.can_change(question.id)


def test_markdown_formats_of_why_and_whatif(run_cli: Callable[..., Any]) -> None:
    example = str(ROOT / "examples/support-bot.toml")
    why = run_cli("why", "labelled_examples", "--answers", example, "--format", "markdown")
    assert why.returncode == 0, why.stderr
    assert why.stdout.startswith("# Why we ask labelled_examples:")
    assert "## Each answer" in why.stdout
    whatif = run_cli("whatif", "--answers", example, "--target", "reranker", "--format", "markdown")
    assert whatif.returncode == 0, whatif.stderr
    assert whatif.stdout.startswith("# What would change the advice")
    assert "## a re-ranker (reranker; in the advice)" in whatif.stdout
    assert "- removed with latency_budget_ms from 1,210 to 1,359 ms" in whatif.stdout


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_the_current_budget_row_gives_the_advice_itself(path: Path) -> None:
    """The row holding the current budget is decided with that budget, and the ledger's totals
    split the classes, so it never claims that the current answer changes the advice."""
    answers = load_scenario(path).answers
    data = advisor.why("latency_budget_ms", answers)
    (current,) = [o for o in data.values if o.current]
    assert not current.added and not current.removed, current.words
    for outcome in data.values:  # every range is decided at its low end: check the high end
        if outcome.high is not None and outcome.high != outcome.low and not outcome.current:
            high = advisor.why("latency_budget_ms", {**answers, "latency_budget_ms": outcome.high})
            (row,) = [o for o in high.values if o.current]
            assert (row.low, row.high) == (outcome.low, outcome.high), outcome.words


def test_an_answer_that_changes_only_notes_is_not_called_the_same_advice(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    """A question whose answers add or drop only notes (drafts_reviewed: how drafts are
    evaluated) names the rules giving them, instead of "the same advice"."""
    answers = {
        "knowledge": "general",
        "behavior": "describable",
        "output_format": "free_text",
        "instructions": "simple",
        "narrow_task": False,
        "reasoning": "simple",
        "latency_budget_ms": 5000,
        "request_volume": "low",
        "labelled_examples": 0,
    }
    data = advisor.why("drafts_reviewed", answers)
    yes = next(o for o in data.values if o.value is True)
    no = next(o for o in data.values if o.value is False)
    assert not yes.added and not yes.removed  # no listed element changes
    assert "evaluate_drafts_by_use" in yes.notes_fired and not no.notes_fired
    path = tmp_path / "a.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    result = run_cli("why", "drafts_reviewed", "--answers", str(path))
    assert result.returncode == 0, result.stderr
    assert "drafts_reviewed = yes: adds the notes of evaluate_drafts_by_use" in " ".join(
        result.stdout.split()
    )
