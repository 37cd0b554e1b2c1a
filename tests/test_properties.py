"""Properties over the whole answer space, checked by hypothesis on generated answers.

Answers are drawn the way the walk reaches questions: in walk order, a question is answered only
when its gate holds for the answers drawn so far, with any value of its domain (numbers across
their whole range, with extra weight on the thresholds the rules compare them with). Example
counts are bounded for CI; `HYPOTHESIS_PROFILE=thorough python -m pytest tests/test_properties.py`
runs many more (see the README's Development section).
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import advisor
from advisor.engine.walk import walk
from advisor.knowledge import conditions as cond
from advisor.knowledge.loader import default_rulebase
from advisor.knowledge.questions import Question
from advisor.vocabulary import TECHNIQUES

settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

RULEBASE = default_rulebase()


def _values(question: Question) -> st.SearchStrategy[Any]:
    if question.kind == "choice":
        return st.sampled_from(question.values)
    if question.kind == "bool":
        return st.booleans()
    if question.kind == "int":
        low = question.minimum if question.minimum is not None else 0
        high = question.maximum if question.maximum is not None else 10**9
        cuts = [c + d for c in RULEBASE.domains.cuts.get(question.id, ()) for d in (-1, 0, 1)]
        near = [c for c in cuts if low <= c <= high]
        numbers = st.integers(low, high)
        return st.one_of(st.sampled_from(near), numbers) if near else numbers
    return st.lists(
        st.sampled_from(question.values), min_size=question.min_choices, unique=True
    ).map(sorted)


@st.composite
def answers(draw: st.DrawFn) -> dict[str, Any]:
    """A complete answers object: every question the walk reaches is answered."""
    given_answers: dict[str, Any] = {}
    for question in RULEBASE.questions:
        reached = walk(given_answers, RULEBASE).effective
        gate = cond.evaluate(question.asked_when, reached)
        if gate is True:
            given_answers[question.id] = draw(_values(question))
    return given_answers


def _json(value: Any) -> str:
    return advisor.advise(value).model_dump_json()


@given(answers())
def test_every_recommendation_is_complete_and_cited(case: dict[str, Any]) -> None:
    rec = advisor.advise(case)
    assert rec.techniques[0] == "prompt_engineering"
    assert _json(case) == rec.model_dump_json()  # deterministic
    cited = [c for item in rec.prompt_engineering.rationale for c in item.citations]
    plans = [
        p
        for p in (rec.prompt_engineering, rec.rag, rec.fine_tuning, rec.evaluation)
        if p is not None
    ]
    assert [p is not None for p in (rec.rag, rec.fine_tuning)] == [
        t in rec.techniques for t in ("rag", "fine_tuning")
    ]
    for plan in plans:
        assert plan.rationale, f"{type(plan).__name__} has no reason"
        cited += [c for item in plan.rationale for c in item.citations]
    cited += [c for finding in rec.findings for c in finding.citations]
    assert rec.latency is not None
    cited += [c for stage in rec.latency.stages for c in stage.citations]
    assert set(cited) <= set(RULEBASE.kb)
    assert [s.ref for s in rec.sources] == list(dict.fromkeys(cited))
    decision = advisor.decide(case)
    for kind in RULEBASE.vocabulary.kinds:
        if kind.owner not in (None, "value"):
            for value in decision.conclusions.get(kind.name, ()):
                reasons = [r for r in decision.fired if r.then.kind == kind.name]
                assert reasons, f"{kind.name}:{value} has no rule that gave it"
                if kind.owner in TECHNIQUES:  # the evaluation plan is in every recommendation
                    assert kind.owner in rec.techniques, f"{kind.name}:{value} without {kind.owner}"


@given(answers())
def test_new_knowledge_brings_retrieval_or_the_material_in_the_prompt(
    case: dict[str, Any],
) -> None:
    """Knowledge the model lacks is retrieved, or put in the prompt, or (a closed label set or a
    rulebook a tuned model judges by) learned from the training examples, which a note says."""
    decision = advisor.decide(case)
    if decision.answers["knowledge"] != "general":
        in_prompt = decision.has("tactic", "context_in_prompt")
        learned = any(
            r.id in ("labels_learned_not_pasted", "policy_learned_not_pasted")
            for r in decision.fired
        )
        assert "rag" in decision.techniques or in_prompt or learned


@given(answers())
def test_fine_tuning_never_with_api_only_access_nor_for_knowledge_alone(
    case: dict[str, Any],
) -> None:
    decision = advisor.decide(case)
    if decision.answers.get("model_access") == "api":
        assert "fine_tuning" not in decision.techniques
    if "fine_tuning" in decision.techniques:
        assert decision.conclusions["purpose"], "fine-tuning must serve a behaviour purpose"
        behaviour = {
            k: decision.answers.get(k)
            for k in ("behavior", "output_format", "instructions", "narrow_task")
        }
        assert behaviour != {
            "behavior": "default",
            "output_format": "free_text",
            "instructions": "simple",
            "narrow_task": False,
        }, "fine-tuning recommended with no behaviour gap"


@given(answers(), st.integers(1, 60_000))
def test_raising_the_latency_budget_never_removes_retrieval(
    case: dict[str, Any], more: int
) -> None:
    """More time never takes RAG away, never leaves fewer retrievers, and never drops one except
    where a faster stand-in gives way to the retriever the data calls for (below 300 ms a keyword
    lookup stands in for text-to-SQL over tables)."""
    question = RULEBASE.question_by_id["latency_budget_ms"]
    if "latency_budget_ms" not in case:
        return
    higher = min(case["latency_budget_ms"] + more, question.maximum or 10**9)
    low, high = advisor.decide(case), advisor.decide({**case, "latency_budget_ms": higher})
    if "rag" in low.techniques:
        assert "rag" in high.techniques
    before, after = low.conclusions["retriever"], high.conclusions["retriever"]
    assert len(after) >= len(before), (case, higher)
    dropped = set(before) - set(after)
    assert dropped <= {"keyword"}, (case, higher)
    if dropped:
        assert "text_to_sql" in after and "identifiers" not in case.get("data_shapes", ())


@given(answers(), st.randoms(use_true_random=False))
def test_the_order_of_answering_never_changes_the_result(case: dict[str, Any], rng: Any) -> None:
    keys = list(case)
    rng.shuffle(keys)
    shuffled = {key: case[key] for key in keys}
    assert json.loads(_json(shuffled)) == json.loads(_json(case))


@settings(max_examples=40)
@given(answers(), st.text(max_size=40), st.dates().map(lambda d: d.isoformat()))
def test_a_record_regenerated_from_its_own_answers_is_byte_identical(
    case: dict[str, Any], project: str, date: str
) -> None:
    from advisor.render import render
    from advisor.services.records import parse_record

    if project.strip() and not any(0xD800 <= ord(c) <= 0xDFFF for c in project):
        case = {**case, "project": project}
    text = render(advisor.decide(case), "markdown", date=date)
    record = parse_record(text, "record.md")
    assert record is not None
    again = render(
        advisor.decide(record.answers), "markdown", date=date, front_matter=record.front_matter
    )
    assert again == text
