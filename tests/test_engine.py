"""The public library API: advise(), next_question(), Answers, errors, trace, determinism."""

from __future__ import annotations

import itertools
import pydoc
from pathlib import Path
from typing import Any

import pytest

import advisor
from advisor.knowledge.rulebase import RuleBase


def test_plain_mapping_and_answers_model_give_the_same_recommendation(
    answers: dict[str, Any],
) -> None:
    from_dict = advisor.advise(answers)
    from_model = advisor.advise(advisor.Answers(**answers))
    assert from_dict == from_model
    assert isinstance(from_dict, advisor.Recommendation)


def test_prompt_engineering_is_always_the_baseline(answers: dict[str, Any]) -> None:
    for knowledge, behavior in itertools.product(
        ["general", "private_static", "private_dynamic"], ["default", "hard_to_describe"]
    ):
        rec = advisor.advise({**answers, "knowledge": knowledge, "behavior": behavior})
        assert rec.techniques[0] == "prompt_engineering"
        assert rec.prompt_engineering.rationale


def test_knowledge_gap_brings_rag_and_general_knowledge_does_not(answers: dict[str, Any]) -> None:
    assert "rag" in advisor.advise({**answers, "knowledge": "private_dynamic"}).techniques
    rec = advisor.advise({**answers, "knowledge": "general"})
    assert "rag" not in rec.techniques and rec.rag is None


def test_every_citation_resolves_and_is_listed_in_sources(
    answers: dict[str, Any], rulebase: RuleBase
) -> None:
    rec = advisor.advise(
        {
            **answers,
            "knowledge": "private_dynamic",
            "reasoning": "complex",
            "base_model_eval": "not_done",
            "behavior": "hard_to_describe",
        }
    )
    cited = [
        c
        for plan in (rec.prompt_engineering, rec.rag, rec.fine_tuning, rec.evaluation)
        if plan
        for item in plan.rationale
        for c in item.citations
    ]
    cited += [c for f in rec.findings for c in f.citations]
    assert rec.latency is not None  # the ledger's stages cite their figures last
    cited += [c for stage in rec.latency.stages for c in stage.citations]
    assert cited
    assert set(cited) <= set(rulebase.kb)
    assert [s.ref for s in rec.sources] == list(dict.fromkeys(cited))
    for source in rec.sources:
        assert source.excerpt == rulebase.kb[source.ref].summary


def test_missing_answers_are_listed_all_at_once_in_walk_order(rulebase: RuleBase) -> None:
    with pytest.raises(advisor.MissingAnswersError) as info:
        advisor.advise({"knowledge": "general"})
    order = [q.id for q in rulebase.questions]
    missing = info.value.missing
    assert missing == sorted(missing, key=order.index)
    assert "behavior" in missing and "latency_budget_ms" in missing
    assert "data_shapes" not in missing  # not reached when knowledge is general
    assert "proposed" not in missing  # has a default
    assert "why" not in str(info.value) or "behavior" in str(info.value)
    behavior = rulebase.question_by_id["behavior"]
    assert behavior.why in str(info.value)


def test_unreached_answers_are_accepted_and_reported_in_the_trace(answers: dict[str, Any]) -> None:
    rec = advisor.advise({**answers, "knowledge": "general"})
    ignored = {step.id for step in rec.trace if step.kind == "ignored"}
    assert {"data_shapes", "knowledge_volume", "citations"} <= ignored
    assert "data_shapes" not in rec.answers


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"knowledge": "privat"}, "expected one of: general, private_static, private_dynamic"),
        ({"latency_budget_ms": "fast"}, "'latency_budget_ms': \"fast\" is not valid"),
        ({"latency_budget_ms": 0}, "a whole number >= 1"),
        ({"citations": "maybe"}, "expected true or false"),
        ({"data_shapes": ["documents", "pdfs"]}, "'data_shapes' item 2"),
        ({"latency": 300}, "unknown answer id 'latency' (did you mean 'latency_budget_ms'?"),
    ],
)
def test_bad_answers_name_the_id_and_the_allowed_values(
    answers: dict[str, Any], change: dict[str, Any], expected: str
) -> None:
    with pytest.raises(advisor.AnswersError) as info:
        advisor.advise({**answers, **change})
    assert expected in str(info.value)


def test_duplicate_and_empty_set_answers_are_rejected(answers: dict[str, Any]) -> None:
    with pytest.raises(advisor.AnswersError, match="lists a value twice"):
        advisor.advise({**answers, "data_shapes": ["documents", "documents"]})
    with pytest.raises(advisor.AnswersError, match="needs at least 1 value"):
        advisor.advise({**answers, "data_shapes": []})


def test_next_question_walks_only_what_matters(answers: dict[str, Any]) -> None:
    first = advisor.next_question({})
    assert first is not None and first.id == "knowledge"
    assert first.why and first.choices
    after_general = advisor.next_question({"knowledge": "general"})
    assert after_general is not None and after_general.id == "behavior"
    after_private = advisor.next_question({"knowledge": "private_static"})
    assert after_private is not None and after_private.id == "data_shapes"
    assert advisor.next_question(answers) is None


def test_next_question_walk_reaches_a_recommendation(rulebase: RuleBase) -> None:
    """Answer each question with its suggested value until the walk ends; then advise."""
    partial: dict[str, Any] = {}
    asked = []
    while (question := advisor.next_question(partial)) is not None:
        asked.append(question.id)
        partial[question.id] = question.suggest
    assert len(asked) == len(set(asked))
    rec = advisor.advise(partial)
    assert [s.id for s in rec.trace if s.kind == "asked"] == asked


def test_trace_lists_the_walk_then_the_rules_in_order(
    answers: dict[str, Any], rulebase: RuleBase
) -> None:
    rec = advisor.advise(answers)
    kinds = [step.kind for step in rec.trace]
    first_fired = kinds.index("fired")
    assert all(k == "fired" for k in kinds[first_fired:])
    fired = [step.id for step in rec.trace if step.kind == "fired"]
    order = [rule.id for rule in rulebase.rules]
    assert fired == sorted(fired, key=order.index)
    assert all("{" not in item.text for item in rec.prompt_engineering.rationale)


def test_output_is_deterministic(answers: dict[str, Any]) -> None:
    variant = {
        **answers,
        "knowledge": "private_dynamic",
        "data_shapes": ["identifiers", "documents"],
    }
    first = advisor.advise(variant).model_dump_json()
    assert advisor.advise(dict(reversed(list(variant.items())))).model_dump_json() == first
    assert advisor.advise(variant).answers["data_shapes"] == ["documents", "identifiers"]


def test_findings_are_sorted_by_severity(answers: dict[str, Any]) -> None:
    rec = advisor.advise(
        {
            **answers,
            "reasoning": "complex",
            "base_model_eval": "not_done",
            "behavior": "hard_to_describe",
            "model_access": "api",
        }
    )
    ranks = ["high", "medium", "low", "info"]
    severities = [ranks.index(f.severity) for f in rec.findings]
    assert len(severities) >= 2 and severities == sorted(severities)


def test_api_is_documented() -> None:
    text = pydoc.render_doc(advisor.advise)
    assert "Recommend techniques" in text and "MissingAnswersError" in text
    assert advisor.next_question.__doc__
    assert set(advisor.__all__) <= set(dir(advisor))


def test_conditional_missing_answers_say_on_what_they_depend(rulebase: RuleBase) -> None:
    with pytest.raises(advisor.MissingAnswersError) as info:
        advisor.advise({})
    text = str(info.value)
    assert text.startswith(f"{len(info.value.missing)} answers are missing:")
    gate = rulebase.question_by_id["knowledge"].text  # the question the gate reads, in words
    needed = f"(needed if the answer to '{gate}' calls for it)"
    assert f"'data_shapes': Where does that knowledge live? {needed}" in text
    assert rulebase.question_by_id["knowledge"].why in text


def test_a_question_gated_on_a_skipped_question_is_never_asked(tmp_path: Path) -> None:
    """q3 is asked when q2, and q2 when q1: with q1 = no, neither q2 nor q3 is needed."""
    rules, kb = tmp_path / "rules", tmp_path / "kb"
    rules.mkdir()
    kb.mkdir()
    (kb / "page.md").write_text("# Page\n\nLast reviewed: 2026-01-01\n\n## Why\n\nBecause.\n")
    (rules / "questions.toml").write_text(
        "".join(
            f'[[question]]\nid = "{qid}"\ntype = "bool"\ntext = "{qid}?"\nwhy = "x"\n{gate}\n'
            for qid, gate in [("q1", ""), ("q2", 'asked_when = "q1"'), ("q3", 'asked_when = "q2"')]
        )
    )
    (rules / "core.toml").write_text(
        '[[rule]]\nid = "base"\nwhen = "true"\nthen = "technique:prompt_engineering"\n'
        'because = "x"\ncite = ["kb/page.md#why"]\n'
    )
    small = advisor.load_rulebase(rules, kb)
    assert advisor.next_question({"q1": False}, small) is None
    rec = advisor.advise({"q1": False, "q3": True}, small)
    steps = {step.id: step.kind for step in rec.trace}
    assert steps == {"q1": "asked", "q2": "skipped", "q3": "ignored", "base": "fired"}
    with pytest.raises(advisor.MissingAnswersError) as info:
        advisor.advise({}, small)
    assert info.value.missing == ["q1", "q2", "q3"]  # unknown until q1 is answered


def _walk_with(include_optional: bool) -> list[str]:
    answers: dict[str, object] = {}
    asked = []
    while (q := advisor.next_question(answers, include_optional=include_optional)) is not None:
        asked.append(q.id)
        if q.has_default:
            answers[q.id] = list(q.default) if q.kind == "set" else q.default
        elif q.kind == "int":
            answers[q.id] = q.minimum if q.minimum is not None else 0
        elif q.kind == "bool":
            answers[q.id] = False
        elif q.kind == "set":
            answers[q.id] = [q.values[0]]
        else:
            answers[q.id] = q.values[-1]
    return asked


def test_next_question_can_also_ask_the_questions_that_have_a_default() -> None:
    """By default the walk takes a default without asking (an agent asks only what it must);
    with include_optional it asks them too, in walk order, as the questionnaire does."""
    required = _walk_with(False)
    everything = _walk_with(True)
    assert set(required) < set(everything)
    assert {"stakes", "data_boundary", "audience", "proposed"} <= set(everything) - set(required)
    order = [q.id for q in advisor.load_rulebase().questions]
    assert everything == sorted(everything, key=order.index)
