"""The Recommendation, assembled from a Decision: one assembly for two outputs.

`assemble(decision, make)` lays the result out once, field by field in the output models'
order, and calls `make(model_name, fields)` for every part. `recommendation()` makes pydantic
models (the public `Recommendation`, built through pydantic's own constructors, with shared parts
such as trace steps and sources made once per rule base); `plain()` makes plain dicts, which
`render.jsonout` prints as JSON byte-identical to `model_dump_json(indent=2)` without importing
pydantic. Which plans and sub-choices exist comes from the vocabulary, never from code here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from advisor._version import __version__
from advisor.engine.compile import compiled
from advisor.engine.decision import Decision, MergedFinding, QuestionStatus
from advisor.knowledge.answers import METADATA_FIELDS, plain_answer
from advisor.knowledge.rules import PLACEHOLDER
from advisor.vocabulary import SHIPPED, TECHNIQUES

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase
    from advisor.knowledge.rules import Rule
    from advisor.models import Recommendation

Make = Callable[[str, dict[str, Any]], Any]
"""Builds one part of the result from its fields (a model name such as "Finding")."""

PLAN_MODELS = {
    "prompt_engineering": "PromptEngineeringPlan",
    "rag": "RagPlan",
    "fine_tuning": "FineTuningPlan",
}
_SHIPPED_KINDS = frozenset(kind.name for kind in SHIPPED)
_DETAIL = {
    "skipped": "asked only when {}",
    "ignored": "not asked because this does not hold: {}",
}


def assemble(decision: Decision, make: Make) -> Any:
    """The Recommendation's parts for `decision`, each made by `make`."""
    rulebase = decision.rulebase
    vocabulary = rulebase.vocabulary
    techniques = decision.techniques
    words: dict[str, str] = {}
    reasons = _reasons_by_section(decision)
    fields: dict[str, Any] = {"techniques": list(techniques)}
    cited: list[str] = []
    for technique in TECHNIQUES:
        if technique not in techniques:
            fields[technique] = None
            continue
        items = []
        for rule in reasons.get(technique, ()):
            cited += rule.cite
            items.append(
                make(
                    "RationaleItem",
                    {
                        "text": _text(rule, decision, words),
                        "citations": list(rule.cite),
                        "rule": rule.id,
                    },
                )
            )
        plan: dict[str, Any] = {}
        extensions: dict[str, Any] = {}
        for kind in vocabulary.sub_choices(technique):
            values = decision.conclusions.get(kind.name, ())
            value: Any = bool(values) if kind.merge == "flag" else list(values)
            target = plan if kind.name in _SHIPPED_KINDS else extensions
            target[kind.field or kind.name] = value
        plan["rationale"] = items
        plan.update(extensions)
        fields[technique] = make(PLAN_MODELS[technique], plan)
    findings = []
    for finding in decision.findings:
        cited += finding.citations
        message = finding_message(decision, finding, words)
        findings.append(
            make(
                "Finding",
                {
                    "id": finding.id,
                    "severity": finding.severity,
                    "message": message,
                    "citations": list(finding.citations),
                    "rules": [rule.id for rule in finding.rules],
                },
            )
        )
    fields["findings"] = findings
    fields["sources"] = [_source(ref, rulebase, make) for ref in dict.fromkeys(cited)]
    fields["trace"] = [_step(status, decision, make) for status in decision.questions] + [
        make(
            "TraceStep",
            {"kind": "fired", "id": rule.id, "value": rule.then.key, "detail": rule.when_text},
        )
        for rule in decision.fired
    ]
    fields["answers"] = used_answers(decision)
    fields["rules_version"] = rulebase.version
    fields["advisor_version"] = __version__
    return make("Recommendation", fields)


def _reasons_by_section(decision: Decision) -> dict[str, list[Rule]]:
    vocabulary = decision.rulebase.vocabulary
    sections: dict[str, list[Rule]] = {}
    for rule in decision.fired:
        kind = vocabulary.kind(rule.then.kind)
        if kind.merge == "by_id":
            continue
        section = kind.section(rule.then.value)
        if section is not None:
            sections.setdefault(section, []).append(rule)
    return sections


def finding_message(
    decision: Decision, finding: MergedFinding, words: dict[str, str] | None = None
) -> str:
    """A finding's message: the reasons of every rule that raised it, in words."""
    known = {} if words is None else words
    return " ".join(_text(rule, decision, known) for rule in finding.rules)


def _text(rule: Rule, decision: Decision, words: dict[str, str]) -> str:
    """`because` with `{question_id}` replaced by the answer in words (`rules.PLACEHOLDER`)."""
    if "{" not in rule.because:
        return rule.because
    parts = PLACEHOLDER.split(rule.because)
    by_id = decision.rulebase.question_by_id
    for n in range(1, len(parts), 2):
        name = parts[n]
        word = words.get(name)
        if word is None:
            question = by_id.get(name)
            word = (
                "{" + name + "}"
                if question is None
                else question.format_value(decision.answers.get(name))
            )
            words[name] = word
        parts[n] = word
    return "".join(parts)


def _step(status: QuestionStatus, decision: Decision, make: Make) -> Any:
    question = decision.rulebase.question_by_id[status.id]
    value = None if status.status == "skipped" else plain_answer(status.value, question)
    detail = _DETAIL[status.status].format(status.gate) if status.status in _DETAIL else ""
    return make(
        "TraceStep", {"kind": status.status, "id": status.id, "value": value, "detail": detail}
    )


def _source(ref: str, rulebase: RuleBase, make: Make) -> Any:
    section = rulebase.kb[ref]
    return make(
        "Source",
        {
            "ref": ref,
            "title": section.title,
            "page": section.page_title,
            "excerpt": section.summary,
        },
    )


def used_answers(decision: Decision) -> dict[str, Any]:
    """The answers the walk used, as plain data, and the metadata answers."""
    by_id = decision.rulebase.question_by_id
    used = {qid: plain_answer(value, by_id[qid]) for qid, value in decision.answers.items()}
    for key in METADATA_FIELDS:
        value = decision.given.get(key)
        if value is not None:
            used[key] = value
    return used


def given_answers(decision: Decision) -> dict[str, Any]:
    """Every answer the caller gave, reached or not, as plain data in question order."""
    by_id = decision.rulebase.question_by_id
    given = decision.given
    out = {q.id: plain_answer(given[q.id], q) for q in decision.rulebase.questions if q.id in given}
    for key in METADATA_FIELDS:
        if given.get(key) is not None:
            out[key] = given[key]
    out.update({k: v for k, v in given.items() if k not in out and k not in by_id})
    return out


def plain(decision: Decision) -> dict[str, Any]:
    """The Recommendation as plain JSON-ready data (what `--format json` prints)."""
    result: dict[str, Any] = assemble(decision, _plain_part)
    return result


def _plain_part(_model: str, fields: dict[str, Any]) -> dict[str, Any]:
    return fields


def recommendation(decision: Decision) -> Recommendation:
    """The public pydantic Recommendation for `decision`."""
    result: Recommendation = assemble(decision, _models_for(decision.rulebase))
    return result


_SHARED_KEPT = 4096  # shared parts (trace steps, sources) kept per rule base


def _models_for(rulebase: RuleBase) -> Make:
    """A `make` that builds pydantic models; parts holding only scalars are made once."""
    from advisor import models

    shared = compiled(rulebase).shared_parts
    classes = {name: getattr(models, name) for name in models.PART_NAMES}

    def make(name: str, fields: dict[str, Any]) -> Any:
        if name in ("TraceStep", "Source"):
            key = (name, *fields.values())
            try:
                found = shared.get(key)
            except TypeError:  # a list value (a many-choice answer): not shareable
                return classes[name](**fields)
            if found is None:
                found = classes[name](**fields)
                if len(shared) >= _SHARED_KEPT:
                    shared.clear()
                shared[key] = found
            return found
        return classes[name](**fields)

    return make


def advise(answers: Mapping[str, Any] | Any, rulebase: RuleBase | None = None) -> Recommendation:
    """Recommend techniques for the answers (an `Answers` model or a plain mapping).

    Prompt engineering is always the baseline; RAG and fine-tuning are added when the rules find
    a context gap or a behaviour gap. Every reason cites knowledge-base sections, `findings` lists
    warnings by severity, and `trace` records the walk and the rules that fired, in order.

    Raises `AnswersError` for unknown ids or values, and `MissingAnswersError` (a subclass)
    listing every question the walk reaches that has no answer. Answers to questions the walk
    does not reach are accepted and ignored (the trace says so).
    """
    from advisor.engine.decide import decide

    return recommendation(decide(answers, rulebase))
