"""The decision path of a Decision: the answers the walk used and which of them each rule relied on.

A decision record (drivers) and its Mermaid diagram show which answers a fired rule relied on.
Listing every question a condition mentions would over-attribute (a rule reading five questions
through a shared definition may hold because of one), so `support()` keeps only the answers that
make the condition true: all parts of a true `and`, one true part of an `or`. This is condition
evaluation, so it lives in the engine; the renderers only format the `DecisionPath`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.knowledge import conditions as cond
from advisor.knowledge.answers import plain_answer

if TYPE_CHECKING:
    from advisor.engine.decision import Decision


@dataclass(frozen=True, slots=True)
class Answered:
    """A question the walk reached, with its answer as plain data (`defaulted`: none was given)."""

    id: str
    value: Any
    defaulted: bool


@dataclass(frozen=True, slots=True)
class Fired:
    """A rule that fired: what it concluded (`kind:value`), and the answers that made it true."""

    id: str
    conclusion: str
    relied_on: tuple[str, ...]
    """Question ids, in the order the questions were answered."""


@dataclass(frozen=True, slots=True)
class DecisionPath:
    """The answers in the order asked, then the fired rules in rule order."""

    answered: tuple[Answered, ...]
    fired: tuple[Fired, ...]


def decision_path(decision: Decision) -> DecisionPath:
    """The decision path of `decision`: one evaluation of each fired rule's condition."""
    by_id = decision.rulebase.question_by_id
    answered = tuple(
        Answered(s.id, plain_answer(s.value, by_id[s.id]), s.status == "defaulted")
        for s in decision.questions
        if s.status in ("asked", "defaulted")
    )
    answers = decision.answers
    fired = []
    for rule in decision.fired:
        relied = support(rule.when, answers)
        order = tuple(a.id for a in answered if a.id in relied)
        fired.append(Fired(rule.id, rule.then.key, order))
    if decision.ledger is not None:  # the ledger's findings rest on the budget it was given
        from advisor.knowledge.ledger import BUDGET_QUESTION, MEASURE_QUESTION

        reads = (BUDGET_QUESTION, MEASURE_QUESTION)
        order = tuple(a.id for a in answered if a.id in reads)
        fired += [Fired(rule.id, rule.then.key, order) for rule in decision.ledger.findings]
    return DecisionPath(answered, tuple(fired))


def support(node: cond.Node, answers: Mapping[str, Any]) -> frozenset[str]:
    """The questions whose answers give `node` its value (a small explanation, not a proof).

    `answers` are effective answers in the engine's shape (a set answer as a frozenset).
    """
    if isinstance(node, cond.Const):
        return frozenset()
    if isinstance(node, cond.Not):
        return support(node.item, answers)
    if isinstance(node, cond.And | cond.Or):
        value = cond.evaluate(node, answers)
        decisive = not isinstance(node, cond.And)  # the value that settles it
        if value is decisive:
            first = next(i for i in node.items if cond.evaluate(i, answers) is decisive)
            return support(first, answers)
        found: frozenset[str] = frozenset()
        for item in node.items:
            found |= support(item, answers)
        return found
    return frozenset({node.question})
