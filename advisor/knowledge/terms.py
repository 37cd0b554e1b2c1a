"""A rule's condition as terms: alternatives that each test single questions only.

The rule index (`knowledge.index`) answers "do this rule's tests on question q hold?" with one
table lookup per question, so it decides a rule exactly when every test reads one question. A
condition such as `a == x and (b or c > 3)` also reads several questions in one conjunct; it is
expanded into terms (`a == x and b`, `a == x and c > 3`), and it is definitely true exactly when
one of its terms is. That holds in Kleene logic once negations sit on the tests
(`cond.push_not`): the definitely-true value of `and`/`or` is then the plain `and`/`or` of the
definitely-true values of their parts, so the condition distributes like a boolean formula.

Terms that no answer satisfies (checked on one representative answer per class of each
question, `Domains`) and terms that contain another term are dropped. A condition whose terms
would exceed `MAX_TERMS` keeps one term (its single-question conjuncts) and a residual condition,
the conjuncts that read several questions, tested after the index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from advisor.knowledge import conditions as cond
from advisor.knowledge.domains import Domains

MAX_TERMS = 64
"""The most terms one rule is expanded into (the shipped rules 1.2.0 need at most 20)."""

Term = dict[str, tuple[cond.Node, ...]]
"""One term: per question read, the tests on it that must all hold."""


@dataclass(frozen=True, slots=True)
class Expansion:
    """A rule's condition as terms, and what is left to test after the index."""

    terms: tuple[Term, ...]
    """No terms: the condition can never hold."""
    residual: cond.Node | None
    """The conjuncts reading several questions when the condition was too large to expand."""
    expanded: bool = True
    """False when the terms are the condition's own conjuncts (nothing read several
    questions): such an expansion is cheap to redo, and the disk cache does not store it."""


class Expander:
    """Expands conditions over one rule base's questions (see the module docstring); the
    satisfiability of each question's tests is worked out once and shared between rules."""

    def __init__(self, shapes: Mapping[str, cond.QuestionShape], domains: Domains) -> None:
        self.shapes = shapes
        self.domains = domains
        self._satisfiable: dict[frozenset[cond.Node], bool] = {}

    def expand(self, when: cond.Node, stored: Expansion | None = None) -> Expansion:
        """The terms of a rule's condition; `stored`: its expansion read from the disk cache."""
        if stored is not None:
            return stored
        single, several, dead = cond.split_conjuncts(when)
        if dead:
            return Expansion((), None, expanded=False)
        own = {qid: tuple(items) for qid, items in single.items()}
        if not several:
            return Expansion((own,), None, expanded=False)
        base = frozenset(item for items in single.values() for item in items)
        # the single-question conjuncts seed the product, so that alternatives they contradict
        # are pruned as soon as they appear, not only once every part is multiplied out
        alternatives = self._alternatives(cond.And(tuple(several)), base)
        if alternatives is None:
            residual = several[0] if len(several) == 1 else cond.And(tuple(several))
            return Expansion((own,), residual)
        terms = self._reduced([base | alternative for alternative in alternatives])
        return Expansion(tuple(_grouped(term) for term in terms), None)

    def _alternatives(
        self, node: cond.Node, seed: frozenset[cond.Node] = frozenset()
    ) -> list[frozenset[cond.Node]] | None:
        """The terms of a condition with negations on its tests, each joined with the tests of
        `seed` (None: more than MAX_TERMS)."""
        if isinstance(node, cond.And):
            terms: list[frozenset[cond.Node]] = [seed]
            for item in node.items:
                parts = self._alternatives(item)
                if parts is None:
                    return None
                terms = self._reduced([term | part for term in terms for part in parts])
                if len(terms) > MAX_TERMS:
                    return None
            return terms
        if isinstance(node, cond.Or):
            terms = []
            for item in node.items:
                parts = self._alternatives(item)
                if parts is None:
                    return None
                terms += parts
            terms = self._reduced(terms)
            return None if len(terms) > MAX_TERMS else terms
        if isinstance(node, cond.Const):
            return [frozenset()] if node.value else []
        return [frozenset([node])]

    def _reduced(self, terms: list[frozenset[cond.Node]]) -> list[frozenset[cond.Node]]:
        """Distinct satisfiable terms, none containing another, shortest first (stable)."""
        kept: list[frozenset[cond.Node]] = []
        for term in sorted(dict.fromkeys(terms), key=len):
            if not any(other <= term for other in kept) and self._possible(term):
                kept.append(term)
        return kept

    def _possible(self, term: frozenset[cond.Node]) -> bool:
        if len(term) < 2:
            return True
        return all(self._satisfied(items) for items in _by_question(term).values())

    def _satisfied(self, items: list[cond.Node]) -> bool:
        """Whether some answer to their question makes all of `items` definitely true."""
        key = frozenset(items)
        found = self._satisfiable.get(key)
        if found is None:
            (qid,) = cond.questions_in(items[0])
            if self.shapes[qid].kind == "set":
                self._satisfiable[key] = True
                return True
            test = cond.compile_condition(cond.And(tuple(items)))
            found = any(test({qid: value}) is True for value in self._representatives(qid))
            self._satisfiable[key] = found
        return found

    def _representatives(self, qid: str) -> tuple[Any, ...]:
        """Answers covering every class of a one-choice, yes/no or number question (a number:
        each threshold, its neighbours, and zero)."""
        shape = self.shapes[qid]
        if shape.kind == "choice":
            return shape.values
        if shape.kind == "bool":
            return (False, True)
        cuts = self.domains.cuts.get(qid, ())
        return (*cuts, *(c - 1 for c in cuts), *(c + 1 for c in cuts), 0)


def _by_question(term: frozenset[cond.Node]) -> dict[str, list[cond.Node]]:
    grouped: dict[str, list[cond.Node]] = {}
    for item in term:
        (qid,) = cond.questions_in(item)
        grouped.setdefault(qid, []).append(item)
    return grouped


def _grouped(term: frozenset[cond.Node]) -> Term:
    """A term as tests per question, in a fixed order (a set's order varies between runs)."""
    grouped = sorted(_by_question(term).items())
    return {qid: tuple(sorted(items, key=cond.to_text)) for qid, items in grouped}
