"""The walk: which questions the answers reach, in the decision graph's order.

`walk()` is the one place that decides which questions are reached; `decide()`,
`next_question()` and the questionnaire all use it, so they cannot disagree. A question is
reached when its gate (`asked_when`) is true for the answers reached before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from advisor.engine.compile import Compiled, compiled
from advisor.engine.decision import QuestionStatus
from advisor.knowledge.questions import Question
from advisor.knowledge.rulebase import RuleBase


@dataclass
class Walk:
    """Which questions the answers reach: the effective answers and what is still missing."""

    effective: dict[str, Any] = field(default_factory=dict)
    statuses: list[QuestionStatus] = field(default_factory=list)
    missing: list[Question] = field(default_factory=list)
    next: Question | None = None
    maybe_needed: set[str] = field(default_factory=set)
    """Missing questions whose gate reads another missing answer: needed only if that answer
    turns out to open the gate."""


def walk(answers: Mapping[str, Any], rulebase: RuleBase) -> Walk:
    """Visit the questions in graph order; a question is reached when its gate is true.

    `answers` are validated answers (a set answer as a frozenset). A gate that is unknown (it
    reads an unanswered question) counts as reached for the purpose of reporting missing
    answers, so one error can list everything still needed.
    """
    return walk_compiled(answers, compiled(rulebase))


def walk_compiled(answers: Mapping[str, Any], plan: Compiled) -> Walk:
    result = Walk()
    effective = result.effective
    add_status = result.statuses.append
    missing = result.missing
    get = answers.get
    for entry in plan.questions:
        qid = entry.id
        value = get(qid)
        gate = entry.gate
        if gate is None:
            reached: bool | None = True
        else:
            reached = gate(effective)
            if reached is None and not any(q.id in entry.gate_reads for q in missing):
                reached = False  # unknown only through questions that were skipped: never asked
            if reached is False:
                add_status(entry.skipped if value is None else entry.ignored_status(value))
                continue
        if value is None:
            if entry.defaulted is None:
                missing.append(entry.question)
                if reached is None:
                    result.maybe_needed.add(qid)
                elif result.next is None:
                    result.next = entry.question
                continue
            value = entry.default
            add_status(entry.defaulted)
        else:
            if type(value) is list:  # a front end's many-choice answer, not yet validated
                value = frozenset(value)
            status = entry.asked.get(value)
            if status is None or type(status.value) is not type(value):
                status = entry.asked_status(value)
            add_status(status)
        if reached:
            effective[qid] = value
    return result
