"""Strength of each recommended technique and sub-choice: essential, recommended or optional.

Derived from the element's support in the explanation (`analysis.explain`) and, for elements
that answers the team can change carry, from what-if with one changed answer
(`analysis.whatif`), with the reason:

- `essential`: it needs no answer (the baseline, a rule that always fires), or some rule that
  concluded it rests on facts alone (no answer in its minimal support is changeable) and the
  latency ledger cannot drop it (a stage with a drop rank can go when the budget shrinks): no
  change of plan removes it (what-if agrees; a test checks it);
- `optional`: one changed answer removes it, and that answer was not given (the default was
  used) or is a number within 25% of the threshold at which the element goes;
- `recommended`: otherwise: carried by answers the team can change, by one or more independent
  rules (rules are independent when their minimal supports differ); the reason says whether one
  change removes it, and which.

Findings get no strength.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.analysis.explain import Element
    from advisor.analysis.whatif import ChangeSet
    from advisor.engine.decision import Decision

CLOSE = 0.25
"""A number within this fraction of a threshold is close to it."""


def strengths(decision: Decision, elements: Sequence[Element]) -> dict[str, tuple[str, str]]:
    """Element key -> (strength, reason) for every element that is not a finding."""
    from advisor.analysis.whatif import what_if_decision

    graded: dict[str, tuple[str, str]] = {}
    open_: list[Element] = []
    ledger = decision.rulebase.ledger
    droppable = {s.conclusion for s in ledger.stages if s.drop is not None} if ledger else set()
    for element in elements:
        if element.kind == "finding":
            continue
        essential = None if element.key in droppable else _essential(element)
        if essential is not None:
            graded[element.key] = ("essential", essential)
        else:
            open_.append(element)
    if not open_:
        return graded
    singles = what_if_decision(decision, [e.key for e in open_], max_changes=1)
    for element in open_:
        found = singles.element(element.key)
        sets = list(found.change_sets) if found is not None else []
        graded[element.key] = _grade(decision, element, sets)
    return graded


def _essential(element: Element) -> str | None:
    if element.baseline or any(not rule.support for rule in element.rules):
        return "always part of the advice, whatever the answers"
    for rule in element.rules:
        if not any(a.changeable for a in rule.support):
            facts = ", ".join(f"{a.question} = {a.words}" for a in rule.support)
            return f"required by the facts of the problem ({facts}; rule {rule.id})"
    return None


def _grade(decision: Decision, element: Element, sets: list[ChangeSet]) -> tuple[str, str]:
    independent = {tuple((a.question, str(a.value)) for a in r.support) for r in element.rules}
    count = len(independent)
    rules = "one rule" if count == 1 else f"{count} independent rules"
    changeable = sorted({a.question for r in element.rules for a in r.support if a.changeable})
    if changeable:
        carried = f"carried by {rules} on answers the team can change ({', '.join(changeable)})"
    else:
        carried = f"carried by {rules} on the facts, kept while the latency budget holds it"
    if not sets:
        return "recommended", f"{carried}; no single changed answer removes it"
    for change_set in sets:
        weak = _weak(decision, change_set)
        if weak is not None:
            return "optional", f"{weak}: removed with {change_set.words}"
    return "recommended", f"{carried}; removed with {sets[0].words}"


def _weak(decision: Decision, change_set: ChangeSet) -> str | None:
    """Why one change is a small one: the answer is a default, or a number near the threshold."""
    statuses = {s.id: s.status for s in decision.questions}
    for change in change_set.changes:
        if change.newly_asked:
            continue
        if statuses.get(change.question) == "defaulted":
            return f"rests on {change.question}, a default nobody answered"
        value = decision.answers.get(change.question)
        if change.low is None or change.high is None or not isinstance(value, int):
            continue
        threshold = change.low if value < change.low else change.high
        if threshold and abs(value - threshold) <= CLOSE * abs(threshold):
            return f"{change.question} = {value:,} is close to the threshold {threshold:,}"
    return None
