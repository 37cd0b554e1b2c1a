"""What the engine works out once per rule base, so that each decision only looks things up.

A rule base is immutable, so the walk's per-question entries (compiled gates, the shared
`QuestionStatus` of every choice and yes/no answer, of a skipped question and of a default) and
each rule's conclusion kind are built once and shared between decisions. Statuses hold only
strings, numbers, booleans, frozensets or None, so sharing them is safe.

The entries are frozen slots dataclasses: on CPython 3.11 reading a slot by name is as fast as
unpacking an exact tuple, and the walk loop is on every decision's hot path.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from advisor.engine.decision import MergedFinding, QuestionStatus
from advisor.knowledge import conditions as cond
from advisor.knowledge.questions import Question
from advisor.knowledge.rulebase import RuleBase
from advisor.knowledge.rules import Rule
from advisor.vocabulary import BASELINE, SEVERITIES, Kind


@dataclass(frozen=True, slots=True)
class QuestionEntry:
    """One question of the walk, in walk order, with what the walk loop needs at hand."""

    id: str
    question: Question
    gate: cond.Evaluator | None
    """Whether the question is reached; None when it always is."""
    gate_reads: frozenset[str]
    """The questions the gate reads: an unknown gate matters only while one of them is missing."""
    asked: dict[Any, QuestionStatus]
    """Shared "asked" statuses by answer: every choice and yes/no up front."""
    skipped: QuestionStatus
    defaulted: QuestionStatus | None
    """The status of the default answer; None when the question has no default."""
    default: Any
    """The default in the internal shape (a frozenset for a many-choice question)."""
    ignored: dict[Any, QuestionStatus] = field(default_factory=dict)
    """Shared "ignored" statuses by answer, made as answers are seen."""

    def asked_status(self, value: Any) -> QuestionStatus:
        """The "asked" status of an answer that is not one of the statuses made up front (a
        number or a many-choice answer), shared once made (up to `KEPT` answers)."""
        return _shared(self.asked, QuestionStatus(self.id, "asked", value, self.skipped.gate))

    def ignored_status(self, value: Any) -> QuestionStatus:
        """The "ignored" status of an answer given to a question the walk does not reach (a
        front end's many-choice list is not validated yet: its status is not shared)."""
        if type(value) is list:
            return QuestionStatus(self.id, "ignored", value, self.skipped.gate)
        found = self.ignored.get(value)
        if found is not None and type(found.value) is type(value):
            return found
        return _shared(self.ignored, QuestionStatus(self.id, "ignored", value, self.skipped.gate))


def _shared(statuses: dict[Any, QuestionStatus], status: QuestionStatus) -> QuestionStatus:
    """Keep `status` for its answer, unless that is taken (True and 1 are equal keys) or
    `KEPT` statuses are kept already."""
    if len(statuses) < KEPT and status.value not in statuses:
        statuses[status.value] = status
    return status


@dataclass(frozen=True, slots=True)
class RuleEntry:
    """Where one rule's conclusion goes: its kind (from the vocabulary) and value."""

    kind: Kind
    value: str
    rank: int
    """The value's position in its kind's order (rule order for open kinds such as findings)."""
    severity_rank: int


@dataclass(frozen=True, slots=True)
class Compiled:
    """Everything the engine precomputes for one rule base."""

    questions: tuple[QuestionEntry, ...]
    rules: tuple[RuleEntry, ...]
    result_kinds: tuple[Kind, ...]
    """The vocabulary kinds with a result field, in declaration order."""
    kind_names: tuple[str, ...] = ()
    """The names of `result_kinds`: the keys of a Decision's conclusions (findings stay empty:
    they are merged into `Decision.findings`)."""
    routes: tuple[tuple[str | None, str, int], ...] = ()
    """Per rule: (its bucket, None for a finding, "" for a note; its value or finding id; its
    rank in the kind's order)."""
    buckets: tuple[str | None, ...] = ()
    """Per rule, its bucket alone (a few shared strings: reading it touches no rule's data)."""
    concluding: tuple[bool, ...] = ()
    """Per rule, whether it concludes something (every rule but a note)."""
    shared_parts: dict[str, Any] = field(default_factory=dict)
    """The parts of results that depend only on the rule base, by output kind (engine.assemble)."""
    many_choice: tuple[str, ...] = ()
    """The ids of the many-choice questions (their answers are frozensets)."""
    nothing_concluded: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """The conclusions when no rule concludes anything: the baseline technique only."""
    _values: dict[tuple[str, tuple[int, ...]], tuple[str, ...]] = field(default_factory=dict)
    _findings: dict[tuple[int, ...], tuple[MergedFinding, ...]] = field(default_factory=dict)

    def values_of(self, bucket: str, positions: tuple[int, ...]) -> tuple[str, ...]:
        """The distinct values that the fired rules at `positions` conclude for one kind, in
        the kind's order (the baseline technique first); kept once worked out."""
        key = (bucket, positions)
        found = self._values.get(key)
        if found is None:
            ranks: dict[str, int] = {BASELINE: -1} if bucket == "technique" else {}
            routes = self.routes
            for i in positions:
                _, value, rank = routes[i]
                ranks.setdefault(value, rank)
            found = tuple(sorted(ranks, key=ranks.__getitem__))
            if len(self._values) < KEPT:
                self._values[key] = found
        return found

    def findings_of(
        self, positions: tuple[int, ...], rules: tuple[Rule, ...]
    ) -> tuple[MergedFinding, ...]:
        """The findings raised by the fired rules at `positions`, rules raising the same one
        merged (the most severe severity wins), most severe first, then in rule order; kept
        once worked out."""
        found = self._findings.get(positions)
        if found is None:
            found = _merged(positions, self, rules)
            if len(self._findings) < KEPT:
                self._findings[positions] = found
        return found


def _merged(
    positions: tuple[int, ...], plan: Compiled, rules: tuple[Rule, ...]
) -> tuple[MergedFinding, ...]:
    merged: dict[str, list[int]] = {}
    for i in positions:
        merged.setdefault(plan.routes[i][1], []).append(i)
    ranked = []
    for finding_id, raised_by in merged.items():
        rank = min(plan.rules[i].severity_rank for i in raised_by)
        severity = SEVERITIES[rank] if rank < len(SEVERITIES) else "info"
        ranked.append(
            (rank, MergedFinding(finding_id, severity, tuple(rules[i] for i in raised_by)))
        )
    ranked.sort(key=lambda item: item[0])
    return tuple(finding for _, finding in ranked)


KEPT = 4096
"""The most combinations of fired rules whose conclusions each cache keeps."""
_COMPILED: dict[int, tuple[weakref.ref[RuleBase], Compiled]] = {}


def compiled(rulebase: RuleBase) -> Compiled:
    """The compiled form of `rulebase`, built on first use and dropped with the rule base."""
    key = id(rulebase)
    cached = _COMPILED.get(key)
    if cached is not None:
        owner, found = cached
        if owner() is rulebase:  # not another rule base that reused a freed one's id
            return found
    vocabulary = rulebase.vocabulary
    entries = []
    for rule in rulebase.rules:
        kind = vocabulary.kind(rule.then.kind)
        values = kind.values
        rank = values.index(rule.then.value) if values else rule.order
        severity = SEVERITIES.index(rule.severity) if rule.severity else len(SEVERITIES)
        entries.append(RuleEntry(kind, rule.then.value, rank, severity))
    result_kinds = tuple(k for k in vocabulary.kinds if k.field is not None)
    routes = tuple((_bucket(e.kind), e.value, e.rank) for e in entries)
    nothing: dict[str, tuple[str, ...]] = {k.name: () for k in result_kinds}
    nothing["technique"] = (BASELINE,)
    found = Compiled(
        questions=tuple(_question_entry(q, gate) for q, gate in rulebase.compiled_gates),
        rules=tuple(entries),
        result_kinds=result_kinds,
        kind_names=tuple(k.name for k in result_kinds),
        routes=routes,
        buckets=tuple(bucket for bucket, _, _ in routes),
        concluding=tuple(bucket != "" for bucket, _, _ in routes),
        many_choice=tuple(q.id for q in rulebase.questions if q.kind == "set"),
        nothing_concluded=nothing,
    )
    _COMPILED[key] = (weakref.ref(rulebase, lambda _: _COMPILED.pop(key, None)), found)
    return found


def _bucket(kind: Kind) -> str | None:
    """Where a rule's conclusion goes: its kind's name, None for a finding, "" for a note."""
    if kind.merge == "by_id":
        return None
    return kind.name if kind.field is not None else ""


def _question_entry(q: Question, gate: cond.Evaluator) -> QuestionEntry:
    always = q.asked_when == cond.TRUE
    gate_text = "" if always else q.asked_when_text
    asked: dict[Any, QuestionStatus] = {}
    if q.kind == "choice":
        asked = {v: QuestionStatus(q.id, "asked", v, gate_text) for v in q.values}
    elif q.kind == "bool":
        asked = {v: QuestionStatus(q.id, "asked", v, gate_text) for v in (True, False)}
    default: Any = None
    defaulted = None
    if q.has_default:
        default = frozenset(q.default) if q.kind == "set" else q.default
        defaulted = QuestionStatus(q.id, "defaulted", default, gate_text)
    return QuestionEntry(
        id=q.id,
        question=q,
        gate=None if always else gate,
        gate_reads=cond.questions_in(q.asked_when),
        asked=asked,
        skipped=QuestionStatus(q.id, "skipped", None, gate_text),
        defaulted=defaulted,
        default=default,
    )
