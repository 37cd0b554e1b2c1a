"""What a decision record needs to know about the options it did not choose, computed once.

A record weighs every considered option (a mix of techniques). Rules that read the `proposed`
question warn when a team proposes an approach the answers do not call for, so for each option
`alternatives()` decides once more with `proposed` set to that option and keeps the findings of
those rules. It also computes the decision path (which answers made each fired rule true). The
renderers receive the result as plain data and never run the engine themselves.

Cost: one `decide()` per option, and none at all when the rule base has no `proposed` question
or no rule reads it; an option equal to the team's own `proposed` answer reuses the decision.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from advisor.engine.assemble import finding_message, given_answers
from advisor.engine.support import DecisionPath, decision_path
from advisor.errors import AdvisorError
from advisor.knowledge import conditions as cond

if TYPE_CHECKING:
    from advisor.engine.decision import Decision
    from advisor.vocabulary import Severity

PROPOSED = "proposed"
"""The question whose answer names the approach a team already plans to use."""

Option = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OptionFinding:
    """A finding raised (also) by a rule reading `proposed`, had the team proposed an option."""

    id: str
    severity: Severity
    message: str
    citations: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Alternatives:
    """Per considered option, the findings of the rules reading `proposed`; the decision path."""

    options: tuple[Option, ...]
    findings: Mapping[Option, tuple[OptionFinding, ...]]
    """Findings (most severe first) raised by at least one rule that reads `proposed`, for each
    option; () when the rule base does not check proposals or the answers do not fit."""
    path: DecisionPath
    decisions: int
    """How many extra `decide()` calls this took (the record's own decision not counted)."""

    def of(self, option: Sequence[str]) -> tuple[OptionFinding, ...]:
        return self.findings.get(tuple(option), ())


def alternatives(decision: Decision, options: Sequence[Sequence[str]]) -> Alternatives:
    """What a record shows about `options` besides the chosen one, for `decision`."""
    from advisor.engine.decide import decide

    rulebase = decision.rulebase
    choices = tuple(tuple(option) for option in options)
    reading: frozenset[str] = frozenset()
    if PROPOSED in rulebase.question_by_id:
        reading = frozenset(r.id for r in rulebase.rules if PROPOSED in cond.questions_in(r.when))
    found: dict[Option, tuple[OptionFinding, ...]] = {}
    calls = 0
    if reading:
        given = given_answers(decision)
        own = decision.given.get(PROPOSED)
        for option in choices:
            if option in found:
                continue
            if own is not None and frozenset(option) == own:
                what_if = decision
            else:
                calls += 1
                try:
                    what_if = decide({**given, PROPOSED: list(option)}, rulebase)
                except AdvisorError:
                    found[option] = ()
                    continue
            words: dict[str, str] = {}
            found[option] = tuple(
                OptionFinding(
                    f.id, f.severity, finding_message(what_if, f, words), tuple(f.citations)
                )
                for f in what_if.findings
                if any(rule.id in reading for rule in f.rules)
            )
    return Alternatives(choices, MappingProxyType(found), decision_path(decision), calls)
