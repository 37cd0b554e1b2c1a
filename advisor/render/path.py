"""The decision path a recommendation walked: answers given, rules fired, what each concluded.

Both the decision record (drivers) and its Mermaid diagram show which answers a fired rule relied
on. Listing every question a condition mentions would over-attribute (a rule reading five
questions through a shared definition may hold because of one), so `support()` keeps only the
answers that make the condition true: all parts of a true `and`, one true part of an `or`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.knowledge import conditions as cond
from advisor.render.text import SHORT_NAMES, humanize

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase
    from advisor.models import Recommendation


_KIND_ORDER = {"technique": 0, "tactic": 1, "retriever": 2, "reranker": 3, "purpose": 4}


@dataclass(frozen=True, slots=True)
class Answered:
    """A question the walk reached, with its answer (`defaulted`: the user gave none)."""

    id: str
    value: Any
    defaulted: bool


@dataclass(frozen=True, slots=True)
class Fired:
    """A rule that fired: what it concluded, and the answers that made its condition true."""

    id: str
    conclusion: str
    relied_on: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DecisionPath:
    answered: tuple[Answered, ...]
    fired: tuple[Fired, ...]

    def leads_to(self, question_id: str) -> list[str]:
        """Conclusions (as keys) of the fired rules that relied on this answer: techniques first,
        then sub-choices, then findings (rule order within each kind). Notes only explain a
        technique that other rules chose, so they credit nothing."""
        found = [
            conclusion_node(f.conclusion)
            for f in self.fired
            if question_id in f.relied_on and not f.conclusion.startswith("note:")
        ]
        unique = list(dict.fromkeys(found))
        return sorted(
            unique, key=lambda key: _KIND_ORDER.get(key.partition(":")[0], len(_KIND_ORDER))
        )


def decision_path(recommendation: Recommendation, rulebase: RuleBase) -> DecisionPath:
    """Read the trace; a fired rule unknown to `rulebase` (another rule base) relies on nothing."""
    answers = _engine_answers(recommendation.answers, rulebase)
    answered = tuple(
        Answered(step.id, step.value, step.kind == "defaulted")
        for step in recommendation.trace
        if step.kind in ("asked", "defaulted")
    )
    rules = {rule.id: rule for rule in rulebase.rules}
    fired = []
    for step in recommendation.trace:
        if step.kind != "fired":
            continue
        rule = rules.get(step.id)
        relied = support(rule.when, answers) if rule is not None else frozenset()
        order = [a.id for a in answered if a.id in relied]
        fired.append(Fired(step.id, str(step.value), tuple(order)))
    return DecisionPath(answered, tuple(fired))


def support(node: cond.Node, answers: Mapping[str, Any]) -> frozenset[str]:
    """The questions whose answers give `node` its value (a small explanation, not a proof)."""
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


def conclusion_node(key: str) -> str:
    """Notes support their technique, so `note:rag` and `technique:rag` are one conclusion."""
    kind, _, value = key.partition(":")
    return f"technique:{value}" if kind == "note" else key


def conclusion_label(key: str) -> str:
    """A conclusion in words: `retriever:keyword` -> `keyword retriever`."""
    kind, _, value = conclusion_node(key).partition(":")
    if kind == "technique":
        return SHORT_NAMES.get(value, humanize(value))
    if kind == "tactic":
        return humanize(value)
    if kind == "retriever":
        return f"{humanize(value)} retriever"
    if kind == "reranker":
        return "re-ranker"
    if kind == "purpose":
        return f"fine-tuning for {humanize(value)}"
    if kind == "finding":
        return f"finding {value}"
    return humanize(key)


def _engine_answers(answers: Mapping[str, Any], rulebase: RuleBase) -> dict[str, Any]:
    """Recorded answers as the engine reads them: many-choice answers as frozensets."""
    engine: dict[str, Any] = {}
    for key, value in answers.items():
        question = rulebase.question_by_id.get(key)
        if question is None:
            continue
        engine[key] = frozenset(value) if question.kind == "set" else value
    return engine
