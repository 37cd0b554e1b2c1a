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
# Contract 2 questions, drawn per answer set (the categorical product above stays the same size)
LIVE_DATA = ("none", "none", "lookup", "actions")
DRAWN: dict[str, tuple[Any, ...]] = {
    "conversation": ("single_turn", "multi_turn"),
    "stakes": ("low", "moderate", "high"),
    "checkable": ("by_program", "by_reference", "by_judgement"),
    "languages": ("one", "several"),
    "latency_measure": ("full_response", "first_token"),
    "lifetime": ("ongoing", "ongoing", "one_off"),
    "domain_text": (False, True),
    "source_in_request": (False, False, True),
    "channel": ("text", "text", "text", "voice", "phone"),
    "repeated_requests": (False, False, True),
    "tool_choice": ("model", "model", "code"),
    "visual_inputs": (False, False, True),
    "whole_documents": (False, False, True),
    "audience": ("staff", "customers", "program"),
    "data_boundary": ("provider", "provider", "agreement", "own_infrastructure"),
    "output_length": ("short", "short", "paragraphs", "long"),
    "drafts_reviewed": (False, False, True),
}
# drawn only where the knowledge question makes them reachable (see `space`)


def knowledge_options() -> Iterator[dict[str, Any]]:
    yield {"knowledge": "general"}
    for knowledge in ("private_static", "private_dynamic"):
        for size in range(1, 4):
            for shapes in itertools.combinations(SHAPES, size):
                for volume, citations in itertools.product(
                    ("small", "long_context", "large"), (False, True)
                ):
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
    methods: tuple[str, ...]
    evaluation: tuple[str, ...]
    dropped: tuple[str, ...]
    swapped: bool
    fits: bool
    findings: dict[str, str]
    fired: frozenset[str]

    @classmethod
    def of(cls, rec: Recommendation) -> Outcome:
        assert rec.latency is not None
        return cls(
            techniques=tuple(rec.techniques),
            tactics=tuple(rec.prompt_engineering.tactics),
            retrievers=tuple(rec.rag.retrievers) if rec.rag else (),
            reranker=bool(rec.rag and rec.rag.reranker),
            purposes=tuple(rec.fine_tuning.purposes) if rec.fine_tuning else (),
            methods=tuple(rec.fine_tuning.methods) if rec.fine_tuning else (),
            evaluation=tuple(rec.evaluation.methods),
            dropped=tuple(s.id for s in rec.latency.dropped),
            swapped=bool(rec.latency.swapped),
            fits=rec.latency.fits,
            findings={f.id: f.severity for f in rec.findings},
            fired=frozenset(step.id for step in rec.trace if step.kind == "fired"),
        )


Pair = tuple[dict[str, Any], Outcome]


@cache
def space() -> tuple[Pair, ...]:
    """Every categorical combination, advised once (about 43,000 recommendations)."""
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
                "live_data": rng.choice(LIVE_DATA),
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
                **{qid: rng.choice(values) for qid, values in DRAWN.items()},
            }
            if answers["knowledge"] == "general" and answers["live_data"] != "none":
                answers["citations"] = rng.choice((False, True))
            if answers["knowledge"] != "general":
                answers["per_user_access"] = rng.choice((False, True))
            if answers["knowledge"] != "general" or answers["source_in_request"]:
                answers["outside_authors"] = rng.choice((False, False, True))
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


def knowledge_retrieved(a: dict[str, Any]) -> bool:
    """Knowledge the model lacks that cannot simply be pasted into a cached prompt: small material
    goes into the prompt (rebuilt when it changes, and cited from there by document id when
    answers must cite it) unless it holds tables (computed by the database) or exact
    identifiers (found by a lookup)."""
    if a["knowledge"] == "general" or closed_label_set(a) or whole_documents_read(a):
        return False
    return (
        a["knowledge_volume"] != "small"
        or "tables" in a["data_shapes"]
        or "identifiers" in a["data_shapes"]
    )


def whole_documents_read(a: dict[str, Any]) -> bool:
    """A task over whole documents that fit a long-context window: the documents go into the
    prompt, since retrieval returns only passages."""
    return bool(a["knowledge_volume"] == "long_context" and a.get("whole_documents"))


def closed_label_set(a: dict[str, Any]) -> bool:
    """A small closed set of identifiers the output chooses from: it belongs in the prompt and
    the output schema, valid by construction, not behind a lookup, also when the set itself is
    fetched per request (a tenant's column names)."""
    return bool(
        a["knowledge"] != "general"
        and a["narrow_task"]
        and a["output_format"] != "free_text"
        and a["knowledge_volume"] == "small"
        and a["data_shapes"] == ["identifiers"]
        and not a["citations"]
    )


def live_records(a: dict[str, Any]) -> bool:
    return bool(a["live_data"] != "none")


def policy_learned(a: dict[str, Any], out: Outcome) -> bool:
    """A narrow structured task, tuned, that judges each request by a small, rarely changing
    rulebook held in the prompt, under a budget below one second: the tuned model learns the
    rulebook from its examples instead of reading it on every call."""
    return bool(
        "fine_tuning" in out.techniques
        and a["knowledge"] == "private_static"
        and a["narrow_task"]
        and a["source_in_request"]
        and a["latency_budget_ms"] < 1000
        and a["output_format"] != "free_text"
        and a["knowledge_volume"] == "small"
        and not a["citations"]
        and not a["per_user_access"]  # one set of weights cannot hold a rulebook per group
        and not knowledge_retrieved(a)
        and not closed_label_set(a)
    )


def self_hosted(a: dict[str, Any], out: Outcome) -> bool:
    return "fine_tuning" in out.techniques and a["model_access"] == "open_weights"


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


def test_rag_exactly_when_knowledge_is_missing_and_does_not_fit_the_prompt_or_is_live() -> None:
    for answers, out in space():
        expected = knowledge_retrieved(answers) or live_records(answers)
        assert ("rag" in out.techniques) == expected, answers
        if answers["knowledge"] != "general" and not knowledge_retrieved(answers):
            if closed_label_set(answers) and "fine_tuning" in out.techniques:
                # a tuned classifier learns its labels: the list stays out of every prompt
                assert "context_in_prompt" not in out.tactics, answers
            elif policy_learned(answers, out):
                # the prompted baseline reads the rulebook; the tuned model learns it (a note)
                assert "context_in_prompt" in out.tactics, answers
                assert "policy_learned_not_pasted" in out.fired, answers
            else:
                assert "context_in_prompt" in out.tactics and "prompt_caching" in out.tactics


def test_fine_tuning_only_with_a_behaviour_gap_examples_a_trainable_model_and_a_lifetime() -> None:
    for answers, out in space():
        if "fine_tuning" not in out.techniques:
            assert not out.purposes and not out.methods
            continue
        assert answers["model_access"] != "api", answers
        assert answers["labelled_examples"] >= 50, answers
        assert answers["lifetime"] == "ongoing", answers
        assert behaviour_signal(answers), answers
        assert "supervised" in out.methods  # every other method builds on it
        if "lora" in out.methods or "continued_pretraining" in out.methods:
            assert answers["model_access"] == "open_weights"
        if "continued_pretraining" in out.methods:
            assert answers["domain_text"]
        if "reinforcement" in out.methods:  # needs a grader
            assert answers["checkable"] in ("by_program", "by_reference")
        if "preference" in out.methods:
            assert answers["labelled_examples"] >= 500


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


def test_an_unmet_behaviour_gap_is_explained_and_bridged_with_examples() -> None:
    explanations = {"too_few_examples_for_fine_tuning", "fine_tuning_unavailable"}
    for answers, out in space():
        if not behaviour_signal(answers) or "fine_tuning" in out.techniques:
            continue
        if "choose_stronger_base_model" in out.findings:
            continue
        if answers["lifetime"] == "one_off":  # training would not pay for itself
            assert "one_off_job_prefers_prompting" in out.findings, answers
            assert not explanations & set(out.findings), answers
            continue
        assert explanations & set(out.findings), answers
        if answers["latency_budget_ms"] >= 1000:  # no room for a block of examples below 1 s
            assert "few_shot" in out.tactics, answers


def test_fine_tuning_blockers_are_true_of_the_answers() -> None:
    for answers, out in space():
        if "too_few_examples_for_fine_tuning" in out.findings:
            assert answers["labelled_examples"] < 50
            assert "fine_tuning" not in out.techniques
        if "fine_tuning_unavailable" in out.findings:
            assert answers["model_access"] == "api"
            assert "fine_tuning" not in out.techniques
        if "hosted_fine_tuning_winding_down" in out.findings:
            assert answers["model_access"] == "api_finetune"


# --------------------------------------------------------------------------- retrieval


def test_retrievers_and_reranker_only_with_rag_and_each_fits_a_data_shape() -> None:
    for answers, out in space():
        if "rag" not in out.techniques:
            assert not out.retrievers and not out.reranker
            continue
        shapes = set(answers.get("data_shapes", ())) if knowledge_retrieved(answers) else set()
        assert out.retrievers, answers
        assert ("tool_call" in out.retrievers) == live_records(answers), answers
        if "vector" in out.retrievers:
            assert "documents" in shapes
        if "text_to_sql" in out.retrievers:
            assert "tables" in shapes and not live_records(answers), "live rows sit behind tools"
        if "keyword" in out.retrievers:
            assert shapes & {"identifiers", "tables"}
        if out.reranker:
            assert "documents" in shapes or len(shapes) >= 2, "re-ranking needs many candidates"
            assert shapes & {"documents", "identifiers"}, "re-ranking needs ranked passages"


def test_live_records_come_from_scoped_tools_with_defences() -> None:
    for answers, out in space():
        if not live_records(answers):
            continue
        assert "injection_defence" in out.tactics, answers
        if answers["live_data"] == "actions":
            assert out.findings.get("actions_need_guardrails") == "high"
            assert "constrained_decoding" in out.tactics
            assert "execution" in out.evaluation  # tasks replayed against a sandbox
        if "rag_for_citations" in out.fired:  # passage citations only for passages
            assert {"vector", "keyword"} & set(out.retrievers)


def test_the_ledger_drops_in_order_and_never_hides_an_overrun() -> None:
    order = ("reranker", "chain_of_thought", "query_rewriting")
    dropped_conclusion = {
        "reranker": lambda out: out.reranker,
        "chain_of_thought": lambda out: "chain_of_thought" in out.tactics,
        "query_rewriting": lambda out: "query_rewriting" in out.tactics,
    }
    finding = {
        "reranker": "latency_budget_limits_retrieval",
        "chain_of_thought": "latency_budget_limits_reasoning",
        "query_rewriting": "latency_budget_limits_retrieval",
    }
    for answers, out in space():
        assert list(out.dropped) == sorted(out.dropped, key=order.index)
        for stage in out.dropped:
            assert not dropped_conclusion[stage](out), (stage, answers)
            assert finding[stage] in out.findings, (stage, answers)
        if not out.fits:
            assert "latency_plan_exceeds_budget" in out.findings, answers
        budget = answers["latency_budget_ms"]
        passages = [r for r in out.retrievers if r != "tool_call"]
        if budget < 300 and passages:
            assert len(passages) == 1 and "text_to_sql" not in passages, answers


def test_every_shape_is_served_unless_the_budget_limits_retrieval() -> None:
    serves = {"documents": "vector", "identifiers": "keyword", "tables": "text_to_sql"}
    for answers, out in space():
        if not knowledge_retrieved(answers):
            continue
        dropped = [s for s in answers["data_shapes"] if serves[s] not in out.retrievers]
        if live_records(answers):  # tables of live records are read through the tool
            dropped = [s for s in dropped if s != "tables"]
        if dropped:  # under 1 s no text-to-SQL; under 300 ms one fast retriever only
            assert answers["latency_budget_ms"] < (300 if dropped != ["tables"] else 1000)
            assert "latency_budget_limits_retrieval" in out.findings, answers


def test_mixed_text_shapes_are_fused_and_reranked_unless_the_ledger_drops_it() -> None:
    for answers, out in space():
        if not knowledge_retrieved(answers) or answers["latency_budget_ms"] < 300:
            continue
        shapes = set(answers["data_shapes"])
        if {"documents", "identifiers"} <= shapes:  # two ranked passage lists to fuse
            assert {"vector", "keyword"} <= set(out.retrievers), answers
            assert out.reranker or "reranker" in out.dropped, answers
        if out.reranker:
            assert "documents" in shapes, "rows and exact ids alone are not re-ranked"


def test_offline_work_reranks_and_uses_batch_apis_unless_self_hosted() -> None:
    for answers, out in space():
        offline = answers["latency_budget_ms"] >= 3_600_000
        batch = offline and not self_hosted(answers, out)
        batch = batch and answers["data_boundary"] != "own_infrastructure"  # no provider there
        assert ("use_batch_api" in out.findings) == batch, answers
        if offline and knowledge_retrieved(answers) and "documents" in answers["data_shapes"]:
            assert out.reranker


def test_a_larger_budget_never_removes_retrieval_quality_or_reasoning() -> None:
    """Raising only the latency budget keeps or adds retrievers, re-ranking and chain-of-thought,
    and drops no more stages, within each model regime: below one second the plan serves a small
    model, from one second a hosted large one whose answer alone costs more, so stages the
    small model left room for can drop at exactly 1 s."""
    for answers, _ in space()[::97]:
        previous: Outcome | None = None
        for budget in LATENCIES:
            out = Outcome.of(advisor.advise({**answers, "latency_budget_ms": budget}))
            # below 1 s the plan serves a small model, from 1 s a hosted large one (swapped for
            # the small one where it cannot fit): across a change of model, stages may trade
            if previous is not None and budget != 1000 and not previous.swapped:
                assert len(out.retrievers) >= len(previous.retrievers)
                assert "chain_of_thought" in out.tactics or (
                    "chain_of_thought" not in previous.tactics
                )
                # a stage dropped at the larger budget only makes room for a costlier one the
                # smaller budget could not hold (the ledger puts back what still fits)
                newly_dropped = set(out.dropped) - set(previous.dropped)
                newly_kept = set(previous.dropped) - set(out.dropped)
                assert not newly_dropped or newly_kept, (budget, answers)
            previous = out


def test_evaluation_is_fitted_to_how_outputs_can_be_checked() -> None:
    by_check = {
        "by_program": "execution",
        "by_reference": "exact_match",
        "by_judgement": "judge_model",
    }
    for answers, out in space():
        assert by_check[answers["checkable"]] in out.evaluation, answers
        assert ("human_review" in out.evaluation) >= (answers["stakes"] == "high")
        if answers["stakes"] == "high":
            assert out.findings.get("high_stakes_needs_human_review") == "high"
        keyword = "keyword" in out.retrievers and answers["citations"]
        passages = "vector" in out.retrievers or keyword
        assert ("ragas" in out.evaluation) == passages
        assert ("schema_validity" in out.evaluation) == (answers["output_format"] != "free_text")
        assert ("cot_test_set" in out.evaluation) == (answers["reasoning"] != "simple")
        if "text_to_sql" in out.retrievers:
            assert "execution" in out.evaluation
        if "build_evaluation_set_first" in out.findings:  # never when a test set was run
            assert answers.get("base_model_eval", "not_done") == "not_done"


def test_conversations_and_long_material_get_their_tactics() -> None:
    for answers, out in space():
        if knowledge_retrieved(answers) and answers["conversation"] == "multi_turn":
            assert "query_rewriting" in out.tactics or "query_rewriting" in out.dropped
        if "query_rewriting" in out.tactics:
            assert knowledge_retrieved(answers)
        long_context = (
            knowledge_retrieved(answers) and answers["knowledge_volume"] == "long_context"
        )
        assert ("long_context_alternative" in out.findings) == (
            long_context and answers["latency_budget_ms"] >= 1000
        ), answers


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
        describable = (
            answers["behavior"] == "describable" or answers["output_format"] != "free_text"
        )
        if describable and answers["latency_budget_ms"] >= 1000:
            assert "few_shot" in out.tactics, answers
        if answers["latency_budget_ms"] < 1000:  # a block of examples breaks a tight budget
            assert "few_shot" not in out.tactics and "dynamic_few_shot" not in out.tactics
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
        learned = closed_label_set(answers) or policy_learned(answers, out)
        if "fine_tuning" in out.techniques and knowledge_gap and not learned:
            assert "fine_tuning_does_not_add_knowledge" in out.findings, answers
        if policy_learned(answers, out):  # the rulebook is what the tuned model learns
            assert "fine_tuning_does_not_add_knowledge" not in out.findings, answers
        if "fine_tuning" in out.techniques and closed_label_set(answers):
            # the closed label set is what a tuned classifier learns from its examples
            assert out.findings.get("fine_tuning_does_not_add_knowledge") != "info", answers
        proposed = "fine_tuning" in answers["proposed"]
        if knowledge_gap and proposed and not behaviour_signal(answers):
            if live_records(answers):  # it would teach tool use, not the records
                assert "fine_tuning_for_tool_use_comes_later" in out.findings, answers
            else:
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
        if "rag_without_knowledge_gap" in out.findings:  # RAG may still fetch live records
            assert not knowledge_retrieved(answers)
        if "proposal_lacks_retrieval" in out.findings:
            assert "rag" in out.techniques and "rag" not in answers["proposed"]
        if "fine_tuning_without_behaviour_gap" in out.findings:
            assert not behaviour_signal(answers) and "fine_tuning" not in out.techniques
        if not answers["proposed"]:
            assert not proposal_findings & set(out.findings)


def test_combined_techniques_come_with_an_ablation_reminder() -> None:
    for _, out in space():
        retrieved = {"vector", "text_to_sql"} & set(out.retrievers)  # not an exact-id lookup
        both = bool(retrieved) and "fine_tuning" in out.techniques
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


def ledger_findings(rulebase: RuleBase) -> dict[str, str]:
    """The findings the latency ledger raises, with their severities."""
    ledger = rulebase.ledger
    assert ledger is not None
    found = {s.finding: s.severity for s in ledger.stages if s.finding and s.severity}
    if ledger.finding and ledger.severity:
        found[ledger.finding] = ledger.severity
    return found


def test_readme_explains_every_conclusion_the_rules_can_reach() -> None:
    rulebase = default_rulebase()
    section = readme_section()
    producible = {r.then.value for r in rulebase.rules if r.then.kind == "finding"}
    assert readme_finding_ids() == producible | set(ledger_findings(rulebase))
    for rule in rulebase.rules:
        if rule.then.kind in ("technique", "tactic", "retriever", "method", "evaluation"):
            assert f"- `{rule.then.value}`" in section, f"README does not explain {rule.then.key}"
        if rule.then.kind == "purpose":
            assert f"`{rule.then.value}` (" in section, f"README does not explain {rule.then.key}"
    assert "- `reranker`" in section
    for rule in rulebase.rules:
        if rule.then.kind != "finding":
            continue
        line = re.search(rf"^- `{rule.then.value}` \(([a-z, ]+)\)", section, re.MULTILINE)
        assert line, f"README lists {rule.then.value} without its severity in parentheses"
        assert rule.severity in line.group(1).split(", "), (rule.id, rule.severity)
    for finding, severity in ledger_findings(rulebase).items():
        line = re.search(rf"^- `{finding}` \(([a-z, ]+)\)", section, re.MULTILINE)
        assert line and severity in line.group(1).split(", "), (finding, severity)
