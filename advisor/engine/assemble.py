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
from advisor.knowledge.answers import METADATA_FIELDS, plain_answer, plain_answers
from advisor.knowledge.rules import PLACEHOLDER
from advisor.vocabulary import SECTIONS, SHIPPED, TECHNIQUES

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
    "evaluation": "EvaluationPlan",
}
_ALWAYS = frozenset(SECTIONS) - frozenset(TECHNIQUES)
"""Plans present in every recommendation (the evaluation plan)."""
_SHIPPED_KINDS = frozenset(kind.name for kind in SHIPPED)
_DETAIL = {
    "skipped": "asked only when {}",
    "ignored": "not asked because this does not hold: {}",
}


class _Parts:
    """What assembly needs from one rule base, worked out once per kind of output (models or
    plain data): each rule's section and its reason when it has no placeholder, each fired
    rule's trace step, each cited source, and the trace step of every shared question status.
    The parts are immutable (frozen models of tuples, or plain data that is only serialised),
    so they are shared by every result."""

    def __init__(self, rulebase: RuleBase, make: Make) -> None:
        self.make = make
        vocabulary = rulebase.vocabulary
        self.section: list[str | None] = []
        self.fired_step: list[Any] = []
        self.reason: list[Any] = []
        for rule in rulebase.rules:
            kind = vocabulary.kind(rule.then.kind)
            self.section.append(None if kind.merge == "by_id" else kind.section(rule.then.value))
            self.fired_step.append(
                make(
                    "TraceStep",
                    {
                        "kind": "fired",
                        "id": rule.id,
                        "value": rule.then.key,
                        "detail": rule.when_text,
                    },
                )
            )
            self.reason.append(None if "{" in rule.because else self.rationale(rule, rule.because))
        self.source = {
            ref: make(
                "Source",
                {"ref": ref, "title": s.title, "page": s.page_title, "excerpt": s.summary},
            )
            for ref, s in rulebase.kb.items()
        }
        self.questions = rulebase.question_by_id
        ledger = rulebase.ledger
        self.stages = {
            stage.id: make(
                "LedgerStage",
                {
                    "id": stage.id,
                    "label": stage.label,
                    "low_ms": stage.low,
                    "typical_ms": stage.typical,
                    "high_ms": stage.high,
                    "parallel_group": stage.group,
                    "citations": stage.cite,
                },
            )
            for stage in (ledger.stages if ledger is not None else ())
        }
        self.drop_order = tuple(s.id for s in ledger.drop_order) if ledger is not None else ()
        self.status_step: dict[int, tuple[QuestionStatus, Any]] = {}
        for entry in compiled(rulebase).questions:
            shared = [entry.skipped, *entry.asked.values()]
            if entry.defaulted is not None:
                shared.append(entry.defaulted)
            for status in shared:
                self.status_step[id(status)] = (status, self.step(status))
        self.sub_choices = {
            technique: tuple(
                (
                    kind.name,
                    kind.field or kind.name,
                    kind.merge == "flag",
                    kind.name in _SHIPPED_KINDS,
                )
                for kind in vocabulary.sub_choices(technique)
            )
            for technique in SECTIONS
        }

    def rationale(self, rule: Rule, text: str) -> Any:
        return self.make("RationaleItem", {"text": text, "citations": rule.cite, "rule": rule.id})

    def step(self, status: QuestionStatus) -> Any:
        question = self.questions[status.id]
        value = None if status.status == "skipped" else plain_answer(status.value, question)
        if isinstance(value, list):
            value = tuple(value)
        detail = _DETAIL[status.status].format(status.gate) if status.status in _DETAIL else ""
        return self.make(
            "TraceStep", {"kind": status.status, "id": status.id, "value": value, "detail": detail}
        )

    def step_of(self, status: QuestionStatus) -> Any:
        found = self.status_step.get(id(status))
        if found is not None and found[0] is status:
            return found[1]
        return self.step(status)


def _citations(item: Any) -> tuple[str, ...]:
    found: tuple[str, ...] = item["citations"] if isinstance(item, dict) else item.citations
    return found


def _parts(rulebase: RuleBase, flavour: str, make: Make) -> _Parts:
    shared = compiled(rulebase).shared_parts
    found: _Parts | None = shared.get(flavour)
    if found is None:
        found = shared[flavour] = _Parts(rulebase, make)
    return found


def assemble(decision: Decision, parts: _Parts) -> Any:
    """The Recommendation for `decision`, each part made by `parts.make` (or shared)."""
    make = parts.make
    rules = decision.fired
    techniques = decision.techniques
    conclusions = decision.conclusions
    words: dict[str, str] = {}
    by_section: dict[str | None, list[Any]] = {}
    cited: dict[str, None] = {}
    section_of, reason_of = parts.section, parts.reason
    for rule in rules:
        section = section_of[rule.order]
        if section is None or (section not in techniques and section not in _ALWAYS):
            continue
        item = reason_of[rule.order]
        if item is None:
            item = parts.rationale(rule, _text(rule, decision, words))
        by_section.setdefault(section, []).append(item)
    fields: dict[str, Any] = {"techniques": techniques}
    for technique in SECTIONS:
        if technique not in techniques and technique not in _ALWAYS:
            fields[technique] = None
            continue
        plan: dict[str, Any] = {}
        extensions: dict[str, Any] = {}
        for name, field, flag, shipped in parts.sub_choices[technique]:
            values = conclusions.get(name, ())
            (plan if shipped else extensions)[field] = bool(values) if flag else values
        items = tuple(by_section.get(technique, ()))
        for item in items:  # sources in order of first citation: plans in order, then findings
            for ref in _citations(item):
                cited[ref] = None
        plan["rationale"] = items
        if extensions:
            plan.update(extensions)
        fields[technique] = make(PLAN_MODELS[technique], plan)
    findings = []
    for finding in decision.findings:
        citations = finding.citations
        for ref in citations:
            cited[ref] = None
        findings.append(
            make(
                "Finding",
                {
                    "id": finding.id,
                    "severity": finding.severity,
                    "message": finding_message(decision, finding, words),
                    "citations": citations,
                    "rules": tuple(rule.id for rule in finding.rules),
                },
            )
        )
    fields["latency"] = _latency(decision, parts, cited)
    fields["findings"] = tuple(findings)
    source = parts.source
    fields["sources"] = tuple(source[ref] for ref in cited)
    step_of, fired_step = parts.step_of, parts.fired_step
    fields["trace"] = (
        *(step_of(status) for status in decision.questions),
        *(fired_step[rule.order] for rule in rules),
    )
    fields["answers"] = used_answers(decision)
    fields["rules_version"] = decision.rulebase.version
    fields["advisor_version"] = __version__
    if decision.rulebase.packs:  # only with packs: the output without them is unchanged
        fields["packs"] = tuple(
            make("PackRef", {"name": p.name, "version": p.version}) for p in decision.rulebase.packs
        )
    return make("Recommendation", fields)


def _latency(decision: Decision, parts: _Parts, cited: dict[str, None]) -> Any:
    """The ledger part of the result; its stages' citations join the sources."""
    ledger = decision.ledger
    if ledger is None:
        return None
    stage = parts.stages
    for kept in ledger.kept:
        for ref in kept.cite:
            cited[ref] = None
    return parts.make(
        "LatencyLedger",
        {
            "budget_ms": ledger.budget,
            "measure": ledger.measure,
            "stages": tuple(stage[s.id] for s in ledger.kept),
            "dropped": tuple(stage[s.id] for s in ledger.dropped),
            "drop_order": parts.drop_order,
            "total_low_ms": ledger.total_low,
            "total_typical_ms": ledger.total_typical,
            "total_high_ms": ledger.total_high,
            "fits": ledger.fits,
        },
    )


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
    return plain_answers(decision.given, decision.rulebase)


def plain(decision: Decision) -> dict[str, Any]:
    """The Recommendation as plain JSON-ready data (what `--format json` prints). Parts are
    shared between calls: read them, do not change them."""
    result: dict[str, Any] = assemble(decision, _parts(decision.rulebase, "plain", _plain_part))
    return result


def _plain_part(_model: str, fields: dict[str, Any]) -> dict[str, Any]:
    return fields


def recommendation(decision: Decision) -> Recommendation:
    """The public pydantic Recommendation for `decision` (its parts are immutable and shared)."""
    rulebase = decision.rulebase
    parts = compiled(rulebase).shared_parts.get("models")
    if parts is None:
        parts = _parts(rulebase, "models", _model_maker())
    result: Recommendation = assemble(decision, parts)
    return result


def _model_maker() -> Make:
    """A `make` that builds the pydantic models through pydantic's public API: `model_construct`
    (the values come from a validated rule base and validated answers) with one shared set of
    field names per model, or the validating constructor for a plan with extra sub-choices."""
    from advisor import models

    classes = {name: getattr(models, name) for name in models.PART_NAMES}

    fields_sets: dict[str, frozenset[str]] = {}

    def make(name: str, fields: dict[str, Any]) -> Any:
        cls = classes[name]
        names = fields_sets.get(name)
        if names is None or len(names) != len(fields):
            return cls(**fields)
        return cls.model_construct(names, **fields)

    for name, cls in classes.items():  # a field left out when empty (packs) is set when given
        fields_sets[name] = frozenset(
            n for n, f in cls.model_fields.items() if getattr(f, "exclude_if", None) is None
        )

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
