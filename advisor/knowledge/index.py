"""The rule index: which rules fire, found with one bitmask per answer class and question.

Each rule's condition is expanded into terms (`knowledge.terms`): alternatives whose tests each
read a single question, so that the rule is definitely true exactly when one of its terms is.
Terms are numbered as the bits of masks, rule after rule; a rule with several terms has a guard
bit after them, which no mask sets (`rules_of` reads the rules from the terms). The tests of
each term are folded, per question, into a table of bitmasks over the terms: the mask of
(question q, answer class a) has the bit of every term whose tests on q are definitely true for
answers of class a, and of every term with no test on q. ANDing the masks of the answers gives
the terms that hold, and their rules are the candidates. A rule too large to expand keeps one
term and a residual condition (`tests`, compiled with `cond.compile_shared` so shared
definitions run once) that a candidate must also pass, so the result is exactly that of
evaluating every rule, in rule order. `analysis.equivalence` proves that over the whole answer
space.

Answer classes are the rule base's `Domains`: a choice or yes/no answer is its own class, a number
is classed by the thresholds conditions compare it with, an unreached question has a class of its
own, and a many-choice answer is its own class (its masks are made as answers are seen, unless
the question has few values). The tables of choices, yes/no answers, numbers and the subsets of
a small many-choice question are finite: they are built once and stored in the disk cache with
the rule base (`table`), as are the expansions into terms (`expansions`), so a process that
loads the rule base from the cache expands no condition and compiles none of the tests. The
cost of an evaluation is one word-parallel AND per question, instead of a test per rule.
"""

from __future__ import annotations

import sys
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from functools import reduce
from itertools import chain, combinations, repeat
from operator import and_, getitem
from typing import Any

from advisor.knowledge import conditions as cond
from advisor.knowledge.domains import Domains
from advisor.knowledge.terms import Expander, Expansion

UNREACHED_KEY = -1
"""The table key of an unreached question (numbers use their class, >= 0)."""
_KEPT_MASKS = 4096  # many-choice answers per question whose mask is kept
_KEPT_CHUNKS = 1024
"""Values kept per 32-bit chunk of a mask (`rules_of`)."""
_MAX_CHUNKS = 64
"""Up to this many 32-bit chunks in a mask (2,048 bits: a few hundred rules), `rules_of` reads
the marks through tables; past it, one by one."""
SMALL_SET = 6
"""A many-choice question with at most this many values has a full table (64 subsets)."""


class RuleIndex:
    """The index of one rule base (see the module docstring)."""

    def __init__(
        self,
        rules: tuple[Any, ...],
        shapes: Mapping[str, cond.QuestionShape],
        domains: Domains,
        table: Mapping[str, Mapping[Any, int]] | None = None,
        stored: tuple[Expansion | None, ...] | None = None,
        extra: tuple[cond.Node, ...] = (),
    ) -> None:
        self.rule_count = len(rules)
        """The rules come first; `extra` conditions (the latency stages' `when`) follow them."""
        self.size = len(rules) + len(extra)
        self.domains = domains
        expander = Expander(shapes, domains)
        conditions = [rule.when for rule in rules] + list(extra)
        expansions = [
            expander.expand(when, stored[position] if stored else None)
            for position, when in enumerate(conditions)
        ]
        self.expansions = tuple(e if e.expanded else None for e in expansions)
        """Per rule, its expansion into terms when that took more than splitting its
        conjuncts (None otherwise): the disk cache stores them, so no process redoes them."""
        groups = self._number_terms(expansions)
        self.residual = tuple(e.residual for e in expansions)
        """Per rule, the conjuncts left to test after the index (None: none), as a condition."""
        compiled = iter(cond.compile_shared([n for n in self.residual if n is not None]))
        self.tests = tuple(None if node is None else next(compiled) for node in self.residual)
        self.has_tests = any(test is not None for test in self.tests)
        table = table or {}
        self.questions: tuple[IndexedQuestion, ...] = tuple(
            IndexedQuestion(
                qid, entries, self.terms, self.live, shapes[qid], domains, table.get(qid)
            )
            for qid, entries in sorted(
                groups.items(), key=lambda item: shapes[item[0]].kind == "int"
            )
        )
        self.by_question = {q.qid: q for q in self.questions}
        # the questions whose answer is its own table key (one-choice, yes/no, many-choice;
        # unanswered: UNREACHED_KEY), then the numbers, keyed by class
        self._by_value = tuple(q for q in self.questions if q.cuts is None)
        self._by_value_ids = tuple(q.qid for q in self._by_value)
        self._by_value_masks = tuple(q.masks for q in self._by_value)
        self._numbers = tuple(
            (q.qid, q.masks, q.cuts) for q in self.questions if q.cuts is not None
        )

    def _number_terms(self, expansions: list[Expansion]) -> dict[str, list[tuple[int, cond.Node]]]:
        """Number every term (see the module docstring) and return, per question, the number
        and the tests of each term that tests it."""
        groups: dict[str, list[tuple[int, cond.Node]]] = {}
        starts: list[int] = []
        counts: list[int] = []
        term_bits: list[int] = []
        field_bits: list[int] = []
        marker_rule: dict[int, int] = {}
        at = 0
        for rule, expansion in enumerate(expansions):
            width = len(expansion.terms)
            starts.append(at)
            counts.append(width)
            for number, term in enumerate(expansion.terms, start=at):
                for qid, items in term.items():
                    node = items[0] if len(items) == 1 else cond.And(items)
                    groups.setdefault(qid, []).append((number, node))
            term_bits += range(at, at + width)
            if width == 1:  # its one term marks it
                marker_rule[at] = rule
                at += 1
            elif width > 1:  # a field of terms and a guard bit after it
                field_bits += range(at, at + width)
                marker_rule[at + width] = rule
                at += width + 1
        self.terms = at
        """The width of a mask: the terms, rule after rule, and a guard bit after each field."""
        self.live = _mask_of(term_bits, at)
        """Every term (a rule that can never hold has no term: its bit is never set)."""
        self._starts = tuple(starts)
        self._counts = tuple(counts)
        self._carry = _mask_of(field_bits, at)
        """In each field of several terms, every bit set (the number added in `rules_of`)."""
        self._markers = _mask_of(list(marker_rule), at + 1)
        """The bit that marks each rule: its one term, or the guard bit after its field."""
        count = (self.terms + 31) // 32
        self._width = 4 * count
        self._chunk_rules: tuple[_ChunkRules, ...] | None = None
        """Per 32-bit chunk of a mask, the rules marked by each value seen; None for a rule base
        with more than `_MAX_CHUNKS` chunks, whose marks are found one by one."""
        self._rule_at: list[int] = []
        """Per bit of a mask, the rule it marks (-1: none), for a large rule base."""
        if count <= _MAX_CHUNKS:
            lows = [32 * k for k in range(count)]
            if sys.byteorder == "big":  # the chunks of a big-endian number come highest first
                lows.reverse()
            self._chunk_rules = tuple(_ChunkRules(low, marker_rule) for low in lows)
        else:
            self._rule_at = [-1] * (self.terms + 1)
            for marker, rule in marker_rule.items():
                self._rule_at[marker] = rule
        return groups

    def terms_of(self, position: int) -> tuple[int, ...]:
        """The terms of the rule at `position`, numbered as the masks' bits (none when it can
        never hold)."""
        start = self._starts[position]
        return tuple(range(start, start + self._counts[position]))

    def rule_of(self, term: int) -> int:
        """The position of the rule a term belongs to."""
        return bisect_right(self._starts, term) - 1

    def candidates(self, effective: Mapping[str, Any]) -> list[int]:
        """Positions of the rules with a term that holds, in rule order (a rule with a residual
        condition fires when that holds too), then those of the extra conditions (numbered on
        from the rules)."""
        return self.rules_of(self._holding(effective))

    def _holding(self, effective: Mapping[str, Any]) -> int:
        """The mask of the terms that hold: the AND of every indexed question's mask."""
        get = effective.get
        keys = map(get, self._by_value_ids, repeat(UNREACHED_KEY))
        # C calls only; a table makes a mask it lacks (a many-choice answer seen first)
        mask: int = reduce(and_, map(getitem, self._by_value_masks, keys), self.live)
        for qid, masks_of, cuts in self._numbers:
            value = get(qid)
            if value is None:
                key: Any = UNREACHED_KEY
            else:  # a number's class (`Domains.number_class`)
                at = bisect_left(cuts, value)
                key = 2 * at + (at < len(cuts) and cuts[at] == value)
            mask &= masks_of[key]
        return mask

    def rules_of(self, mask: int) -> list[int]:
        """The positions of the rules with a term in `mask`, in rule order.

        A rule with one term is marked by that term's bit. The terms of a rule with several are
        a field of bits followed by a guard bit: adding, in every such field, the number with
        all the field's bits set carries into its guard bit exactly when the field is not zero.
        So one addition and one AND leave the mark of every rule that holds. The marks are
        then read 32 bits at a time, each (chunk, value) looked up in a table of the rules it
        marks, made as values are seen; the lookups run in C (a large rule base's marks are
        found one by one instead).
        """
        marked = ((mask & self.live) + self._carry) & self._markers
        if self._chunk_rules is not None:
            chunks = memoryview(marked.to_bytes(self._width, sys.byteorder)).cast("I")
            return list(chain.from_iterable(map(getitem, self._chunk_rules, chunks)))
        text = format(marked, "b")[::-1]
        marks: list[int] = []
        add, find = marks.append, text.find
        at = find("1")
        while at >= 0:
            add(at)
            at = find("1", at + 1)
        return list(map(self._rule_at.__getitem__, marks))

    def accepts(self, question_id: str, value: Any) -> int:
        """The mask of terms whose tests on `question_id` hold for `value` (None: unreached);
        every term when no term tests it."""
        indexed = self.by_question.get(question_id)
        if indexed is None:
            return self.live
        if value is None:
            return indexed.mask(UNREACHED_KEY)
        key = indexed.number_class(value) if indexed.cuts is not None else value
        return indexed.mask(key)

    def table(self) -> dict[str, dict[Any, int]]:
        """The finite tables (choices, yes/no, number classes, the subsets of a small
        many-choice question, unreached), for the disk cache."""
        return {q.qid: q.full_table() for q in self.questions if q.finite}


class _ChunkRules(dict[int, tuple[int, ...]]):
    """The rules marked by each value of one 32-bit chunk of a mask (`rules_of`), worked out
    from the chunk's four bytes when a value is first seen (each byte's rules tabled in turn,
    at most 256 values); up to `_KEPT_CHUNKS` values of the chunk are kept."""

    __slots__ = ("bytes",)

    def __init__(self, low: int, marker_rule: Mapping[int, int]) -> None:
        super().__init__({0: ()})
        self.bytes = tuple(_ByteRules(low + 8 * k, marker_rule) for k in range(4))
        """Per byte of the chunk's value, lowest first (the value is a number: no byte order)."""

    def __missing__(self, value: int) -> tuple[int, ...]:
        one, two, three, four = self.bytes
        found = (
            one[value & 255]
            + two[(value >> 8) & 255]
            + three[(value >> 16) & 255]
            + four[value >> 24]
        )
        if len(self) < _KEPT_CHUNKS:
            self[value] = found
        return found


class _ByteRules(dict[int, tuple[int, ...]]):
    """The rules marked by each value of one byte of a mask, worked out when first seen."""

    __slots__ = ("low", "marker_rule")

    def __init__(self, low: int, marker_rule: Mapping[int, int]) -> None:
        super().__init__({0: ()})
        self.low = low
        self.marker_rule = marker_rule

    def __missing__(self, value: int) -> tuple[int, ...]:
        low, marker_rule = self.low, self.marker_rule
        found = self[value] = tuple(
            marker_rule[low + bit] for bit in range(8) if (value >> bit) & 1
        )
        return found


class _Masks(dict[Any, int]):
    """An indexed question's masks by table key; one not there yet is made on lookup."""

    __slots__ = ("question",)

    def __init__(self, question: IndexedQuestion, table: Mapping[Any, int] | None) -> None:
        super().__init__(table or {})
        self.question = question

    def __missing__(self, key: Any) -> int:
        return self.question.made(key)


class IndexedQuestion:
    """The masks of one question (see `RuleIndex`)."""

    def __init__(
        self,
        qid: str,
        entries: list[tuple[int, cond.Node]],
        size: int,
        live: int,
        shape: cond.QuestionShape,
        domains: Domains,
        table: Mapping[Any, int] | None,
    ) -> None:
        self.qid = qid
        self.kind = kind = shape.kind
        self.values = shape.values
        self.entries = entries
        self.size = size
        self.free = live & ~_mask_of([position for position, _ in entries], size)
        """The terms with no test on this question."""
        self.cuts: tuple[int, ...] | None = domains.cuts.get(qid, ()) if kind == "int" else None
        self._domains = domains
        self._tests: list[tuple[int, cond.Evaluator]] | None = None
        self.masks: dict[Any, int] = _Masks(self, table)
        """The mask of each answer (table key) seen; a missing one is made when looked up."""

    def number_class(self, value: int) -> int:
        return self._domains.number_class(self.qid, value)

    def mask(self, key: Any) -> int:
        return self.masks[key]

    def made(self, key: Any) -> int:
        """The mask of `key`, worked out from the terms' tests (kept, up to `_KEPT_MASKS`
        answers of a many-choice question)."""
        if self._tests is None:  # compiled only when a table entry is missing
            self._tests = [(p, cond.compile_condition(node)) for p, node in self.entries]
        if key == UNREACHED_KEY and type(key) is int:
            answers: dict[str, Any] = {}
        else:
            answers = {self.qid: self._representative(key) if self.cuts is not None else key}
        holding = [position for position, test in self._tests if test(answers) is True]
        found = self.free | _mask_of(holding, self.size)
        if self.kind != "set" or len(self.masks) < _KEPT_MASKS:
            self.masks[key] = found
        return found

    @property
    def finite(self) -> bool:
        """Whether every answer's mask fits in a table: all but a many-choice question with
        more than `SMALL_SET` values."""
        return self.kind != "set" or len(self.values) <= SMALL_SET

    def full_table(self) -> dict[Any, int]:
        """Every mask of a choice, yes/no, number or small many-choice question (unreached
        included)."""
        if self.cuts is not None:
            table = {UNREACHED_KEY: self.mask(UNREACHED_KEY), **self._number_masks()}
            self.masks.update(table)
            return table
        keys: list[Any] = [UNREACHED_KEY]
        if self.kind == "bool":
            keys += [False, True]
        elif self.kind == "set":
            keys += [
                frozenset(chosen)
                for size in range(len(self.values) + 1)
                for chosen in combinations(self.values, size)
            ]
        else:
            keys += self.values
        return {key: self.mask(key) for key in keys}

    def _number_masks(self) -> dict[int, int]:
        """The mask of every class of a number question, in one sweep over the classes: a
        term's test can change only at the constants it compares with, so each term is tested
        once per stretch between its own constants and toggles its bit where the result changes
        (testing every term at every class takes time quadratic in the thresholds)."""
        cuts = self.cuts or ()
        at_cut = {cut: at for at, cut in enumerate(cuts)}
        count = 2 * len(cuts) + 1
        if self._tests is None:
            self._tests = [(p, cond.compile_condition(node)) for p, node in self.entries]
        toggles: list[list[int]] = [[] for _ in range(count)]
        for (position, node), (_, test) in zip(self.entries, self._tests, strict=True):
            starts = [0]
            for cut in sorted(cond.thresholds(node).get(self.qid, ())):
                starts += [2 * at_cut[cut] + 1, 2 * at_cut[cut] + 2]  # the constant, above it
            holds = False
            for start in starts:
                now = test({self.qid: self._representative(start)}) is True
                if now != holds:
                    toggles[start].append(position)
                    holds = now
        masks: dict[int, int] = {}
        mask = self.free
        for key, changed in enumerate(toggles):
            if changed:
                mask ^= _mask_of(changed, self.size)
            masks[key] = mask
        return masks

    def _representative(self, key: int) -> int:
        """A number of class `key`: 2i+1 is the i-th threshold, 2i just below it."""
        cuts = self.cuts or ()
        at, equal = divmod(key, 2)
        if equal:
            return cuts[at]
        return cuts[at] - 1 if at < len(cuts) else (cuts[-1] + 1 if cuts else 0)


def _mask_of(positions: list[int], size: int) -> int:
    """The mask with the bits at `positions` set (built in a byte array: ORing bits into
    a large int one at a time takes time quadratic in its size)."""
    bits = bytearray((size + 7) // 8)
    for position in positions:
        bits[position >> 3] |= 1 << (position & 7)
    return int.from_bytes(bits, "little")
