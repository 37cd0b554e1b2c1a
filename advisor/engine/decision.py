"""The Decision: what the engine concluded for one set of answers, as plain immutable data.

Everything downstream reads a Decision: the pydantic `Recommendation` (`engine.assemble`), the
JSON writer, the renderers, decision records and `advisor check`, the questionnaire, WHY/HOW and
what-if. None of them re-runs the engine to show it. A Decision holds no pydantic objects.

Answers are in one internal shape throughout: a one-choice answer is its value id, a yes/no a
bool, a number an int, a many-choice answer a frozenset of value ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from advisor.engine.ledger import Ledger
    from advisor.knowledge.rulebase import RuleBase
    from advisor.knowledge.rules import Rule
    from advisor.vocabulary import Severity

Status = Literal["asked", "defaulted", "skipped", "ignored"]

EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class QuestionStatus:
    """How the walk treated one question, and the gate that decided it."""

    id: str
    status: Status
    value: Any
    """The answer used (asked, defaulted), the answer given but not used (ignored), or None."""
    gate: str
    """The question's `asked_when` condition in words ("" when it is always asked)."""


@dataclass(frozen=True, slots=True)
class MergedFinding:
    """A finding raised by one or more fired rules: the most severe severity, every rule."""

    id: str
    severity: Severity
    rules: tuple[Rule, ...]

    @property
    def citations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for rule in self.rules for c in rule.cite))


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one walk over a rule base."""

    rulebase: RuleBase
    answers: Mapping[str, Any]
    """The effective answers: every question the walk reached, with defaults filled in."""
    given: Mapping[str, Any]
    """Every answer the caller gave (validated), reached or not, metadata (project, notes)
    included: what a record or a saved answers file keeps."""
    questions: tuple[QuestionStatus, ...]
    """Every question of the rule base, in walk order."""
    fired: tuple[Rule, ...]
    """The rules whose condition holds, in rule order."""
    positions: tuple[int, ...]
    """Where the fired rules are in the rule base's rules (assembly looks their parts up by
    position, which reads none of the rules)."""
    conclusions: Mapping[str, tuple[str, ...]]
    """Per vocabulary kind with a result field (technique, tactic, retriever, reranker, purpose,
    ...): the values concluded, in the kind's order; a flag kind holds ("",) when concluded."""
    findings: tuple[MergedFinding, ...]
    """Most severe first, then in the order their first rule fired."""
    ledger: Ledger | None = None
    """The latency ledger: the planned stages, their sum against the budget, what was dropped
    to fit it (its conclusions are left out of `conclusions`, and the rules that gave them move
    from `fired` to `overruled`). None when the rule base has no ledger."""
    overruled: tuple[Rule, ...] = ()
    """Rules whose condition held but whose conclusion the latency ledger dropped, in rule
    order: the rules that fired are `fired` and these together."""

    @property
    def techniques(self) -> tuple[str, ...]:
        """Techniques to adopt, in adoption order; the baseline always first."""
        return self.conclusions["technique"]

    def has(self, kind: str, value: str = "") -> bool:
        return value in self.conclusions.get(kind, ())

    def reasons(self, section: str) -> tuple[Rule, ...]:
        """The fired rules (not findings) whose reason belongs to a technique's plan."""
        vocabulary = self.rulebase.vocabulary
        return tuple(
            rule
            for rule in self.fired
            if rule.then.kind != "finding"
            and vocabulary.kind(rule.then.kind).section(rule.then.value) == section
        )

    def status_of(self, question_id: str) -> QuestionStatus | None:
        for status in self.questions:
            if status.id == question_id:
                return status
        return None
