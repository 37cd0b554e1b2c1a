"""Strength of each recommended technique and sub-choice: essential, recommended or optional.

Derived from the element's support in the explanation (`analysis.explain`), with the reason:

- `essential`: it needs no answer (the baseline, a rule that always fires), or some rule that
  concluded it rests on facts alone (no answer in its minimal support is changeable), so
  only a different problem removes it;
- `optional`: every rule that concluded it rests on a changeable answer, and it hangs on one
  such rule whose support holds a number within 25% of a threshold the rules use, or an answer
  that was not given (the default was used): a small change of plan removes it;
- `recommended`: otherwise (carried by changeable answers, by one or more independent rules).

Rules are independent when their minimal supports differ. Findings get no strength.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.analysis.explain import Element, FiredRule
    from advisor.engine.decision import Decision

CLOSE = 0.25
"""A number within this fraction of a threshold is close to it."""


def strengths(decision: Decision, elements: Sequence[Element]) -> dict[str, tuple[str, str]]:
    """Element key -> (strength, reason) for every element that is not a finding."""
    graded: dict[str, tuple[str, str]] = {}
    for element in elements:
        if element.kind == "finding":
            continue
        graded[element.key] = _grade(decision, element)
    return graded


def _grade(decision: Decision, element: Element) -> tuple[str, str]:
    if element.baseline or any(not rule.support for rule in element.rules):
        return "essential", "always part of the advice, whatever the answers"
    facts_only = [rule for rule in element.rules if not any(a.changeable for a in rule.support)]
    if facts_only:
        rule = facts_only[0]
        facts = ", ".join(f"{a.question} = {a.words}" for a in rule.support)
        return "essential", f"required by the facts of the problem ({facts}; rule {rule.id})"
    independent = {tuple((a.question, str(a.value)) for a in r.support) for r in element.rules}
    if len(independent) == 1:
        rule = element.rules[0]
        weak = _weak_point(decision, rule)
        if weak is not None:
            return "optional", f"{weak} (rule {rule.id})"
    changeable = sorted({a.question for r in element.rules for a in r.support if a.changeable})
    count = len(independent)
    rules = "one rule" if count == 1 else f"{count} independent rules"
    return "recommended", f"carried by {rules}, resting on answers the team can change: " + (
        ", ".join(changeable)
    )


def _weak_point(decision: Decision, rule: FiredRule) -> str | None:
    """Why a single supporting rule is easily lost: a number close to a threshold, or a default."""
    cuts = decision.rulebase.domains.cuts
    for answer in rule.support:
        if answer.status == "defaulted":
            return f"rests on {answer.question} = {answer.words}, a default nobody answered"
        if isinstance(answer.value, int) and not isinstance(answer.value, bool):
            for cut in cuts.get(answer.question, ()):
                if cut and abs(answer.value - cut) <= CLOSE * cut:
                    words = f"{answer.question} = {answer.words}"
                    return f"rests on {words}, close to the threshold {cut:,}"
    return None
