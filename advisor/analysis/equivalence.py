"""Proof that the fast evaluation (the rule index) fires exactly the rules plain evaluation does.

For every rule, and every latency stage's `when` (the index decides those with the rules, numbered
on from them), two decision diagrams over the whole answer space are built and compared:
- plain: the walk's valid combinations where the rule's condition is definitely true (Kleene
  logic over the single-question tests, as `analysis.answer_space` builds every condition);
- fast: the walk's valid combinations where the index makes the rule a candidate (the bit of one
  of its terms is set in the mask the index itself returns for each question's answer, cached
  tables included) and its remaining conjuncts (`RuleIndex.residual`) are definitely true.
Diagrams are reduced and shared, so two diagrams are the same function exactly when they are the
same node: equality is a proof over every combination of answers, not a sample. Where they
differ, a path of their difference is a counter-example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.analysis.answer_space import TRUE, UNREACHED, Diagrams

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase


@dataclass(frozen=True)
class Mismatch:
    """A rule the fast path and plain evaluation disagree on, and answers where they do."""

    rule: str
    answers: dict[str, Any]
    fast_fires: bool


def index_mismatches(rulebase: RuleBase, diagrams: Diagrams | None = None) -> list[Mismatch]:
    """Every rule (and latency stage condition, which the index also decides) whose
    fast-path diagram differs from its plain one (empty: proved equal)."""
    d = diagrams or Diagrams(rulebase)
    index = rulebase.rule_index
    found = []
    stages = rulebase.ledger.stages if rulebase.ledger is not None else ()
    conditions = [(rule.id, rule.when) for rule in rulebase.rules]
    conditions += [(f"latency stage {stage.id}", stage.when) for stage in stages]
    for position, (name, when) in enumerate(conditions):
        plain = d.both(d.walk, d.within(d.build(when), TRUE))
        fast = d.false
        for term in index.terms_of(position):
            fast = d.either(fast, _term_holds(d, rulebase, term))
        residual = index.residual[position]
        if residual is not None:
            fast = d.both(fast, d.within(d.build(residual), TRUE))
        if fast == plain:
            continue
        only_fast = d.witness(d.both(fast, d.negate(plain)))
        if only_fast is not None:
            found.append(Mismatch(name, only_fast, True))
        else:
            only_plain = d.witness(d.both(plain, d.negate(fast)))
            found.append(Mismatch(name, only_plain or {}, False))
    return found


def _term_holds(d: Diagrams, rulebase: RuleBase, term: int) -> int:
    """The walk's valid combinations where the index's masks have the bit of `term` set."""
    index = rulebase.rule_index
    holds = d.walk
    for indexed in index.questions:

        def accepted(value: Any, qid: str = indexed.qid) -> bool:
            mask = index.accepts(qid, None if value is UNREACHED else value)
            return bool((mask >> term) & 1)

        holds = d.both(holds, d.over(indexed.qid, accepted))
    return holds
