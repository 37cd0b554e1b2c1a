"""The validated rule base: questions in walk order, rules, definitions, kb sections, the index.

A `RuleBase` is immutable and shared by every call of the engine; `advisor.knowledge.loader`
builds one from files (or the disk cache).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.knowledge import conditions as cond
from advisor.knowledge.kb import Section
from advisor.knowledge.questions import Question, shapes_of
from advisor.knowledge.rules import Rule
from advisor.vocabulary import DEFAULT, Vocabulary

if TYPE_CHECKING:
    from advisor.knowledge.graph import DecisionGraph

QUESTIONS_FILE = "questions.toml"
RULESET_FILE = "ruleset.toml"
VOCABULARY_FILE = "vocabulary.toml"


_UNKNOWN = object()  # table key: the question was not reached
_KEPT_MASKS = 4096  # answers per question whose mask is kept (set questions can have many)


class RuleIndex:
    """Which rules an evaluation must test, found with one bitmask per (question, answer).

    Each rule's top-level conjuncts are split (`cond.split_conjuncts`): those reading a single
    question are folded, per question, into bitmasks over the rules: the mask of (question q,
    answer a) has the bit of every rule whose conjuncts on q are definitely true when q = a,
    and of every rule with no conjunct on q. ANDing the masks of the answers gives the
    candidates: the rules whose single-question conjuncts all hold. A candidate fires when its
    remaining conjuncts (reading several questions; `tests`, compiled with
    `cond.compile_shared` so shared definitions run once) are definitely true, so the result is
    exactly that of evaluating every rule, in rule order.

    Masks are computed on first use of an answer. Numbers are classed by the thresholds the
    conjuncts compare them with (below, equal to, above each), so a mask covers a whole interval;
    an unreached question has a mask of its own. The cost of an evaluation is one word-parallel
    AND per question plus a test per candidate, instead of a test per rule.
    """

    def __init__(self, rules: tuple[Rule, ...], shapes: dict[str, cond.QuestionShape]) -> None:
        self.size = len(rules)
        live = 0
        groups: dict[str, list[tuple[int, cond.Evaluator]]] = {}
        residual: list[cond.Node | None] = []
        for position, rule in enumerate(rules):
            single, several, dead = cond.split_conjuncts(rule.when)
            if not dead:
                live |= 1 << position
            for qid, items in single.items():
                node = items[0] if len(items) == 1 else cond.And(tuple(items))
                groups.setdefault(qid, []).append((position, cond.compile_condition(node)))
            if not several:
                residual.append(None)
            else:
                residual.append(several[0] if len(several) == 1 else cond.And(tuple(several)))
        self.live = live
        compiled = iter(cond.compile_shared([n for n in residual if n is not None]))
        self.tests = tuple(None if node is None else next(compiled) for node in residual)
        cuts: dict[str, set[int]] = {}
        for rule in rules:
            for qid, values in cond.thresholds(rule.when).items():
                cuts.setdefault(qid, set()).update(values)
        self.questions: tuple[_IndexedQuestion, ...] = tuple(
            _IndexedQuestion(qid, entries, len(rules), live, cuts.get(qid, set()))
            for qid, entries in groups.items()
            if shapes[qid].kind != "int"
        ) + tuple(
            _IndexedQuestion(qid, entries, len(rules), live, cuts.get(qid, set()), numeric=True)
            for qid, entries in groups.items()
            if shapes[qid].kind == "int"
        )
        self._loop = tuple((q.qid, q.masks, q.thresholds, q) for q in self.questions)

    def candidates(self, effective: Mapping[str, Any]) -> list[int]:
        """Positions of the rules whose single-question conjuncts all hold, in rule order."""
        mask = self.live
        get = effective.get
        for qid, masks, cuts, indexed in self._loop:
            value = get(qid)
            if value is None:
                key: Any = _UNKNOWN
            elif cuts is not None:
                at = bisect_left(cuts, value)
                key = 2 * at + (at < len(cuts) and cuts[at] == value)
            else:
                key = value
            found = masks.get(key)
            if found is None:
                found = indexed.mask(key, value)
            mask &= found
            if not mask:
                return []
        return _positions(mask)


class _IndexedQuestion:
    """The masks of one question (see `RuleIndex`), filled in as answers are seen."""

    def __init__(
        self,
        qid: str,
        entries: list[tuple[int, cond.Evaluator]],
        size: int,
        live: int,
        cuts: set[int],
        numeric: bool = False,
    ) -> None:
        self.qid = qid
        self.entries = entries
        self.size = size
        grouped = 0
        for position, _ in entries:
            grouped |= 1 << position
        self.free = live & ~grouped  # rules with no conjunct on this question
        self.masks: dict[Any, int] = {}
        self.thresholds: list[int] | None = sorted(cuts) if numeric else None

    def mask(self, key: Any, value: Any) -> int:
        if key is not _UNKNOWN and self.thresholds is not None:
            value = self._representative(key)
        answers = {} if key is _UNKNOWN else {self.qid: value}
        bits = bytearray((self.size + 7) // 8)
        for position, test in self.entries:
            if test(answers) is True:
                bits[position >> 3] |= 1 << (position & 7)
        found = self.free | int.from_bytes(bits, "little")
        if len(self.masks) < _KEPT_MASKS:
            self.masks[key] = found
        return found

    def _representative(self, key: int) -> int:
        """A number of threshold class `key`: 2i+1 is the i-th threshold, 2i just below it."""
        cuts = self.thresholds or []
        at, equal = divmod(key, 2)
        if equal:
            return cuts[at]
        return cuts[at] - 1 if at < len(cuts) else (cuts[-1] + 1 if cuts else 0)


def _positions(mask: int) -> list[int]:
    """The set bits of `mask`, lowest first."""
    if mask < 1 << 64:
        found = []
        while mask:
            low = mask & -mask
            found.append(low.bit_length() - 1)
            mask ^= low
        return found
    text = format(mask, "b")[::-1]
    found = []
    at = text.find("1")
    while at >= 0:
        found.append(at)
        at = text.find("1", at + 1)
    return found


@dataclass(frozen=True)
class RuleBase:
    """A validated rule base. `questions` is in walk order; `rules` in rationale order."""

    name: str
    version: str
    rules_dir: Path
    kb_dir: Path
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]
    definitions: dict[str, cond.Node]
    kb: dict[str, Section]
    digest: str
    vocabulary: Vocabulary = DEFAULT
    question_by_id: dict[str, Question] = field(init=False)
    compiled_gates: tuple[tuple[Question, cond.Evaluator], ...] = field(init=False)
    rule_index: RuleIndex = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "question_by_id", {q.id: q for q in self.questions})
        set_(
            self,
            "compiled_gates",
            tuple((q, cond.compile_condition(q.asked_when)) for q in self.questions),
        )
        set_(self, "rule_index", RuleIndex(self.rules, shapes_of(self.questions)))

    @cached_property
    def compiled(self) -> tuple[tuple[Rule, cond.Evaluator], ...]:
        """Each rule with its condition compiled on its own (the engine uses `rule_index`)."""
        return tuple((r, cond.compile_condition(r.when)) for r in self.rules)

    @cached_property
    def graph(self) -> DecisionGraph:
        """The decision graph (built on first use: networkx is not needed to advise)."""
        from advisor.knowledge.graph import DecisionGraph, build_graph

        return DecisionGraph(build_graph(self.questions, self.rules))
