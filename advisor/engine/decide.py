"""The engine: walk the decision graph over the answers, fire the rules, build the advice.

`walk()` is the one place that decides which questions are reached; `next_question()` and
`advise()` both use it, so the questionnaire, the library and the CLI cannot disagree.
`fired_rules()` is the evaluation step on its own (effective answers in, the rules that fire
out, in rule order), for tools and benchmarks that need no explanation.

Speed (issue 6; see benchmarks/): the rule base's `rule_index` tests only the rules an answer can
fire, with shared sub-conditions evaluated once; what depends on the rule base alone is worked
out once (`advisor.engine.compile`); results are assembled from per-rule-base outlines without
re-validating the models (`advisor.engine.assemble`, `advisor.engine.fastmodel`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from advisor.engine.assemble import recommendation
from advisor.engine.compile import Plan, plan_for, trace_step
from advisor.errors import MissingAnswersError
from advisor.knowledge.answers import plain_answer, validate_answers
from advisor.knowledge.loader import default_rulebase
from advisor.knowledge.questions import Question
from advisor.knowledge.rulebase import RuleBase
from advisor.knowledge.rules import Rule
from advisor.models import Recommendation, TraceStep

_NUMBER_STEPS_KEPT = 512  # distinct numbers per question whose "asked" step is kept for reuse


@dataclass
class Walk:
    """Which questions the answers reach: the effective answers and what is still missing."""

    effective: dict[str, Any] = field(default_factory=dict)
    steps: list[TraceStep] = field(default_factory=list)
    missing: list[Question] = field(default_factory=list)
    next: Question | None = None
    # Missing questions whose gate reads another missing answer: needed only if that answer
    # turns out to open the gate.
    maybe_needed: set[str] = field(default_factory=set)


def walk(answers: Mapping[str, Any], rulebase: RuleBase) -> Walk:
    """Visit the questions in graph order; a question is reached when its gate is true.

    `answers` are validated answers (`validate_answers`: a set answer as a frozenset). A gate
    that is unknown (it reads an unanswered question) counts as reached for the purpose of
    reporting missing answers, so one error can list everything still needed.
    """
    return _walk(answers, plan_for(rulebase))


def _walk(answers: Mapping[str, Any], plan: Plan) -> Walk:
    """`walk()` with the rule base's plan at hand (`advise()` needs it again afterwards)."""
    result = Walk()
    effective = result.effective
    steps = result.steps
    get = answers.get
    for entry in plan.questions:
        qid = entry.id
        value = get(qid)
        gate = entry.gate
        reached = True if gate is None else gate(effective)
        if reached is None and not _reads_missing(entry.gate_reads, result.missing):
            reached = False  # unknown only through questions that were skipped: never asked
        if reached is False:
            if value is None:
                steps.append(entry.skipped_step)
            else:
                value = plain_answer(value, entry.question)
                steps.append(trace_step("ignored", qid, value, entry.ignored_detail))
            continue
        if value is None:
            question = entry.question
            if not question.has_default:
                result.missing.append(question)
                if reached is None:
                    result.maybe_needed.add(qid)
                elif result.next is None:
                    result.next = question
                continue
            if entry.defaulted_step is None:  # a set: its default shows as a list, built per call
                value = frozenset(question.default)
                steps.append(trace_step("defaulted", qid, plain_answer(value, question)))
            else:
                value = question.default
                steps.append(entry.defaulted_step)
        elif type(value) is entry.cached_type:
            asked_steps = entry.asked_steps
            step = asked_steps.get(value)
            if step is None:
                step = trace_step("asked", qid, value)
                if entry.cached_type is int and len(asked_steps) < _NUMBER_STEPS_KEPT:
                    asked_steps[value] = step
            steps.append(step)
        else:
            steps.append(trace_step("asked", qid, plain_answer(value, entry.question)))
        if reached:
            effective[qid] = value
    return result


def fired_rules(effective: Mapping[str, Any], rulebase: RuleBase) -> list[Rule]:
    """The rules whose condition is definitely true for the effective answers, in rule order.

    `effective` maps the reached question ids to answers (a set answer as a frozenset); this is
    the evaluation step of `advise()` without validation, walk or explanation.
    """
    rules = rulebase.rules
    return [rules[i] for i in _fired(effective, rulebase)]


def _fired(effective: Mapping[str, Any], rulebase: RuleBase) -> tuple[int, ...]:
    """Positions of the rules that fire: candidates from the index, then their other tests."""
    index = rulebase.rule_index
    tests = index.tests
    memo: dict[int, bool | None] = {}
    return tuple(
        [
            i
            for i in index.candidates(effective)
            if (test := tests[i]) is None or test(effective, memo) is True
        ]
    )


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
    plan = plan_for(rulebase)
    clean = validate_answers(answers, rulebase)
    walked = _walk(clean, plan)
    if walked.missing:
        raise MissingAnswersError([_why_missing(q, walked) for q in walked.missing])
    effective = walked.effective
    fired = _fired(effective, rulebase)
    return recommendation(effective, walked.steps, fired, clean, plan, rulebase)


def _why_missing(question: Question, walked: Walk) -> tuple[str, str]:
    """The id and why it is needed; a conditional question says on what it depends."""
    if question.id in walked.maybe_needed:
        return question.id, f"{question.text} (needed if {question.asked_when_text})"
    return question.id, f"{question.text} ({question.why})"


def _reads_missing(reads: frozenset[str], missing: list[Question]) -> bool:
    """Whether a gate reads a question still to be answered (so it may yet open)."""
    return any(question.id in reads for question in missing)
