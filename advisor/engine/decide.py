"""`decide()`: validated answers -> walk -> the rules that fire -> a plain `Decision`.

`fired_rules()` is the evaluation step on its own (effective answers in, the rules that fire
out, in rule order), for tools and benchmarks that need no explanation. The rule base's
`rule_index` tests only the rules an answer can fire, with shared sub-conditions evaluated once.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from itertools import compress
from types import MappingProxyType
from typing import Any

from advisor.engine.compile import Compiled, compiled
from advisor.engine.decision import Decision, MergedFinding
from advisor.engine.ledger import apply_ledger, ledger_of
from advisor.engine.walk import Walk, walk, walk_compiled
from advisor.errors import MissingAnswersError
from advisor.knowledge.answers import validate_answers
from advisor.knowledge.loader import default_rulebase
from advisor.knowledge.questions import Question
from advisor.knowledge.rulebase import RuleBase
from advisor.knowledge.rules import Rule

__all__ = [
    "Walk",
    "conclusions_of",
    "decide",
    "fired_positions",
    "fired_rules",
    "next_question",
    "walk",
]


def decide(answers: Mapping[str, Any] | Any, rulebase: RuleBase | None = None) -> Decision:
    """The Decision for the answers (an `Answers` model or a plain mapping).

    Raises `AnswersError` for unknown ids or values, and `MissingAnswersError` (a subclass)
    listing every question the walk reaches that has no answer. Answers to questions the walk
    does not reach are accepted, kept in `Decision.given` and marked `ignored`.
    """
    rulebase = rulebase or default_rulebase()
    clean = validate_answers(answers, rulebase)  # a new dict, owned here: kept without a copy
    return _decided(clean, rulebase, MappingProxyType(clean))


def decide_valid(clean: Mapping[str, Any], rulebase: RuleBase) -> Decision:
    """`decide()` for answers already validated (`validate_answers`)."""
    return _decided(clean, rulebase, MappingProxyType(dict(clean)))


def _decided(clean: Mapping[str, Any], rulebase: RuleBase, given: Mapping[str, Any]) -> Decision:
    """The Decision for validated answers; `given` is a read-only view of them the Decision
    keeps (a copy unless nothing else holds them)."""
    plan = compiled(rulebase)
    walked = walk_compiled(clean, plan)
    if walked.missing:
        raise MissingAnswersError([_why_missing(q, walked, rulebase) for q in walked.missing])
    effective = walked.effective
    positions, stages_held = _fired_and_stages(effective, rulebase)
    rules = rulebase.rules
    conclusions, findings = conclusions_of(positions, plan, rules)
    fired = tuple(map(rules.__getitem__, positions))
    overruled: tuple[Rule, ...] = ()
    ledger = None
    if rulebase.ledger is not None:
        count = len(rules)
        ledger = ledger_of(rulebase, effective, conclusions, {at - count for at in stages_held})
        if ledger is not None and ledger.findings:
            conclusions, kept, findings = apply_ledger(ledger, conclusions, fired, findings)
            if len(kept) != len(fired):
                kept_ids = {id(rule) for rule in kept}
                overruled = tuple(rule for rule in fired if id(rule) not in kept_ids)
                positions = tuple(rule.order for rule in kept)
                fired = kept
    return Decision(  # by position, in field order: a third faster than by keyword
        rulebase,
        MappingProxyType(effective),
        given,
        tuple(walked.statuses),
        fired,
        positions,
        MappingProxyType(conclusions),
        findings,
        ledger,
        overruled,
    )


_MANY = 64
"""Past this many fired rules, the notes among them are left out before the loop."""


def conclusions_of(
    positions: tuple[int, ...], plan: Compiled, rules: tuple[Rule, ...]
) -> tuple[dict[str, tuple[str, ...]], tuple[MergedFinding, ...]]:
    """In one pass over the fired rules: per kind with a result field the distinct values
    concluded, in the kind's order; and the findings, rules raising the same one merged (the
    most severe severity wins), most severe first, then in rule order."""
    by_bucket: dict[str | None, list[int]] = {}
    buckets = plan.buckets
    if len(positions) > _MANY:  # notes conclude nothing: leave them out in one pass in C
        positions = tuple(compress(positions, map(plan.concluding.__getitem__, positions)))
    for i in positions:
        bucket = buckets[i]
        if bucket != "":  # a note adds a reason only
            found = by_bucket.get(bucket)
            if found is None:
                by_bucket[bucket] = [i]
            else:
                found.append(i)
    conclusions = dict(plan.nothing_concluded)
    findings: tuple[MergedFinding, ...] = ()
    for bucket, fired in by_bucket.items():
        if bucket is None:
            findings = plan.findings_of(tuple(fired), rules)
        else:
            conclusions[bucket] = plan.values_of(bucket, tuple(fired))
    return conclusions, findings


def fired_rules(effective: Mapping[str, Any], rulebase: RuleBase) -> list[Rule]:
    """The rules whose condition is definitely true for the effective answers, in rule order.

    `effective` maps the reached question ids to answers (a set answer as a frozenset); this is
    the evaluation step of `decide()` without validation, walk or explanation.
    """
    rules = rulebase.rules
    return [rules[i] for i in fired_positions(effective, rulebase)]


def fired_positions(effective: Mapping[str, Any], rulebase: RuleBase) -> tuple[int, ...]:
    """Positions of the rules that fire: candidates from the index, then their other tests."""
    return _fired_and_stages(effective, rulebase)[0]


def _fired_and_stages(
    effective: Mapping[str, Any], rulebase: RuleBase
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The positions of the rules that fire, and those (numbered on from the rules) of the
    latency stages whose `when` holds."""
    holding = _holding(effective, rulebase)
    count = rulebase.rule_index.rule_count
    if not holding or holding[-1] < count:
        return holding, ()
    cut = bisect_left(holding, count)
    return holding[:cut], holding[cut:]


def _holding(effective: Mapping[str, Any], rulebase: RuleBase) -> tuple[int, ...]:
    """Positions of the index's conditions that hold: the rules that fire, then (numbered on
    from the rules) the latency stages whose `when` holds. Candidates come from the index's
    masks; a condition with a residual test must pass it too."""
    index = rulebase.rule_index
    candidates = index.candidates(effective)
    if not index.has_tests:  # every condition expanded into terms: the candidates hold
        return tuple(candidates)
    tests = index.tests
    memo: dict[int, bool | None] = {}
    return tuple(
        [i for i in candidates if (test := tests[i]) is None or test(effective, memo) is True]
    )


def next_question(
    partial_answers: Mapping[str, Any] | Any = None,
    rulebase: RuleBase | None = None,
    *,
    include_optional: bool = False,
) -> Question | None:
    """The next question the walk needs, given the answers so far; None when none is left.

    `include_optional`: also the questions the walk reaches that have a default (stakes, the
    data boundary, the proposal...), which it otherwise takes without asking; the questionnaire
    asks them all. Answers are validated first (AnswersError on an unknown id or value), so a
    front end can pass whatever the user typed and show the error.
    """
    rulebase = rulebase or default_rulebase()
    answers = validate_answers(partial_answers or {}, rulebase)
    walked = walk(answers, rulebase)
    return first_open(walked, rulebase) if include_optional else walked.next


def first_open(walked: Walk, rulebase: RuleBase) -> Question | None:
    """The first question of the walk, in walk order, that has no answer given: a required
    one (`walked.next`) or one the walk took its default for."""
    pending = {step.id for step in walked.statuses if step.status == "defaulted"}
    pending &= set(walked.effective)
    if walked.next is not None:
        pending.add(walked.next.id)
    return next((q for q in rulebase.questions if q.id in pending), None)


def _why_missing(question: Question, walked: Walk, rulebase: RuleBase) -> tuple[str, str]:
    """The id and why it is needed; a conditional question names, by their text, the unanswered
    questions its gate reads (never a condition or a definition name)."""
    if question.id not in walked.maybe_needed:
        return question.id, f"{question.text} ({question.why})"
    from advisor.knowledge.conditions import questions_in

    reads = questions_in(question.asked_when)
    open_ = [q for q in walked.missing if q.id in reads] or [
        q for q in rulebase.questions if q.id in reads
    ]
    texts = [f"'{q.text}'" for q in open_]
    named = texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} and {texts[-1]}"
    answers = "answer" if len(texts) == 1 else "answers"
    calls = "calls" if len(texts) == 1 else "call"
    return question.id, f"{question.text} (needed if the {answers} to {named} {calls} for it)"
