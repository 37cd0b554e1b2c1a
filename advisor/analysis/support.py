"""Minimal supporting answers of a fired rule, computed exactly over the answer space.

A set S of the answers a Decision used *supports* a rule when every walk-consistent set of
answers that agrees with S (same answer class for each question in S, "not asked" included)
makes the rule fire, whatever the other answers are. S is *minimal* when no answer can be left
out of it: freeing any one of them admits answers (respecting the walk) for which the rule does
not fire. This is an abductive explanation, decided with the answer-space diagrams
(`analysis.answer_space`): "some answers agree with S and the rule is not true" is one
conjunction of the walk, the rule's diagram and a cube of S. A superset of a supporting set
supports the rule too, so removing answers one at a time while S still supports it ends at a
minimal set. When the answers the rule reads already support it, the search starts from them;
otherwise from all answers, removing the questions the rule does not read first, then the
others in reverse walk order, so the set kept is the rule's own reading wherever possible.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from advisor.analysis.answer_space import NOT_TRUE, UNREACHED, Diagrams
from advisor.knowledge import conditions as cond

if TYPE_CHECKING:
    from advisor.knowledge.domains import Domains
    from advisor.knowledge.questions import Question
    from advisor.knowledge.rulebase import RuleBase
    from advisor.knowledge.rules import Rule

_DIAGRAMS: dict[str, tuple[RuleBase, Diagrams]] = {}


def diagrams(rulebase: RuleBase) -> Diagrams:
    """The answer-space diagrams of a rule base, built once per process and rule base."""
    found = _DIAGRAMS.get(rulebase.digest)
    if found is not None and found[0] is rulebase:
        return found[1]
    built = Diagrams(rulebase)
    if len(_DIAGRAMS) >= 4:
        _DIAGRAMS.pop(next(iter(_DIAGRAMS)))
    _DIAGRAMS[rulebase.digest] = (rulebase, built)
    return built


def class_key(question: Question, value: Any, domains: Domains) -> Any:
    """The answer class of `value` (conditions cannot tell two answers of one class apart)."""
    if value is UNREACHED or value is None:
        return UNREACHED
    if question.kind == "int":
        return ("n", domains.number_class(question.id, value))
    if question.kind == "set":
        named = domains.named.get(question.id, frozenset())
        return ("s", frozenset(value) & named, len(frozenset(value) - named))
    return value


def same_class(question: Question, value: Any, domains: Domains) -> Callable[[Any], bool]:
    key = class_key(question, value, domains)
    return lambda other: class_key(question, other, domains) == key


def minimal_support(rule: Rule, answers: Mapping[str, Any], rulebase: RuleBase) -> tuple[str, ...]:
    """The question ids (walk order) of a minimal set of `answers` supporting `rule`.

    `answers` are the effective answers of a Decision in which `rule` fired; a question missing
    from them was not asked, and "not asked" can be part of the support. A rule that always
    fires has the empty set.
    """
    space = diagrams(rulebase)
    domains = rulebase.domains
    by_id = rulebase.question_by_id
    base = space.both(space.walk, space.within(space.build(rule.when), NOT_TRUE))
    kept = space.accepting(
        {q.id: same_class(q, answers.get(q.id, UNREACHED), domains) for q in rulebase.questions}
    )
    if base == space.false:
        return ()
    reads = cond.questions_in(rule.when)
    own = {k: v for k, v in kept.items() if k in reads}
    if not space.meets(base, own):
        kept = own  # the rule's own reading suffices: minimise within it (fewer checks)
    order = [q.id for q in reversed(rulebase.questions) if q.id in kept]
    for qid in [q for q in order if q not in reads] + [q for q in order if q in reads]:
        trial = {k: v for k, v in kept.items() if k != qid}
        if not space.meets(base, trial):
            kept = trial
    return tuple(q.id for q in rulebase.questions if q.id in kept and q.id in by_id)


def counterexample(
    rule: Rule, answers: Mapping[str, Any], keep: tuple[str, ...], rulebase: RuleBase
) -> dict[str, Any] | None:
    """Answers (question -> representative, UNREACHED for not asked) that agree with `answers`
    on `keep` and for which the walk is consistent and `rule` does not fire; None if none."""
    space = diagrams(rulebase)
    domains = rulebase.domains
    by_id = rulebase.question_by_id
    query = space.both(space.walk, space.within(space.build(rule.when), NOT_TRUE))
    query = space.both(
        query,
        space.cube({q: same_class(by_id[q], answers.get(q, UNREACHED), domains) for q in keep}),
    )
    return space.witness(query)
