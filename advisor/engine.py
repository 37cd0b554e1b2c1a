"""The engine: walk the decision graph over the answers, fire the rules, build the advice.

`walk()` is the one place that decides which questions are reached; `next_question()` and
`advise()` both use it, so the questionnaire, the library and the CLI cannot disagree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from advisor._version import __version__
from advisor.answers import METADATA_FIELDS, validate_answers
from advisor.errors import MissingAnswersError
from advisor.models import (
    Finding,
    FineTuningPlan,
    PromptEngineeringPlan,
    RagPlan,
    RationaleItem,
    Recommendation,
    Source,
    TraceStep,
)
from advisor.questions import Question
from advisor.rulebase import RuleBase, default_rulebase
from advisor.rules import (
    PURPOSES,
    RETRIEVERS,
    SEVERITIES,
    TACTICS,
    TECHNIQUES,
    Rule,
    fill_placeholders,
)


@dataclass
class Walk:
    """Which questions the answers reach: the effective answers and what is still missing."""

    effective: dict[str, Any] = field(default_factory=dict)
    steps: list[TraceStep] = field(default_factory=list)
    missing: list[Question] = field(default_factory=list)
    next: Question | None = None


def walk(answers: Mapping[str, Any], rulebase: RuleBase) -> Walk:
    """Visit the questions in graph order; a question is reached when its gate is true.

    A gate that is unknown (it reads an unanswered question) counts as reached for the purpose of
    reporting missing answers, so one error can list everything still needed.
    """
    result = Walk()
    for question, gate in rulebase.compiled_gates:
        reached = gate(result.effective)
        value = answers.get(question.id)
        if reached is False:
            if value is not None:
                result.steps.append(
                    TraceStep(
                        kind="ignored",
                        id=question.id,
                        value=_plain(value, question),
                        detail=f"not asked because this does not hold: {question.asked_when_text}",
                    )
                )
            else:
                result.steps.append(
                    TraceStep(
                        kind="skipped",
                        id=question.id,
                        detail=f"asked only when {question.asked_when_text}",
                    )
                )
            continue
        if value is None and question.has_default:
            value = question.default
            value = frozenset(value) if question.kind == "set" else value
            result.steps.append(
                TraceStep(kind="defaulted", id=question.id, value=_plain(value, question))
            )
        elif value is None:
            result.missing.append(question)
            if result.next is None and reached:
                result.next = question
            continue
        else:
            result.steps.append(
                TraceStep(kind="asked", id=question.id, value=_plain(value, question))
            )
        if reached:
            result.effective[question.id] = value
    return result


def next_question(
    partial_answers: Mapping[str, Any] | Any = None, rulebase: RuleBase | None = None
) -> Question | None:
    """The next question the walk needs, given the answers so far; None when none is left.

    Answers are validated first (AnswersError on an unknown id or value), so a front end can
    pass whatever the user typed and show the error.
    """
    rulebase = rulebase or default_rulebase()
    answers = validate_answers(partial_answers or {}, rulebase)
    return walk(answers, rulebase).next


def advise(answers: Mapping[str, Any] | Any, rulebase: RuleBase | None = None) -> Recommendation:
    """Recommend techniques for the answers (an `Answers` model or a plain mapping).

    Prompt engineering is always the baseline; RAG and fine-tuning are added when the rules find
    a context gap or a behaviour gap. Every reason cites knowledge-base sections, `findings` lists
    warnings by severity, and `trace` records the walk and the rules that fired, in order.

    Raises `AnswersError` for unknown ids or values, and `MissingAnswersError` (a subclass)
    listing every question the walk reaches that has no answer. Answers to questions the walk
    does not reach are accepted and ignored (the trace says so).
    """
    rulebase = rulebase or default_rulebase()
    clean = validate_answers(answers, rulebase)
    reached = walk(clean, rulebase)
    if reached.missing:
        raise MissingAnswersError([(q.id, f"{q.text} ({q.why})") for q in reached.missing])
    return _recommend(reached, rulebase, clean)


def _recommend(reached: Walk, rulebase: RuleBase, clean: Mapping[str, Any]) -> Recommendation:
    effective = reached.effective
    fired: list[Rule] = [rule for rule, test in rulebase.compiled if test(effective) is True]
    trace = list(reached.steps)
    trace.extend(
        TraceStep(kind="fired", id=rule.id, value=rule.then.key, detail=rule.when_text)
        for rule in fired
    )
    words = {q.id: q.format_value(effective.get(q.id)) for q in rulebase.questions}
    concluded = {rule.then.key for rule in fired}
    rationale: dict[str, list[RationaleItem]] = {t: [] for t in TECHNIQUES}
    findings: dict[str, dict[str, Any]] = {}
    for rule in fired:
        text = fill_placeholders(rule.because, words)
        if rule.then.kind == "finding":
            entry = findings.setdefault(
                rule.then.value,
                {"severity": rule.severity, "messages": [], "citations": [], "rules": []},
            )
            if SEVERITIES.index(rule.severity or "info") < SEVERITIES.index(entry["severity"]):
                entry["severity"] = rule.severity
            entry["messages"].append(text)
            entry["citations"].extend(c for c in rule.cite if c not in entry["citations"])
            entry["rules"].append(rule.id)
            continue
        section = rule.then.section
        if section is not None:
            rationale[section].append(
                RationaleItem(text=text, citations=list(rule.cite), rule=rule.id)
            )
    techniques = [
        t for t in TECHNIQUES if t == "prompt_engineering" or f"technique:{t}" in concluded
    ]
    chosen = cast(Any, lambda kind, values: [v for v in values if f"{kind}:{v}" in concluded])
    recommendation = Recommendation(
        techniques=cast(Any, techniques),
        prompt_engineering=PromptEngineeringPlan(
            tactics=chosen("tactic", TACTICS),
            rationale=rationale["prompt_engineering"],
        ),
        rag=RagPlan(
            retrievers=chosen("retriever", RETRIEVERS),
            reranker="reranker" in concluded,
            rationale=rationale["rag"],
        )
        if "rag" in techniques
        else None,
        fine_tuning=FineTuningPlan(
            purposes=chosen("purpose", PURPOSES),
            rationale=rationale["fine_tuning"],
        )
        if "fine_tuning" in techniques
        else None,
        findings=_findings(findings),
        sources=[],
        trace=trace,
        answers=_used_answers(effective, clean, rulebase),
        rules_version=rulebase.version,
        advisor_version=__version__,
    )
    return recommendation.model_copy(update={"sources": _sources(recommendation, rulebase)})


def _findings(collected: dict[str, dict[str, Any]]) -> list[Finding]:
    found = [
        Finding(
            id=fid,
            severity=entry["severity"],
            message=" ".join(entry["messages"]),
            citations=entry["citations"],
            rules=entry["rules"],
        )
        for fid, entry in collected.items()
    ]
    return sorted(found, key=lambda f: SEVERITIES.index(f.severity))


def _sources(recommendation: Recommendation, rulebase: RuleBase) -> list[Source]:
    refs: list[str] = []
    plans = [recommendation.prompt_engineering, recommendation.rag, recommendation.fine_tuning]
    for plan in plans:
        for item in plan.rationale if plan else []:
            refs.extend(item.citations)
    for finding in recommendation.findings:
        refs.extend(finding.citations)
    sources = []
    for ref in dict.fromkeys(refs):
        section = rulebase.kb[ref]
        sources.append(
            Source(ref=ref, title=section.title, page=section.page_title, excerpt=section.summary)
        )
    return sources


def _used_answers(
    effective: Mapping[str, Any], clean: Mapping[str, Any], rulebase: RuleBase
) -> dict[str, Any]:
    used = {key: _plain(value, rulebase.question_by_id[key]) for key, value in effective.items()}
    used.update({key: clean[key] for key in METADATA_FIELDS if clean.get(key) is not None})
    return used


def _plain(value: Any, question: Question) -> Any:
    """Sets become lists in the question's own value order: JSON, and deterministic."""
    return [v for v in question.values if v in value] if isinstance(value, frozenset) else value
