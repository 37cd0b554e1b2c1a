"""HOW: for every technique, sub-choice and finding of a Decision, the rules that fired for it,
the minimal answers that made each rule true, and the kb sections behind it, as plain data.
A finding the latency ledger raised rests on the budget it was compared with.

Built on the Decision alone (the rules that fired and the answers used); the minimal supporting
answers come from `analysis.support` (exact, over the answer space). Kinds are read from the
vocabulary, so a kind a rule folder adds is explained without code here. The strength of each
recommended element (`analysis.strength`) is attached when the caller asks for it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.analysis.support import minimal_support
from advisor.knowledge.answers import plain_answer
from advisor.knowledge.ledger import BUDGET_QUESTION, MEASURE_QUESTION
from advisor.knowledge.rules import PLACEHOLDER

LEDGER_READS = (BUDGET_QUESTION, MEASURE_QUESTION)
"""What a finding of the latency ledger rests on: the budget and what it bounds (the stages it
sums are the other elements of the outcome)."""

if TYPE_CHECKING:
    from advisor.analysis.models import Explanation
    from advisor.engine.decision import Decision
    from advisor.knowledge.rulebase import RuleBase
    from advisor.knowledge.rules import Rule
    from advisor.vocabulary import Kind


@dataclass(frozen=True, slots=True)
class SupportingAnswer:
    """One answer in a rule's minimal support."""

    question: str
    value: Any
    """The answer as plain data (None: the question was not asked)."""
    words: str
    status: str
    """`asked`, `defaulted` (no answer given: the default was used) or `not_asked`."""
    changeable: bool


@dataclass(frozen=True, slots=True)
class FiredRule:
    """A rule that fired for an element, with its reason in words."""

    id: str
    because: str
    citations: tuple[str, ...]
    support: tuple[SupportingAnswer, ...]


@dataclass(frozen=True, slots=True)
class Source:
    ref: str
    title: str


@dataclass(frozen=True, slots=True)
class Element:
    """One technique, sub-choice or finding of the outcome and how it was reached."""

    kind: str
    value: str
    key: str
    """`technique:rag`, `retriever:keyword`, `reranker`, `finding:<id>`."""
    label: str
    section: str | None
    """The technique (or `evaluation`) whose plan holds it; None for techniques and findings."""
    severity: str | None
    rules: tuple[FiredRule, ...]
    notes: tuple[FiredRule, ...]
    """For a technique: fired rules that add a reason to its plan without a sub-choice."""
    baseline: bool
    """The technique every recommendation starts from (it needs no rule)."""
    strength: str | None = None
    """`essential`, `recommended` or `optional` for techniques and sub-choices."""
    strength_reason: str | None = None


@dataclass(frozen=True, slots=True)
class ExplanationData:
    """HOW the advice was reached: one Element per outcome element, in output order."""

    techniques: tuple[str, ...]
    elements: tuple[Element, ...]
    sources: tuple[Source, ...]
    answers: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (what `advisor explain --format json` prints)."""
        return dataclasses.asdict(self)

    def element(self, key: str) -> Element | None:
        return next((e for e in self.elements if e.key == key), None)


def element_key(kind: Kind, value: str) -> str:
    return kind.name if kind.values == () else f"{kind.name}:{value}"


def outcome_keys(decision: Decision) -> list[tuple[Kind, str]]:
    """Every element of a Decision's outcome as (kind, value), in output order: techniques,
    then each kind with a result field in vocabulary order, findings last."""
    vocabulary = decision.rulebase.vocabulary
    found: list[tuple[Kind, str]] = []
    for kind in vocabulary.kinds:
        if kind.field is None:
            continue
        if kind.merge == "by_id":
            found.extend((kind, f.id) for f in decision.findings)
        else:
            found.extend((kind, value) for value in decision.conclusions.get(kind.name, ()))
    return found


def reason_text(rule: Rule, decision: Decision) -> str:
    """`because` with `{question_id}` filled with the answer in words."""
    parts = PLACEHOLDER.split(rule.because)
    by_id = decision.rulebase.question_by_id
    for n in range(1, len(parts), 2):
        question = by_id.get(parts[n])
        if question is not None:
            parts[n] = question.format_value(decision.answers.get(parts[n]))
        else:
            parts[n] = "{" + parts[n] + "}"
    return "".join(parts)


def explain_decision(decision: Decision, *, with_strength: bool = False) -> ExplanationData:
    """The Explanation of `decision` (no rule is evaluated again: supports are computed over
    the answer space for the rules that fired)."""
    rulebase = decision.rulebase
    vocabulary = rulebase.vocabulary
    by_id = rulebase.question_by_id
    statuses = {s.id: s.status for s in decision.questions}
    supports: dict[str, FiredRule] = {}
    ledger_rules = {r.id for r in decision.ledger.findings} if decision.ledger else set()

    def fired(rule: Rule) -> FiredRule:
        found = supports.get(rule.id)
        if found is None:
            answers = []
            if rule.id in ledger_rules:  # raised by the latency ledger's sum, not a condition
                reads: Iterable[str] = [q for q in LEDGER_READS if q in decision.answers]
            else:
                reads = minimal_support(rule, decision.answers, rulebase)
            for qid in reads:
                question = by_id[qid]
                value = decision.answers.get(qid)
                status = statuses.get(qid, "skipped")
                answers.append(
                    SupportingAnswer(
                        qid,
                        None if value is None else plain_answer(value, question),
                        "not asked" if value is None else question.format_value(value),
                        "not_asked" if value is None else status,
                        question.changeable,
                    )
                )
            found = supports[rule.id] = FiredRule(
                rule.id, reason_text(rule, decision), rule.cite, tuple(answers)
            )
        return found

    elements = []
    cited: dict[str, None] = {}
    for kind, value in outcome_keys(decision):
        key = element_key(kind, value)
        severity = None
        if kind.merge == "by_id":
            merged = next(f for f in decision.findings if f.id == value)
            rules = tuple(fired(r) for r in merged.rules)
            severity = merged.severity
        else:
            rules = tuple(
                fired(r)
                for r in decision.fired
                if r.then.kind == kind.name and r.then.value == value
            )
        notes: tuple[FiredRule, ...] = ()
        if kind.name == "technique":
            notes = tuple(
                fired(r)
                for r in decision.fired
                if r.then.kind != kind.name
                and r.then.kind != "finding"
                and vocabulary.kind(r.then.kind).field is None
                and vocabulary.kind(r.then.kind).section(r.then.value) == value
            )
        for item in (*rules, *notes):
            cited.update(dict.fromkeys(item.citations))
        elements.append(
            Element(
                kind=kind.name,
                value=value,
                key=key,
                label=kind.words(value) if kind.values != () else kind.words(""),
                section=None if kind.owner in (None, "value") else kind.owner,
                severity=severity,
                rules=rules,
                notes=notes,
                baseline=kind.name == "technique" and not rules and value == decision.techniques[0],
            )
        )
    if with_strength:
        from advisor.analysis.strength import strengths

        graded = strengths(decision, elements)
        elements = [
            dataclasses.replace(e, strength=graded[e.key][0], strength_reason=graded[e.key][1])
            if e.key in graded
            else e
            for e in elements
        ]
    sources = tuple(
        Source(ref, rulebase.kb[ref].title if ref in rulebase.kb else ref) for ref in cited
    )
    answers = {
        s.id: plain_answer(s.value, by_id[s.id])
        for s in decision.questions
        if s.status in ("asked", "defaulted")
    }
    return ExplanationData(decision.techniques, tuple(elements), sources, answers)


def explain(answers: Mapping[str, Any] | Any, rulebase: RuleBase | None = None) -> Explanation:
    """HOW: the `advisor.analysis.models.Explanation` of the advice for `answers` (an `Answers`
    model or a plain mapping; errors as `advisor.decide`)."""
    from advisor.analysis.models import Explanation
    from advisor.engine.decide import decide

    data = explain_decision(decide(answers, rulebase), with_strength=True)
    return Explanation.model_validate(data.as_dict())
