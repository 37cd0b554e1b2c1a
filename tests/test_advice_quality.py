"""Properties of the advice over the whole categorical answer space.

Every combination of the categorical answers (knowledge and its follow-ups, behaviour, format,
instructions, narrow task, reasoning and the base-model test, request volume) is advised once,
with model access, the numbers (latency budget, labelled examples) and the proposed techniques
drawn by a seeded generator from values on both sides of every threshold. The checks are
statements a domain expert would make about any recommendation ("never fine-tune without a model
you can train", "never more than one retriever under 300 ms"), not copies of individual rules.
"""

from __future__ import annotations

import gc
import itertools
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import advisor
from advisor.knowledge.loader import default_rulebase
from advisor.knowledge.rulebase import RuleBase
from advisor.models import Recommendation

README = Path(__file__).resolve().parents[1] / "README.md"
SHAPES = ("documents", "tables", "identifiers")
LATENCIES = (150, 299, 300, 700, 999, 1000, 1500, 1999, 2000, 3000, 30000, 3599999, 3600000)
EXAMPLES = (0, 10, 19, 20, 49, 50, 1000)
PROPOSALS: tuple[list[str], ...] = (
    [],
    ["prompt_engineering"],
    ["fine_tuning"],
    ["rag"],
    ["prompt_engineering", "rag"],
    ["prompt_engineering", "rag", "fine_tuning"],
)
SEVERITIES = ("high", "medium", "low", "info")
ACCESS = ("api", "api_finetune", "open_weights")


def knowledge_options() -> Iterator[dict[str, Any]]:
    yield {"knowledge": "general"}
    for knowledge in ("private_static", "private_dynamic"):
        for size in range(1, 4):
            for shapes in itertools.combinations(SHAPES, size):
                for volume, citations in itertools.product(("small", "large"), (False, True)):
                    yield {
                        "knowledge": knowledge,
                        "data_shapes": list(shapes),
                        "knowledge_volume": volume,
                        "citations": citations,
                    }


def reasoning_options() -> Iterator[dict[str, Any]]:
    yield {"reasoning": "simple"}
    for reasoning in ("multi_step", "complex"):
        for result in ("not_done", "passes", "fails"):
            yield {"reasoning": reasoning, "base_model_eval": result}


@dataclass(frozen=True)
class Outcome:
    """The graded parts of a recommendation, kept small so the whole space fits in memory."""

    techniques: tuple[str, ...]
    tactics: tuple[str, ...]
    retrievers: tuple[str, ...]
    reranker: bool
    purposes: tuple[str, ...]
    findings: dict[str, str]
    fired: frozenset[str]

    @classmethod
    def of(cls, rec: Recommendation) -> Outcome:
        return cls(
            techniques=tuple(rec.techniques),
            tactics=tuple(rec.prompt_engineering.tactics),
            retrievers=tuple(rec.rag.retrievers) if rec.rag else (),
            reranker=bool(rec.rag and rec.rag.reranker),
            purposes=tuple(rec.fine_tuning.purposes) if rec.fine_tuning else (),
            findings={f.id: f.severity for f in rec.findings},
            fired=frozenset(step.id for step in rec.trace if step.kind == "fired"),
        )


Pair = tuple[dict[str, Any], Outcome]


@cache
def space() -> tuple[Pair, ...]:
    """Every categorical combination, advised once (about 29,000 recommendations)."""
    rng = random.Random(20241125)
    pairs = []
    gc.disable()  # tens of thousands of short-lived models: the cyclic collector only slows this
    try:
        for parts in itertools.product(
            knowledge_options(),
            ("default", "describable", "hard_to_describe"),
            ("free_text", "structured", "strict_schema"),
            ("simple", "complex"),
            (False, True),
            reasoning_options(),
            ("low", "high"),
        ):
            knowledge, behavior, output, instructions, narrow, reasoning, volume = parts
            answers = {
                **knowledge,
                "behavior": behavior,
                "output_format": output,
                "instructions": instructions,
                "narrow_task": narrow,
                **reasoning,
                "latency_budget_ms": rng.choice(LATENCIES),
                "request_volume": volume,
                "labelled_examples": rng.choice(EXAMPLES),
                "model_access": rng.choice(ACCESS),
                "proposed": rng.choice(PROPOSALS),
            }
            pairs.append((answers, Outcome.of(advisor.advise(answers))))
    finally:
        gc.enable()
    return tuple(pairs)


def full(step: int) -> Iterator[tuple[dict[str, Any], Recommendation]]:
    """Every `step`-th answer set of the space with its complete recommendation."""
    for answers, _ in space()[::step]:
        yield answers, advisor.advise(answers)


def behaviour_signal(a: dict[str, Any]) -> bool:
    """Answers that describe behaviour a prompt may not reliably produce."""
    return (
        a["behavior"] == "hard_to_describe"
        or a["narrow_task"]
        or (a["output_format"] == "strict_schema" and a["request_volume"] == "high")
        or (a["instructions"] == "complex" and a["request_volume"] == "high")
    )


def context_gap_beyond_prompt(a: dict[str, Any]) -> bool:
    """Knowledge the model lacks that cannot simply be pasted into a cached prompt."""
    if a["knowledge"] == "general":
        return False
    return (
        a["knowledge"] == "private_dynamic"
        or a["citations"]
        or a["knowledge_volume"] == "large"
        or "tables" in a["data_shapes"]
        or "identifiers" in a["data_shapes"]
    )


# --------------------------------------------------------------------------- the techniques


def test_the_space_is_large_and_every_rule_fires_somewhere(rulebase: RuleBase) -> None:
    pairs = space()
    assert len(pairs) > 25_000
    fired = set().union(*(out.fired for _, out in pairs))
    dead = [rule.id for rule in rulebase.rules if rule.id not in fired]
    assert not dead, f"rules that never fire over the whole answer space: {dead}"


def test_prompt_engineering_is_always_first_with_clear_instructions() -> None:
    order = ("prompt_engineering", "rag", "fine_tuning")
    for _, out in space():
        assert out.techniques[0] == "prompt_engineering"
        assert out.techniques == tuple(t for t in order if t in out.techniques)
        assert "clear_instructions" in out.tactics


def test_rag_exactly_when_knowledge_is_missing_and_does_not_fit_the_prompt() -> None:
    for answers, out in space():
        assert ("rag" in out.techniques) == context_gap_beyond_prompt(answers), answers


def test_fine_tuning_only_with_a_behaviour_gap_examples_and_a_trainable_model() -> None:
    for answers, out in space():
        if "fine_tuning" not in out.techniques:
            assert not out.purposes
            continue
        assert answers["model_access"] != "api", answers
        assert answers["labelled_examples"] >= 50, answers
        assert behaviour_signal(answers), answers


def test_each_fine_tuning_purpose_matches_a_behaviour_answer() -> None:
    justified = {
        "style": lambda a: a["behavior"] == "hard_to_describe",
        "format": lambda a: a["output_format"] == "strict_schema",
        "instructions": lambda a: a["instructions"] == "complex",
        "skill": lambda a: a["narrow_task"] and a.get("base_model_eval") != "fails",
    }
    for answers, out in space():
        assert bool(out.purposes) == ("fine_tuning" in out.techniques)
        for purpose in out.purposes:
            assert justified[purpose](answers), (purpose, answers)


def test_an_unmet_behaviour_gap_is_explained_and_bridged_with_few_shot() -> None:
    explanations = {"too_few_examples_for_fine_tuning", "fine_tuning_unavailable"}
    for answers, out in space():
        if not behaviour_signal(answers) or "fine_tuning" in out.techniques:
            continue
        if "choose_stronger_base_model" in out.findings:
            continue
        assert explanations & set(out.findings), answers
        assert "few_shot" in out.tactics, answers


def test_fine_tuning_blockers_are_true_of_the_answers() -> None:
    for answers, out in space():
        if "too_few_examples_for_fine_tuning" in out.findings:
            assert answers["labelled_examples"] < 50
            assert "fine_tuning" not in out.techniques
        if "fine_tuning_unavailable" in out.findings:
            assert answers["model_access"] == "api"
            assert "fine_tuning" not in out.techniques


# --------------------------------------------------------------------------- retrieval


def test_retrievers_and_reranker_only_with_rag_and_each_fits_a_data_shape() -> None:
    for answers, out in space():
        if "rag" not in out.techniques:
            assert not out.retrievers and not out.reranker
            continue
        shapes = set(answers["data_shapes"])
        assert out.retrievers, answers
        if "vector" in out.retrievers:
            assert "documents" in shapes
        if "text_to_sql" in out.retrievers:
            assert "tables" in shapes
        if "keyword" in out.retrievers:
            assert shapes & {"identifiers", "tables"}
        if out.reranker:
            assert "documents" in shapes or len(shapes) >= 2, "re-ranking needs many candidates"
            assert shapes & {"documents", "identifiers"}, "re-ranking needs ranked passages"


def test_latency_budget_caps_the_retrieval_pipeline() -> None:
    for answers, out in space():
        budget = answers["latency_budget_ms"]
        if budget < 1000:
            assert not out.reranker, answers
        if budget < 300 and out.retrievers:
            assert len(out.retrievers) == 1, answers
            assert "text_to_sql" not in out.retrievers, answers


def test_every_shape_is_served_unless_the_budget_limits_retrieval() -> None:
    serves = {"documents": "vector", "identifiers": "keyword", "tables": "text_to_sql"}
    for answers, out in space():
        if "rag" not in out.techniques:
            continue
        dropped = [s for s in answers["data_shapes"] if serves[s] not in out.retrievers]
        if dropped:
            assert answers["latency_budget_ms"] < 300
            assert "latency_budget_limits_retrieval" in out.findings, answers


def test_mixed_text_shapes_are_fused_and_reranked_when_the_budget_allows() -> None:
    for answers, out in space():
        if "rag" not in out.techniques or answers["latency_budget_ms"] < 1000:
            continue
        shapes = set(answers["data_shapes"])
        if len(shapes) >= 2 and shapes & {"documents", "identifiers"}:
            assert len(out.retrievers) >= 2 and out.reranker, answers


def test_offline_work_reranks_and_uses_batch_apis() -> None:
    for answers, out in space():
        offline = answers["latency_budget_ms"] >= 3_600_000
        assert ("use_batch_api" in out.findings) == offline
        if offline and "rag" in out.techniques and "documents" in answers["data_shapes"]:
            assert out.reranker


def test_a_larger_budget_never_removes_retrieval_quality_or_reasoning() -> None:
    """Raising only the latency budget keeps or adds retrievers, re-ranking and chain-of-thought."""
    for answers, _ in space()[::211]:
        previous: Outcome | None = None
        for budget in LATENCIES:
            out = Outcome.of(advisor.advise({**answers, "latency_budget_ms": budget}))
            if previous is not None:
                assert len(out.retrievers) >= len(previous.retrievers)
                assert out.reranker or not previous.reranker
                assert "chain_of_thought" in out.tactics or (
                    "chain_of_thought" not in previous.tactics
                )
            previous = out


def test_more_examples_or_a_trainable_model_never_removes_fine_tuning() -> None:
    for answers, out in space()[::7]:
        if "fine_tuning" not in out.techniques:
            continue
        more = advisor.advise({**answers, "labelled_examples": answers["labelled_examples"] * 10})
        assert "fine_tuning" in more.techniques
        for access in ("api_finetune", "open_weights"):
            assert "fine_tuning" in advisor.advise({**answers, "model_access": access}).techniques


# --------------------------------------------------------------------------- prompt tactics


def test_chain_of_thought_for_reasoning_within_budget_otherwise_a_finding() -> None:
    for answers, out in space():
        cot = "chain_of_thought" in out.tactics
        needs = answers["reasoning"] != "simple"
        assert needs or not cot
        if needs and not cot:
            assert "latency_budget_limits_reasoning" in out.findings, answers
        if "latency_budget_limits_reasoning" in out.findings:
            assert needs and not cot


def test_few_shot_and_output_format_follow_style_and_structure() -> None:
    for answers, out in space():
        if answers["behavior"] == "describable" or answers["output_format"] != "free_text":
            assert "few_shot" in out.tactics, answers
        assert ("output_format" in out.tactics) == (answers["output_format"] != "free_text")


# --------------------------------------------------------------------------- findings


def test_base_model_findings() -> None:
    for answers, out in space():
        evaluated = answers.get("base_model_eval")
        untested = answers["reasoning"] != "simple" and evaluated == "not_done"
        assert ("evaluate_base_model_first" in out.findings) == untested
        assert ("choose_stronger_base_model" in out.findings) == (evaluated == "fails")
        if answers["reasoning"] == "complex" and untested:
            assert out.findings["evaluate_base_model_first"] == "high"


def test_fine_tuning_never_presented_as_a_source_of_knowledge() -> None:
    for answers, out in space():
        knowledge_gap = answers["knowledge"] != "general"
        if "fine_tuning" in out.techniques and knowledge_gap:
            assert "fine_tuning_does_not_add_knowledge" in out.findings
        if knowledge_gap and "fine_tuning" in answers["proposed"] and not behaviour_signal(answers):
            assert out.findings.get("fine_tuning_does_not_add_knowledge") == "high", answers
        if "fine_tuning_does_not_add_knowledge" in out.findings:
            assert knowledge_gap


def test_proposals_are_checked_against_the_gaps() -> None:
    proposal_findings = {
        "rag_without_knowledge_gap",
        "fine_tuning_without_behaviour_gap",
        "proposal_lacks_retrieval",
    }
    for answers, out in space():
        if "rag" in answers["proposed"] and "rag" not in out.techniques:
            assert "rag_without_knowledge_gap" in out.findings, answers
        if "rag_without_knowledge_gap" in out.findings:
            assert "rag" not in out.techniques
        if "proposal_lacks_retrieval" in out.findings:
            assert "rag" in out.techniques and "rag" not in answers["proposed"]
        if "fine_tuning_without_behaviour_gap" in out.findings:
            assert not behaviour_signal(answers) and "fine_tuning" not in out.techniques
        if not answers["proposed"]:
            assert not proposal_findings & set(out.findings)


def test_combined_techniques_come_with_an_ablation_reminder() -> None:
    for _, out in space():
        both = {"rag", "fine_tuning"} <= set(out.techniques)
        assert ("gains_may_not_stack" in out.findings) == both


def test_findings_are_documented_and_sorted_by_severity() -> None:
    documented = readme_finding_ids()
    seen: set[str] = set()
    for _, out in space():
        seen.update(out.findings)
        assert set(out.findings) <= documented, f"{out.findings} not all in the README"
        ranks = [SEVERITIES.index(s) for s in out.findings.values()]
        assert ranks == sorted(ranks)
    assert seen == documented, f"documented but never produced: {sorted(documented - seen)}"


def test_every_reason_and_finding_is_cited_and_filled_in(rulebase: RuleBase) -> None:
    for _, rec in full(step=23):
        for technique in rec.techniques:
            plan = getattr(rec, technique)
            assert plan.rationale, f"{technique} has no reason"
            for item in plan.rationale:
                assert item.citations and all(c in rulebase.kb for c in item.citations)
                assert not re.search(r"\{[a-z_]+\}", item.text), item.text
        for finding in rec.findings:
            assert finding.citations and all(c in rulebase.kb for c in finding.citations)
            assert finding.message.strip() and not re.search(r"\{[a-z_]+\}", finding.message)
            if finding.id == "too_few_examples_for_fine_tuning":
                assert "50" in finding.message and "OpenAI" in finding.message


def test_advice_is_deterministic() -> None:
    for answers, rec in full(step=997):
        again = advisor.advise(json.loads(json.dumps(answers)))
        assert again.model_dump_json() == rec.model_dump_json()


# --------------------------------------------------------------------------- the README


def readme_section() -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"^## What the advice means\n(.*?)(?=^## )", text, re.DOTALL | re.MULTILINE)
    assert match, "README.md lacks the section '## What the advice means'"
    return match.group(1)


def readme_finding_ids() -> set[str]:
    """Finding ids listed (as `- `id` (severity)`) under the section's Findings heading."""
    parts = readme_section().split("### Findings", 1)
    assert len(parts) == 2, "the README section needs a '### Findings' sub-heading"
    return set(re.findall(r"^- `([a-z0-9_]+)`", parts[1], re.MULTILINE))


def test_readme_explains_every_conclusion_the_rules_can_reach() -> None:
    rulebase = default_rulebase()
    section = readme_section()
    producible = {r.then.value for r in rulebase.rules if r.then.kind == "finding"}
    assert readme_finding_ids() == producible
    for rule in rulebase.rules:
        if rule.then.kind in ("technique", "tactic", "retriever", "purpose"):
            assert f"- `{rule.then.value}`" in section, f"README does not explain {rule.then.key}"
    assert "- `reranker`" in section
    for rule in rulebase.rules:
        if rule.then.kind != "finding":
            continue
        line = re.search(rf"^- `{rule.then.value}` \(([a-z, ]+)\)", section, re.MULTILINE)
        assert line, f"README lists {rule.then.value} without its severity in parentheses"
        assert rule.severity in line.group(1).split(", "), (rule.id, rule.severity)
