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

MAX_CLASSES = 1024
"""The most answer classes the exact analyses enumerate for one question: a many-choice
question has one per subset of the values conditions name, times the count of the others
chosen (ten named values make 1,024; the shipped rules name at most three), a number two per
threshold conditions compare it with, plus one. What-if decides combinations of them, so a
pack with 2,000 thresholds on one number took it 60 s and 600 MB."""


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

        Past MAX_CLASSES classes the exact analyses refuse the question (`TooComplexError`)
        rather than enumerate them: a many-choice question has a class per subset of the values
        conditions name (times the count of the others chosen), a number one per threshold
        and per range between them, a choice one per value."""
        count = self.class_count(question)
        if count > MAX_CLASSES:
            raise TooComplexError(_too_many_classes(question, count, self))
        return tuple(_representatives(question, self))

    def class_count(self, question: Question) -> int:
        """How many classes `question`'s answers split into (at most, for a number)."""
        if question.kind == "set":
            named = self.named.get(question.id, frozenset())
            distinct = sum(1 for v in question.values if v in named)
            return int(2**distinct * (len(question.values) - distinct + 1))
        if question.kind == "int":
            return 2 * len(self.cuts.get(question.id, ())) + 1
        if question.kind == "bool":
            return 2
        return len(question.values)


def _too_many_classes(question: Question, count: int, domains: Domains) -> str:
    start = f"question '{question.id}': "
    end = (
        f", more than the {MAX_CLASSES:,} the exact analyses (lint, why, whatif, explain) can "
        "enumerate; "
    )
    if question.kind == "int":
        cuts = len(domains.cuts.get(question.id, ()))
        return (
            f"{start}conditions compare it with {cuts:,} different numbers, which split its "
            f"answers into {count:,} classes{end}compare it with fewer numbers (ranges such as "
            "'< 1000' rather than one test per value)"
        )
    named = domains.named.get(question.id, frozenset())
    if question.kind == "set" and named:
        distinct = sum(1 for v in question.values if v in named)
        return (
            f"{start}its conditions name {distinct} of its values, which splits its answers "
            f"into {count:,} classes{end}name fewer of its values in conditions (each one named "
            "doubles the classes), or split it into several questions"
        )
    return (
        f"{start}its {len(question.values):,} values split its answers into {count:,} "
        f"classes{end}split it into several questions with fewer values"
    )


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
