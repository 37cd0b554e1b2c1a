"""Per-question answer domains, split where the rules and gates can tell answers apart.

Worked out once per rule base and read by both the fast evaluation (`knowledge.index`: which
class of answers a number falls in) and the exact analyses (`analysis.answer_space`: one
representative answer per class). A number question splits at the constants conditions compare
it with (below, at and above each); a many-choice question is reduced to the subsets of the
values conditions name, times how many of the other, interchangeable values are chosen; choices
and yes/no keep every value. Within one class every condition has the same result, so what holds
for the representatives holds for every answer.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from advisor.errors import TooComplexError
from advisor.knowledge import conditions as cond
from advisor.knowledge.questions import Question

MAX_CLASSES = 4096
"""The most answer classes the exact analyses enumerate for one question: a many-choice
question has one per subset of the values conditions name, times the count of the others
chosen (ten named values and three others make 4,096; the shipped rules name at most three)."""


@dataclass(frozen=True)
class Domains:
    """Where each question's answers split: number thresholds and named many-choice values."""

    cuts: dict[str, tuple[int, ...]]
    """Per number question, the sorted constants conditions compare it with."""
    named: dict[str, frozenset[str]]
    """Per many-choice question, the values conditions name."""

    def number_class(self, question_id: str, value: int) -> int:
        """The class of a number: 2i+1 is the i-th threshold itself, 2i the numbers below it
        (and above the one before); 2n the numbers above every threshold."""
        cuts = self.cuts.get(question_id, ())
        at = bisect_left(cuts, value)
        return 2 * at + (at < len(cuts) and cuts[at] == value)

    def representatives(self, question: Question) -> tuple[Any, ...]:
        """One answer per class of `question`, in a deterministic order.

        A many-choice question has a class per subset of the values conditions name (times
        the count of the others chosen): past MAX_CLASSES the exact analyses refuse it
        (`TooComplexError`) rather than enumerate millions of subsets."""
        if question.kind == "set":
            named = self.named.get(question.id, frozenset())
            distinct = sum(1 for v in question.values if v in named)
            count = 2**distinct * (len(question.values) - distinct + 1)
            if count > MAX_CLASSES:
                raise TooComplexError(
                    f"question '{question.id}': its conditions name {distinct} of its values, "
                    f"which splits its answers into {count:,} classes, more than the "
                    f"{MAX_CLASSES:,} the exact analyses (lint, why, whatif, explain) can "
                    "enumerate; name fewer of its values in conditions (each one named doubles "
                    "the classes), or split it into several questions"
                )
        return tuple(_representatives(question, self))


def domains_of(conditions: Iterable[cond.Node]) -> Domains:
    """The domains split by every condition given (rules' `when` and questions' `asked_when`)."""
    cuts: dict[str, set[int]] = {}
    named: dict[str, set[str]] = {}
    for node in conditions:
        for qid, values in cond.thresholds(node).items():
            cuts.setdefault(qid, set()).update(values)
        for part in cond.walk(node):
            if isinstance(part, cond.Has):
                named.setdefault(part.question, set()).update(part.values)
    return Domains(
        cuts={qid: tuple(sorted(values)) for qid, values in sorted(cuts.items())},
        named={qid: frozenset(values) for qid, values in sorted(named.items())},
    )


def _representatives(question: Question, domains: Domains) -> Iterator[Any]:
    if question.kind == "choice":
        yield from question.values
    elif question.kind == "bool":
        yield from (False, True)
    elif question.kind == "int":
        low = question.minimum if question.minimum is not None else -(2**63)
        high = question.maximum if question.maximum is not None else 2**63
        points = domains.cuts.get(question.id, ())
        candidates = {low, high} | {c + d for c in points for d in (-1, 0, 1)}
        seen: set[int] = set()
        for value in sorted(candidates):
            number_class = domains.number_class(question.id, value)
            if low <= value <= high and number_class not in seen:  # one number per class
                seen.add(number_class)
                yield value
    else:
        named = domains.named.get(question.id, frozenset())
        distinct = [v for v in question.values if v in named]
        others = [v for v in question.values if v not in named]
        for size in range(len(distinct) + 1):
            for chosen in combinations(distinct, size):
                for extra in range(len(others) + 1):
                    subset = frozenset(chosen) | frozenset(others[:extra])
                    if len(subset) >= question.min_choices:
                        yield subset
