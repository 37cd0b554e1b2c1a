"""Build the Recommendation from the walk and the rules that fired.

Most of a result depends only on which rules fired: techniques, tactics, retrievers, purposes,
which reasons go where, findings merged and ordered by severity, sources. That part is an
`Outline`, kept per rule base for each set of fired rules seen (a few hundred in practice), so a
call mostly fills the answers into the reasons' templates and copies lists (issue 6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from advisor._version import __version__
from advisor.engine import fastmodel
from advisor.engine.compile import Plan, Reason, RuleEntry
from advisor.engine.fastmodel import construct
from advisor.knowledge.answers import METADATA_FIELDS, plain_answer
from advisor.knowledge.rulebase import RuleBase
from advisor.knowledge.rules import PURPOSES, RETRIEVERS, SEVERITIES, TACTICS, TECHNIQUES, Severity
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

_OUTLINES_KEPT = 4096  # distinct sets of fired rules whose outline is kept per rule base
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
# (name, the conclusion that adds it), in output order.
_ADDED_TECHNIQUES = tuple((t, f"technique:{t}") for t in TECHNIQUES if t != "prompt_engineering")
_TACTICS = tuple((t, f"tactic:{t}") for t in TACTICS)
_RETRIEVERS = tuple((r, f"retriever:{r}") for r in RETRIEVERS)
_PURPOSES = tuple((p, f"purpose:{p}") for p in PURPOSES)
_RECOMMENDATION_FIELDS = fastmodel.ENGINE_FIELDS[Recommendation]


@dataclass(frozen=True, slots=True)
class FindingOutline:
    """A finding merged from the rules that raised it: the most severe severity, all reasons."""

    id: str
    severity: Severity
    reasons: tuple[Reason, ...]
    citations: tuple[str, ...]
    rules: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Outline:
    """Everything of a result that depends only on which rules fired (not on the answers)."""

    techniques: tuple[str, ...]
    tactics: tuple[str, ...]
    retrievers: tuple[str, ...]
    reranker: bool
    purposes: tuple[str, ...]
    sections: tuple[tuple[Reason, ...] | None, ...]
    """Per technique of TECHNIQUES, the reasons of its plan; None when the result leaves it out."""
    findings: tuple[FindingOutline, ...]
    """Most severe first, then in rule order."""
    fired_steps: tuple[TraceStep, ...]
    sources: tuple[Source, ...]


def recommendation(
    effective: Mapping[str, Any],
    steps: list[TraceStep],
    fired: tuple[int, ...],
    answers: Mapping[str, Any],
    plan: Plan,
    rulebase: RuleBase,
) -> Recommendation:
    """The result for a finished walk (`effective`, `steps`) and the positions of fired rules.

    `answers` are the validated answers, for the metadata the result echoes.
    """
    outline = plan.outlines.get(fired)
    if outline is None:
        outline = _outline(fired, plan, rulebase)
    words: dict[str, str] = {}  # answers in words, filled in as templates need them
    rationales: list[list[RationaleItem] | None] = []
    for reasons in outline.sections:
        if reasons is None:
            rationales.append(None)
            continue
        items = []
        for reason in reasons:
            template = reason.template
            if template is None:
                text = reason.because
            else:
                text = _fill(template, effective, rulebase, words)
            values = {"text": text, "citations": list(reason.citations), "rule": reason.rule}
            items.append(construct(RationaleItem, values, {"text", "citations", "rule"}))
        rationales.append(items)
    pe_rationale, rag_rationale, ft_rationale = rationales
    assert pe_rationale is not None  # prompt engineering is always in the result
    findings = []
    for finding in outline.findings:
        texts = [
            reason.because
            if reason.template is None
            else _fill(reason.template, effective, rulebase, words)
            for reason in finding.reasons
        ]
        values = {
            "id": finding.id,
            "severity": finding.severity,
            "message": " ".join(texts),
            "citations": list(finding.citations),
            "rules": list(finding.rules),
        }
        findings.append(
            construct(Finding, values, {"id", "severity", "message", "citations", "rules"})
        )
    prompt_engineering = construct(
        PromptEngineeringPlan,
        {"tactics": list(outline.tactics), "rationale": pe_rationale},
        {"tactics", "rationale"},
    )
    rag = None
    if rag_rationale is not None:
        rag = construct(
            RagPlan,
            {
                "retrievers": list(outline.retrievers),
                "reranker": outline.reranker,
                "rationale": rag_rationale,
            },
            {"retrievers", "reranker", "rationale"},
        )
    fine_tuning = None
    if ft_rationale is not None:
        fine_tuning = construct(
            FineTuningPlan,
            {"purposes": list(outline.purposes), "rationale": ft_rationale},
            {"purposes", "rationale"},
        )
    trace = list(steps)
    trace += outline.fired_steps
    return construct(
        Recommendation,
        {
            "techniques": list(outline.techniques),
            "prompt_engineering": prompt_engineering,
            "rag": rag,
            "fine_tuning": fine_tuning,
            "findings": findings,
            "sources": list(outline.sources),
            "trace": trace,
            "answers": _used_answers(effective, answers, plan),
            "rules_version": rulebase.version,
            "advisor_version": __version__,
        },
        set(_RECOMMENDATION_FIELDS),
    )


def _outline(fired: tuple[int, ...], plan: Plan, rulebase: RuleBase) -> Outline:
    """Work out the outline for a set of fired rules, and keep it for reuse."""
    entries = [plan.rules[i] for i in fired]
    concluded = {entry.key for entry in entries}
    techniques = ("prompt_engineering", *(t for t, key in _ADDED_TECHNIQUES if key in concluded))
    sections = tuple(
        tuple(entry.reason for entry in entries if entry.section == technique)
        if technique in techniques
        else None
        for technique in TECHNIQUES
    )
    findings = _findings(entries)
    cited = [c for reasons in sections if reasons for reason in reasons for c in reason.citations]
    cited += [c for finding in findings for c in finding.citations]
    outline = Outline(
        techniques=techniques,
        tactics=tuple(t for t, key in _TACTICS if key in concluded),
        retrievers=tuple(r for r, key in _RETRIEVERS if key in concluded),
        reranker="reranker" in concluded,
        purposes=tuple(p for p, key in _PURPOSES if key in concluded),
        sections=sections,
        findings=findings,
        fired_steps=tuple(entry.fired_step for entry in entries),
        sources=tuple(_sources(cited, plan, rulebase)),
    )
    if len(plan.outlines) >= _OUTLINES_KEPT:
        plan.outlines.clear()
    plan.outlines[fired] = outline
    return outline


def _findings(entries: list[RuleEntry]) -> tuple[FindingOutline, ...]:
    """Rules raising the same finding make one finding; most severe first, then rule order."""
    merged: dict[str, list[RuleEntry]] = {}
    for entry in entries:
        if entry.finding is not None:
            merged.setdefault(entry.finding, []).append(entry)
    findings = []
    for finding_id, raised_by in merged.items():
        severity = min((e.severity or "info" for e in raised_by), key=_SEVERITY_RANK.__getitem__)
        citations = dict.fromkeys(c for e in raised_by for c in e.reason.citations)
        findings.append(
            FindingOutline(
                id=finding_id,
                severity=severity,
                reasons=tuple(e.reason for e in raised_by),
                citations=tuple(citations),
                rules=tuple(e.reason.rule for e in raised_by),
            )
        )
    findings.sort(key=lambda finding: _SEVERITY_RANK[finding.severity])
    return tuple(findings)


def _fill(
    template: tuple[str, ...],
    effective: Mapping[str, Any],
    rulebase: RuleBase,
    words: dict[str, str],
) -> str:
    """`because` with `{question_id}` replaced by the answer in words (`rules.PLACEHOLDER`).

    `words` caches each answer's words for the rest of the call.
    """
    parts = list(template)
    for n in range(1, len(parts), 2):
        name = parts[n]
        word = words.get(name)
        if word is None:
            question = rulebase.question_by_id.get(name)
            if question is None:
                word = "{" + name + "}"
            else:
                word = question.format_value(effective.get(name))
            words[name] = word
        parts[n] = word
    return "".join(parts)


def _sources(cited: list[str], plan: Plan, rulebase: RuleBase) -> list[Source]:
    """The cited sections in order of first citation (shared, immutable Source models)."""
    sources = []
    for ref in dict.fromkeys(cited):
        source = plan.sources.get(ref)
        if source is None:
            section = rulebase.kb[ref]
            values = {"ref": ref, "title": section.title, "page": section.page_title}
            values["excerpt"] = section.summary
            source = construct(Source, values, {"ref", "title", "page", "excerpt"})
            plan.sources[ref] = source
        sources.append(source)
    return sources


def _used_answers(
    effective: Mapping[str, Any], answers: Mapping[str, Any], plan: Plan
) -> dict[str, Any]:
    """The answers the walk used, as plain data, and the metadata answers."""
    used = dict(effective)
    for question in plan.set_questions:
        if question.id in used:
            used[question.id] = plain_answer(used[question.id], question)
    for key in METADATA_FIELDS:
        value = answers.get(key)
        if value is not None:
            used[key] = value
    return used
