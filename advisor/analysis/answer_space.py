"""Exact questions about the whole answer space: "is there any set of answers such that ...?".

The answer space is every answer to every question the walk reaches, with unreached questions
unknown, exactly as `engine.walk` builds the effective answers. It is finite once each
question's answers are split into the classes conditions can tell apart (`knowledge.domains`,
the same split the rule index uses): one representative per class. For
the shipped rules that is over 10^8 combinations: too many to enumerate once per check.

Method: a multi-valued decision diagram (MDD). Each question is a variable, in walk order, whose
values are its representative answers plus UNREACHED. A condition becomes a diagram whose leaves
are its three-valued result (true, false, unknown), built bottom-up from the tests with Kleene
`and`/`or`/`not` applied node by node. Diagrams are reduced and shared (one node per distinct
sub-function, every operation memoised), so a definition such as `fine_tune` is built once and
conditions that share it stay small. The walk itself is a diagram too: question q is UNREACHED
exactly when its `asked_when` is not true. A query ("some answers give condition A true and B not
true", ...) is the conjunction of those diagrams with the walk's; it is satisfiable exactly when
the result is not the constant false, and any path to a true leaf is a witness. Every answer is
exact (no sampling), and building all diagrams of the shipped rules takes a fraction of a second.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.errors import TooComplexError
from advisor.knowledge import conditions as cond

if TYPE_CHECKING:
    from advisor.knowledge.questions import Question
    from advisor.knowledge.rulebase import RuleBase

MAX_ENTRIES = 2_000_000
"""The most child links one analysis's diagram nodes may hold together (each node links to one
child per answer class of its question): the shipped rules need under 300,000, for the proof of
the rule index. Questions gated on conditions over many other questions, and rules that combine
them, can need exponentially many nodes: 40 such questions took 4.5 million nodes, 80 s and
1.9 GB. Past the limit the analysis stops with a clear error (about 5 s, 250 MB)."""

TRUE, FALSE, UNKNOWN = 1, 2, 4  # bits: which three-valued results a query allows
NOT_TRUE = FALSE | UNKNOWN


class _Unreached:
    def __repr__(self) -> str:
        return "UNREACHED"


UNREACHED: Any = _Unreached()

# Leaves of a diagram: F, T, N (false, true, unknown). Other node ids index `_Diagrams.nodes`.
_F, _T, _N = 0, 1, 2
_LEAF_OF = {False: _F, True: _T, None: _N}
_BIT_OF_LEAF = {_F: FALSE, _T: TRUE, _N: UNKNOWN}
_AND = ((_F, _F, _F), (_F, _T, _N), (_F, _N, _N))
_OR = ((_F, _T, _N), (_T, _T, _T), (_N, _T, _N))
_NOT = (_T, _F, _N)


@dataclass(frozen=True)
class Space:
    """The representative answers of each question (walk order), as diagram variables."""

    questions: tuple[Question, ...]
    answers: tuple[tuple[Any, ...], ...]  # per question: representatives, then UNREACHED

    def size(self) -> int:
        """How many combinations a naive enumeration of the answer space would visit."""
        total = 1
        for q, values in zip(self.questions, self.answers, strict=True):
            total *= len(values) - (1 if q.asked_when == cond.TRUE else 0)
        return total


def answer_space(rulebase: RuleBase) -> Space:
    """Representative answers per question: one per class of the rule base's `Domains`."""
    domains = rulebase.domains
    answers = tuple((*domains.representatives(q), UNREACHED) for q in rulebase.questions)
    return Space(rulebase.questions, answers)


class Diagrams:
    """Reduced, shared multi-valued decision diagrams over one rule base's answer space."""

    def __init__(self, rulebase: RuleBase) -> None:
        self.rulebase = rulebase
        self.space = answer_space(rulebase)
        self.position = {q.id: n for n, q in enumerate(rulebase.questions)}
        self.nodes: list[tuple[int, tuple[int, ...]]] = [(len(self.position), ())] * 3
        self._unique: dict[tuple[int, tuple[int, ...]], int] = {}
        self._applied: dict[tuple[int, int, int], int] = {}
        self._mapped: dict[tuple[tuple[int, ...], int], int] = {}
        self._built: dict[cond.Node, int] = {}
        self._entries = 0
        self.walk = self._walk()

    # -- construction

    def _make(self, var: int, children: tuple[int, ...]) -> int:
        first = children[0]
        if all(child == first for child in children):
            return first
        key = (var, children)
        found = self._unique.get(key)
        if found is None:
            self._entries += len(children)
            if self._entries > MAX_ENTRIES:
                raise TooComplexError(
                    "the rule base is too interlinked for the exact analyses: its decision "
                    f"diagrams passed {MAX_ENTRIES:,} links between nodes "
                    f"({len(self.nodes):,} nodes over {len(self.position)} questions; the shipped "
                    "rules need under 300,000 links). Gate fewer questions on conditions over "
                    "many others, or split rules that combine many questions"
                )
            found = self._unique[key] = len(self.nodes)
            self.nodes.append(key)
        return found

    def _apply(self, table: tuple[tuple[int, ...], ...], op: int, a: int, b: int) -> int:
        if a < 3 and b < 3:
            return table[a][b]
        if a > b:
            a, b = b, a  # both operations are commutative
        key = (op, a, b)
        found = self._applied.get(key)
        if found is not None:
            return found
        var_a, kids_a = self.nodes[a]
        var_b, kids_b = self.nodes[b]
        var = min(var_a, var_b)
        width = len(self.space.answers[var])
        kids_a = kids_a if var_a == var else (a,) * width
        kids_b = kids_b if var_b == var else (b,) * width
        found = self._make(
            var, tuple(self._apply(table, op, x, y) for x, y in zip(kids_a, kids_b, strict=True))
        )
        self._applied[key] = found
        return found

    def both(self, a: int, b: int) -> int:
        """Kleene `a and b`."""
        return self._apply(_AND, 0, a, b)

    def either(self, a: int, b: int) -> int:
        """Kleene `a or b`."""
        return self._apply(_OR, 1, a, b)

    def _map(self, leaves: tuple[int, ...], a: int) -> int:
        if a < 3:
            return leaves[a]
        key = (leaves, a)
        found = self._mapped.get(key)
        if found is None:
            var, kids = self.nodes[a]
            found = self._make(var, tuple(self._map(leaves, k) for k in kids))
            self._mapped[key] = found
        return found

    def negate(self, a: int) -> int:
        return self._map(_NOT, a)

    def within(self, a: int, allowed: int) -> int:
        """The two-valued diagram of "the value of `a` is one of `allowed` (bits)"."""
        return self._map(
            tuple(_T if _BIT_OF_LEAF[leaf] & allowed else _F for leaf in (_F, _T, _N)), a
        )

    def build(self, node: cond.Node) -> int:
        """The diagram of a condition (three-valued leaves); shared sub-conditions built once."""
        found = self._built.get(node)
        if found is not None:
            return found
        if isinstance(node, cond.And | cond.Or):
            parts = [self.build(item) for item in node.items]
            combine = self.both if isinstance(node, cond.And) else self.either
            found = parts[0]
            for part in parts[1:]:
                found = combine(found, part)
        elif isinstance(node, cond.Not):
            found = self.negate(self.build(node.item))
        elif isinstance(node, cond.Const):
            found = _T if node.value else _F
        else:
            (qid,) = cond.questions_in(node)
            test = cond.compile_condition(node)
            var = self.position[qid]
            children = tuple(
                _LEAF_OF[test({} if value is UNREACHED else {qid: value})]
                for value in self.space.answers[var]
            )
            found = self._make(var, children)
        self._built[node] = found
        return found

    def _walk(self) -> int:
        """True exactly for the combinations the walk can produce (gates decide UNREACHED)."""
        valid = _T
        for var in reversed(range(len(self.space.questions))):
            question = self.space.questions[var]
            width = len(self.space.answers[var])
            unreached = self._make(var, (_F,) * (width - 1) + (_T,))
            gate = self.within(self.build(question.asked_when), TRUE)
            asked = self._map((_T, _F, _F), unreached)  # reached: any real answer
            rule = self.either(self.both(gate, asked), self.both(self.negate(gate), unreached))
            valid = self.both(rule, valid)
        return valid

    # -- queries

    def find(self, constraints: Sequence[tuple[cond.Node, int]]) -> dict[str, Any] | None:
        """Answers (question -> representative answer or UNREACHED) satisfying every
        `(condition, allowed results)` pair, restricted to the questions the conditions and
        their gates read; None when no combination of answers does."""
        query = self.walk
        read: set[str] = set()
        for node, allowed in constraints:
            query = self.both(query, self.within(self.build(node), allowed))
            read |= cond.questions_in(node)
            if query == _F:
                return None
        return self.witness(query, read)

    def witness(self, diagram: int, read: set[str] | None = None) -> dict[str, Any] | None:
        """Answers on a path of `diagram` to a leaf other than false (None: there is none),
        restricted to the questions in `read` and their gates (every question when None)."""
        if diagram == _F:
            return None
        path: dict[int, Any] = {}
        at = diagram
        while at >= 3:
            var, kids = self.nodes[at]
            pick = next(n for n, kid in enumerate(kids) if kid != _F)
            path[var] = self.space.answers[var][pick]
            at = kids[pick]
        shown = self._with_gates(read) if read is not None else set(self.position)
        return {
            q.id: path.get(var, self._any(var))
            for var, q in enumerate(self.space.questions)
            if q.id in shown
        }

    def over(self, question_id: str, holds: Callable[[Any], bool]) -> int:
        """The two-valued diagram of "`holds` is true of this question's answer" (the answer is
        UNREACHED for an unreached question)."""
        var = self.position[question_id]
        children = tuple(_T if holds(value) else _F for value in self.space.answers[var])
        return self._make(var, children)

    def cube(self, allowed: dict[str, Callable[[Any], bool]]) -> int:
        """The two-valued diagram of "every question in `allowed` has an answer its predicate
        accepts" (UNREACHED included), built in one pass from the bottom variable up."""
        at = _T
        for var in sorted((self.position[qid] for qid in allowed), reverse=True):
            holds = allowed[self.space.questions[var].id]
            at = self._make(
                var, tuple(at if holds(value) else _F for value in self.space.answers[var])
            )
        return at

    def accepting(
        self, allowed: Mapping[str, Callable[[Any], bool]]
    ) -> dict[str, tuple[bool, ...]]:
        """Per question, which of its representative answers the predicate accepts (what
        `meets` reads)."""
        answers, position = self.space.answers, self.position
        return {qid: tuple(map(holds, answers[position[qid]])) for qid, holds in allowed.items()}

    def meets(self, a: int, accepted: Mapping[str, tuple[bool, ...]]) -> bool:
        """Whether `a` is not false for some combination in which every question in `accepted`
        has an answer it accepts (`accepting`): `both(a, cube(...)) != false`, found by one
        search of `a`, with no diagram built."""
        accepts: dict[int, tuple[bool, ...]] = {}
        for qid, ok in accepted.items():
            if not any(ok):
                return False  # no answer of that question is allowed: the cube is false
            accepts[self.position[qid]] = ok
        nodes = self.nodes
        seen: dict[int, bool] = {}

        def reaches(node: int) -> bool:
            if node < 3:
                return node != _F
            found = seen.get(node)
            if found is None:
                var, kids = nodes[node]
                ok = accepts.get(var)
                found = any(reaches(kid) for n, kid in enumerate(kids) if ok is None or ok[n])
                seen[node] = found
            return found

        return reaches(a)

    @property
    def true(self) -> int:
        return _T

    @property
    def false(self) -> int:
        return _F

    def _any(self, var: int) -> Any:
        return self.space.answers[var][0]

    def _with_gates(self, read: set[str]) -> set[str]:
        needed = set(read)
        todo = list(read)
        by_id = self.rulebase.question_by_id
        while todo:
            for source in cond.questions_in(by_id[todo.pop()].asked_when):
                if source not in needed:
                    needed.add(source)
                    todo.append(source)
        return needed


def describe(witness: dict[str, Any], rulebase: RuleBase) -> str:
    """`knowledge = general, data_shapes not asked, ...` for messages."""
    parts = []
    for qid, value in witness.items():
        question = rulebase.question_by_id[qid]
        if value is UNREACHED:
            parts.append(f"{qid} not asked")
        elif question.kind == "set":
            chosen = [v for v in question.values if v in value]
            parts.append(f"{qid} = [{', '.join(chosen)}]")
        elif question.kind == "bool":
            parts.append(f"{qid} = {'true' if value else 'false'}")
        else:
            parts.append(f"{qid} = {value}")
    return ", ".join(parts) if parts else "any answers"
