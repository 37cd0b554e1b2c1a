"""What the engine works out once per rule base, so that each call only looks things up.

A rule base is immutable, so whatever depends on it alone (trace steps of skipped questions, of
choice answers and of fired rules, reason templates, cited sources) is built once and shared
between results (issue 6: `advise()` in microseconds). Shared pieces are frozen models holding
only strings, numbers, booleans or None; anything holding a list is built afresh for every call,
so a caller editing one result cannot change another.

The entries are frozen slots dataclasses: on CPython 3.11 reading a slot by name is as fast as
unpacking an exact tuple, while a NamedTuple unpacks about three times slower (the interpreter's
fast path for unpacking takes exact tuples only), and the walk loop is on `advise()`'s hot path.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.engine import fastmodel
from advisor.knowledge import conditions as cond
from advisor.knowledge.questions import Question
from advisor.knowledge.rulebase import RuleBase
from advisor.knowledge.rules import PLACEHOLDER, Rule, Severity
from advisor.models import Source, TraceStep

if TYPE_CHECKING:
    from advisor.engine.assemble import Outline


def trace_step(kind: str, question_id: str, value: Any = None, detail: str = "") -> TraceStep:
    """A trace step with the fields a keyword constructor would get (what `exclude_unset` shows):
    a skipped question has no value, and an empty detail is left out."""
    if kind == "skipped":
        fields_set = {"kind", "id", "detail"}
    elif detail:
        fields_set = {"kind", "id", "value", "detail"}
    else:
        fields_set = {"kind", "id", "value"}
    values = {"kind": kind, "id": question_id, "value": value, "detail": detail}
    return fastmodel.construct(TraceStep, values, fields_set)


@dataclass(frozen=True, slots=True)
class QuestionEntry:
    """One question of the walk, in walk order, with what the walk loop needs at hand."""

    id: str
    question: Question
    gate: cond.Evaluator | None
    """Whether the question is reached; None when it always is."""
    cached_type: type | None
    """The type of answers whose "asked" step is shared (str, bool or int; None for sets)."""
    asked_steps: dict[Any, TraceStep]
    """Shared "asked" steps by answer: every choice and bool up front, numbers as they come."""
    skipped_step: TraceStep
    defaulted_step: TraceStep | None
    """None when there is no default, or when it is a set (shown as a list, built per call)."""
    ignored_detail: str
    """Why an answer to this question, when it is not reached, is ignored."""
    gate_reads: frozenset[str]
    """The questions the gate reads: an unknown gate matters only while one of them is missing."""


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule's reason as a result shows it."""

    rule: str
    because: str
    template: tuple[str, ...] | None
    """`because` split at its `{question_id}` placeholders (odd items); None when it has none."""
    citations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """One rule, in rule order, with what building a result needs from it."""

    key: str
    """The conclusion, e.g. `technique:rag` or `finding:stale_index`."""
    section: str | None
    """The rationale section the reason goes to; None for a finding."""
    finding: str | None
    severity: Severity | None
    reason: Reason
    fired_step: TraceStep


@dataclass(frozen=True, slots=True)
class Plan:
    """Everything the engine precomputes for one rule base, plus caches filled as calls come."""

    questions: tuple[QuestionEntry, ...]
    rules: tuple[RuleEntry, ...]
    set_questions: tuple[Question, ...]
    sources: dict[str, Source] = field(default_factory=dict)
    """Shared Source models by reference, built on first citation."""
    outlines: dict[tuple[int, ...], Outline] = field(default_factory=dict)
    """Result outlines by the positions of the rules that fired (see `advisor.engine.assemble`)."""


_PLANS: dict[int, tuple[weakref.ref[RuleBase], Plan]] = {}


def plan_for(rulebase: RuleBase) -> Plan:
    """The plan of `rulebase`, built on first use and dropped with the rule base."""
    key = id(rulebase)
    cached = _PLANS.get(key)
    if cached is not None:
        owner, plan = cached
        if owner() is rulebase:  # not another rule base that reused a freed one's id
            return plan
    plan = Plan(
        questions=tuple(_question_entry(q, gate) for q, gate in rulebase.compiled_gates),
        rules=tuple(_rule_entry(rule) for rule in rulebase.rules),
        set_questions=tuple(q for q in rulebase.questions if q.kind == "set"),
    )
    _PLANS[key] = (weakref.ref(rulebase, lambda _: _PLANS.pop(key, None)), plan)
    return plan


def _question_entry(q: Question, gate: cond.Evaluator) -> QuestionEntry:
    cached_type: type | None = None
    asked_steps: dict[Any, TraceStep] = {}
    if q.kind == "choice":
        cached_type = str
        asked_steps = {v: trace_step("asked", q.id, v) for v in q.values}
    elif q.kind == "bool":
        cached_type = bool
        asked_steps = {v: trace_step("asked", q.id, v) for v in (True, False)}
    elif q.kind == "int":
        cached_type = int
    defaulted = q.has_default and q.kind != "set"
    return QuestionEntry(
        id=q.id,
        question=q,
        gate=None if q.asked_when == cond.TRUE else gate,
        cached_type=cached_type,
        asked_steps=asked_steps,
        skipped_step=trace_step("skipped", q.id, detail=f"asked only when {q.asked_when_text}"),
        defaulted_step=trace_step("defaulted", q.id, q.default) if defaulted else None,
        ignored_detail=f"not asked because this does not hold: {q.asked_when_text}",
        gate_reads=cond.questions_in(q.asked_when),
    )


def _rule_entry(rule: Rule) -> RuleEntry:
    then = rule.then
    finding = then.value if then.kind == "finding" else None
    parts = tuple(PLACEHOLDER.split(rule.because))
    return RuleEntry(
        key=then.key,
        section=None if finding is not None else then.section,
        finding=finding,
        severity=rule.severity,
        reason=Reason(
            rule=rule.id,
            because=rule.because,
            template=parts if len(parts) > 1 else None,
            citations=rule.cite,
        ),
        fired_step=trace_step("fired", rule.id, then.key, rule.when_text),
    )
