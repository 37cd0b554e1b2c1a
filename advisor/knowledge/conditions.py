"""The condition language of rules and questions: parse -> small AST -> evaluate / analyse.

Conditions are data read from files, so they are parsed by hand into frozen dataclasses and never
reach `eval`. The AST is deliberately tiny so that tools (lint, what-if, enumeration of the answer
space) can reason about it exactly.

Grammar (keywords are lower case)::

    expr    := and ("or" and)*
    and     := unary ("and" unary)*
    unary   := "not" unary | primary
    primary := "(" expr ")" | "true" | "false"
             | "count" "(" NAME ")" CMP INT
             | NAME                      -- a yes/no question, or a named definition
             | NAME CMP literal          -- CMP is one of == != < <= > >=
             | NAME ["not"] "in" set     -- one-choice question in a set of values
             | NAME "has" literal        -- many-choice question contains a value
             | NAME "has" ("any"|"all") set
    set     := "{" literal ("," literal)* "}"

Limits against hostile files, each refused with a ConditionError (or, for the expanded tree,
by `size_problem`): `MAX_NESTING` levels of parentheses and `not`, `MAX_TERMS` terms, numbers of
at most `MAX_DIGITS` digits. Reading a condition takes time linear in its length.

Evaluation is three-valued: a question that was not answered (because the walk did not reach it)
makes a comparison *unknown* (None). `and`/`or`/`not` follow Kleene logic, and a rule fires only
when its condition is definitely true.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, TypeAlias

from advisor.errors import ConditionError

QuestionKind = Literal["choice", "set", "bool", "int"]
CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
Answers: TypeAlias = Mapping[str, Any]
Evaluator: TypeAlias = Callable[[Answers], bool | None]


@dataclass(frozen=True, slots=True)
class Const:
    value: bool


@dataclass(frozen=True, slots=True)
class Truth:
    """A yes/no question used on its own: true when answered yes."""

    question: str


@dataclass(frozen=True, slots=True)
class Compare:
    """`question op value`: equality for choices and booleans, ordering for integers."""

    question: str
    op: CompareOp
    value: str | int | bool


@dataclass(frozen=True, slots=True)
class Member:
    """`question in {..}` (or `not in` when `negate`) for one-choice questions."""

    question: str
    values: frozenset[str]
    negate: bool = False


@dataclass(frozen=True, slots=True)
class Has:
    """`question has any/all {..}` for many-choice (set) questions."""

    question: str
    values: frozenset[str]
    mode: Literal["any", "all"] = "any"


@dataclass(frozen=True, slots=True)
class Count:
    """`count(question) op n`: how many values of a many-choice question were chosen."""

    question: str
    op: CompareOp
    value: int


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


Node: TypeAlias = Const | Truth | Compare | Member | Has | Count | And | Or | Not
TRUE = Const(True)


@dataclass(frozen=True, slots=True)
class QuestionShape:
    """What the parser needs to know about a question to type-check a condition."""

    kind: QuestionKind
    values: tuple[str, ...] = ()


# --------------------------------------------------------------------------- tokenizer

_TOKEN = re.compile(
    r"\s*(?:(?P<int>-?\d+)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<op>==|!=|<=|>=|<|>|[(){},])"
    r"|(?P<end>\Z))"
)
_SPACE = re.compile(r"\s*")
_KEYWORDS = {"and", "or", "not", "in", "has", "any", "all", "true", "false", "count"}

MAX_DIGITS = 18
"""The most digits a whole number in a condition may have: every int64 fits, and Python's limit
on converting long digit strings (4 300 digits, a ValueError) is never reached. The shipped rules
use at most 7 digits (`3600000`)."""


class _Token(NamedTuple):
    kind: Literal["int", "name", "op", "end"]
    text: str
    column: int


def _tokens(text: str) -> Iterator[_Token]:
    """The tokens of `text`, read as the parser asks for them, then the end token forever.

    Each match starts where the last one ended (no copies of the rest of the text, which made
    long conditions quadratic), and a condition refused for its size is not read to the end.
    """
    match_token = _TOKEN.match
    pos = 0
    while True:
        match = match_token(text, pos)
        if not match:
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
            raise ConditionError(text, pos + 1, f"unexpected character {text[pos]!r}")
        kind = match.lastgroup
        assert kind is not None  # every alternative is a named group
        if kind == "end":
            break
        token_text = match.group(kind)
        column = match.start(kind) + 1
        if kind == "int" and len(token_text.lstrip("-")) > MAX_DIGITS:
            digits = len(token_text.lstrip("-"))
            raise ConditionError(
                text, column, f"number too large: {digits} digits (at most {MAX_DIGITS})"
            )
        yield _Token(kind, token_text, column)  # type: ignore[arg-type]
        pos = match.end()
    last = _Token("end", "", len(text) + 1)
    while True:
        yield last


# --------------------------------------------------------------------------- parser


class _Parser:
    def __init__(
        self,
        text: str,
        questions: Mapping[str, QuestionShape],
        definitions: Mapping[str, Node],
    ) -> None:
        self.text = text
        self.source = _tokens(text)
        self.tokens: list[_Token] = []  # read so far
        self.pos = 0
        self.terms = 0  # nodes written in the text (see MAX_TERMS)
        self.questions = questions
        self.definitions = definitions
        self.nesting = 0  # parentheses and `not`s open at this point (see MAX_NESTING)

    # helpers
    def token(self, index: int) -> _Token:
        tokens = self.tokens
        while len(tokens) <= index:
            tokens.append(next(self.source))
        return tokens[index]

    def peek(self) -> _Token:
        return self.token(self.pos)

    def take(self) -> _Token:
        token = self.token(self.pos)
        self.pos += 1
        return token

    def error(self, token: _Token, message: str) -> ConditionError:
        """A grammar or type error at `token`; a character that is no token anywhere in the
        text is reported instead (raised from here), as when the text was read all at once."""
        for later in self.source:
            if later.kind == "end":
                break
        return ConditionError(self.text, token.column, message)

    def count_term(self, token: _Token) -> None:
        """One more node written in the text: past `MAX_TERMS` the condition is refused before
        the rest is read (its expansion could only be larger)."""
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise ConditionError(
                self.text,
                token.column,
                f"more than {MAX_TERMS} condition terms (the limit is {MAX_TERMS}): split the "
                "condition over several rules",
            )

    def expect(self, text: str) -> _Token:
        token = self.take()
        if token.text != text:
            found = repr(token.text) if token.kind != "end" else "the end"
            raise self.error(token, f"expected '{text}' but found {found}")
        return token

    def enter(self, token: _Token) -> None:
        """One more level of nesting (a `(` or a `not`), refused past `MAX_NESTING` before the
        recursive descent can exhaust Python's stack."""
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise ConditionError(
                self.text,
                token.column,
                f"nested more than {MAX_NESTING} levels deep (parentheses and 'not' inside "
                f"each other; the limit is {MAX_NESTING}): write it with less nesting",
            )

    def at_keyword(self, word: str) -> bool:
        token = self.peek()
        return token.kind == "name" and token.text == word

    # grammar
    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.error(self.peek(), "empty condition")
        node = self.parse_or()
        token = self.peek()
        if token.kind != "end":
            raise self.error(token, f"unexpected {token.text!r} (missing 'and'/'or'?)")
        return node

    # `a or b or c ...` is one loop and one Or node (linear in its length), never recursion.
    def parse_or(self) -> Node:
        items = [self.parse_and()]
        while self.at_keyword("or"):
            if len(items) == 1:
                self.count_term(self.peek())  # the Or node
            self.take()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def parse_and(self) -> Node:
        items = [self.parse_unary()]
        while self.at_keyword("and"):
            if len(items) == 1:
                self.count_term(self.peek())  # the And node
            self.take()
            items.append(self.parse_unary())
        return items[0] if len(items) == 1 else And(tuple(items))

    def parse_unary(self) -> Node:
        nots = 0
        while self.at_keyword("not"):  # a loop, not recursion: `not not ... x`
            token = self.take()
            self.enter(token)
            self.count_term(token)
            nots += 1
        node = self.parse_primary()
        self.nesting -= nots
        for _ in range(nots):
            node = Not(node)
        return node

    def parse_primary(self) -> Node:
        token = self.take()
        if token.text == "(":
            self.enter(token)
            node = self.parse_or()
            self.expect(")")
            self.nesting -= 1
            return node
        self.count_term(token)
        if token.kind != "name":
            raise self.error(token, f"expected a question id but found {token.text or 'the end'!r}")
        if token.text in ("true", "false"):
            return Const(token.text == "true")
        if token.text == "count":
            return self.parse_count()
        if token.text in _KEYWORDS:
            raise self.error(token, f"'{token.text}' is a keyword, not a question id")
        return self.parse_test(token)

    def parse_count(self) -> Node:
        self.expect("(")
        name = self.take()
        shape = self.shape_of(name)
        if shape.kind != "set":
            raise self.error(
                name, f"count() takes a many-choice question; '{name.text}' is {shape.kind}"
            )
        self.expect(")")
        op = self.take_compare_op()
        value = self.take()
        if value.kind != "int":
            raise self.error(value, "count() compares with a whole number")
        return Count(name.text, op, int(value.text))

    def take_compare_op(self) -> CompareOp:
        token = self.take()
        if token.text not in ("==", "!=", "<", "<=", ">", ">="):
            raise self.error(
                token, f"expected a comparison (== != < <= > >=) but found {token.text!r}"
            )
        return token.text  # type: ignore[return-value]

    def shape_of(self, name: _Token) -> QuestionShape:
        shape = self.questions.get(name.text)
        if shape is None:
            known = ", ".join(sorted(self.questions)) or "(none)"
            raise self.error(name, f"unknown question id '{name.text}' (known: {known})")
        return shape

    def parse_test(self, name: _Token) -> Node:
        nxt = self.peek()
        if name.text in self.definitions and not (nxt.kind == "op" and nxt.text in _CMP_TEXT):
            if nxt.kind == "name" and nxt.text in ("in", "has"):
                raise self.error(nxt, f"'{name.text}' is a definition; it cannot be compared")
            return self.definitions[name.text]
        shape = self.shape_of(name)
        if nxt.kind == "op" and nxt.text in _CMP_TEXT:
            return self.parse_compare(name, shape)
        if self.at_keyword("in") or (
            self.at_keyword("not") and self.token(self.pos + 1).text == "in"
        ):
            return self.parse_member(name, shape)
        if self.at_keyword("has"):
            return self.parse_has(name, shape)
        if shape.kind == "bool":
            return Truth(name.text)
        raise self.error(
            nxt,
            f"'{name.text}' is a {shape.kind} question: compare it ({_USAGE[shape.kind]})",
        )

    def parse_compare(self, name: _Token, shape: QuestionShape) -> Node:
        op = self.take_compare_op()
        token = self.take()
        if shape.kind == "int":
            if token.kind != "int":
                raise self.error(
                    token, f"'{name.text}' is a number; compare it with a whole number"
                )
            return Compare(name.text, op, int(token.text))
        if op not in ("==", "!="):
            raise self.error(
                token, f"'{name.text}' is a {shape.kind} question; only == and != apply"
            )
        if shape.kind == "bool":
            if token.text not in ("true", "false"):
                raise self.error(token, f"'{name.text}' is yes/no; compare it with true or false")
            return Compare(name.text, op, token.text == "true")
        if shape.kind == "set":
            raise self.error(token, f"'{name.text}' is many-choice; use 'has' or count()")
        self.check_value(name.text, shape, token)
        return Compare(name.text, op, token.text)

    def parse_member(self, name: _Token, shape: QuestionShape) -> Node:
        negate = False
        if self.at_keyword("not"):
            self.take()
            negate = True
        self.expect("in")
        if shape.kind != "choice":
            raise self.error(
                name, f"'in' applies to one-choice questions; '{name.text}' is {shape.kind}"
            )
        return Member(name.text, self.parse_set(name.text, shape), negate)

    def parse_has(self, name: _Token, shape: QuestionShape) -> Node:
        self.expect("has")
        if shape.kind != "set":
            raise self.error(
                name, f"'has' applies to many-choice questions; '{name.text}' is {shape.kind}"
            )
        mode: Literal["any", "all"] = "any"
        if self.at_keyword("any") or self.at_keyword("all"):
            mode = "any" if self.take().text == "any" else "all"
            return Has(name.text, self.parse_set(name.text, shape), mode)
        token = self.take()
        self.check_value(name.text, shape, token)
        return Has(name.text, frozenset([token.text]), mode)

    def parse_set(self, question: str, shape: QuestionShape) -> frozenset[str]:
        self.expect("{")
        values: list[str] = []
        while True:
            token = self.take()
            self.check_value(question, shape, token)
            values.append(token.text)
            sep = self.take()
            if sep.text == "}":
                return frozenset(values)
            if sep.text != ",":
                raise self.error(sep, "expected ',' or '}' in a set of values")

    def check_value(self, question: str, shape: QuestionShape, token: _Token) -> None:
        if token.text not in shape.values:
            allowed = ", ".join(shape.values)
            raise self.error(
                token,
                f"'{token.text or 'the end'}' is not a value of '{question}' (allowed: {allowed})",
            )


_CMP_TEXT = ("==", "!=", "<", "<=", ">", ">=")
_USAGE = {
    "choice": "e.g. 'x == value' or 'x in {a, b}'",
    "set": "e.g. 'x has value', 'x has any {a, b}' or 'count(x) >= 2'",
    "int": "e.g. 'x >= 100'",
    "bool": "e.g. 'x' or 'not x'",
}


def parse(
    text: str,
    questions: Mapping[str, QuestionShape],
    definitions: Mapping[str, Node] | None = None,
) -> Node:
    """Parse and type-check `text` against the question shapes; raises ConditionError."""
    return _Parser(text, questions, definitions or {}).parse()


# --------------------------------------------------------------------------- evaluation

_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


_NEGATED: dict[CompareOp, CompareOp] = {
    "==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">",
}  # fmt: skip


def push_not(node: Node) -> Node:
    """The same condition with `not` moved onto the tests (De Morgan holds in Kleene logic).

    `not (a < 3)` becomes `a >= 3`, `not (x in {..})` becomes `x not in {..}`, `not q` becomes
    `q == false`; only `not (x has ..)` keeps its `not`. Fewer nested closures to call.
    """
    if isinstance(node, And | Or):
        return type(node)(tuple(push_not(item) for item in node.items))
    if not isinstance(node, Not):
        return node
    inner = node.item
    if isinstance(inner, Not):
        return push_not(inner.item)
    if isinstance(inner, Const):
        return Const(not inner.value)
    if isinstance(inner, Truth):
        return Compare(inner.question, "==", False)
    if isinstance(inner, Compare):
        return Compare(inner.question, _NEGATED[inner.op], inner.value)
    if isinstance(inner, Count):
        return Count(inner.question, _NEGATED[inner.op], inner.value)
    if isinstance(inner, Member):
        return Member(inner.question, inner.values, not inner.negate)
    if isinstance(inner, And):
        return Or(tuple(push_not(Not(item)) for item in inner.items))
    if isinstance(inner, Or):
        return And(tuple(push_not(Not(item)) for item in inner.items))
    return node


def compile_condition(node: Node) -> Evaluator:
    """Turn an AST into a fast closure over an answers mapping (three-valued result).

    Negations are pushed onto the tests and nested `and`/`or` (from expanded definitions) are
    flattened, and each test form gets its own closure: rule evaluation is the hot loop.
    """
    return _compile(push_not(node))


def _compile(node: Node) -> Evaluator:
    if isinstance(node, Const):
        value = node.value
        return lambda answers: value
    if isinstance(node, Truth):
        q = node.question
        return lambda answers: answers.get(q)
    if isinstance(node, Compare):
        return _compile_compare(node.question, node.op, node.value)
    if isinstance(node, Member):
        q, values = node.question, node.values
        if node.negate:
            return lambda answers: None if (got := answers.get(q)) is None else got not in values
        return lambda answers: None if (got := answers.get(q)) is None else got in values
    if isinstance(node, Has):
        q, values = node.question, node.values
        if node.mode == "any":
            return lambda answers: (
                None if (got := answers.get(q)) is None else not values.isdisjoint(got)
            )
        return lambda answers: None if (got := answers.get(q)) is None else values <= got
    if isinstance(node, Count):
        q, n, test = node.question, node.value, _ORDER[node.op]
        return lambda answers: None if (got := answers.get(q)) is None else test(len(got), n)
    if isinstance(node, Not):
        inner = _compile(node.item)

        def negation(answers: Answers) -> bool | None:
            got = inner(answers)
            return None if got is None else not got

        return negation
    if isinstance(node, And):
        return _compile_junction(tuple(_compile(i) for i in _flatten(node, And)), False)
    return _compile_junction(tuple(_compile(i) for i in _flatten(node, Or)), True)


def _compile_compare(q: str, op: CompareOp, target: str | int | bool) -> Evaluator:
    if op == "==":
        return lambda answers: None if (got := answers.get(q)) is None else got == target
    if op == "!=":
        return lambda answers: None if (got := answers.get(q)) is None else got != target
    if op == "<":
        return lambda answers: None if (got := answers.get(q)) is None else got < target
    if op == "<=":
        return lambda answers: None if (got := answers.get(q)) is None else got <= target
    if op == ">":
        return lambda answers: None if (got := answers.get(q)) is None else got > target
    return lambda answers: None if (got := answers.get(q)) is None else got >= target


def _flatten(node: And | Or, kind: type[And] | type[Or]) -> list[Node]:
    """`a and (b and c)` -> [a, b, c]: same Kleene value, one loop instead of nested calls."""
    items: list[Node] = []
    for item in node.items:
        if isinstance(item, kind):
            items.extend(_flatten(item, kind))
        else:
            items.append(item)
    return items


def _compile_junction(parts: tuple[Evaluator, ...], decisive: bool) -> Evaluator:
    """`and` (decisive: False) or `or` (decisive: True) in Kleene logic: one part with the
    decisive value settles it; otherwise any unknown part makes the whole unknown."""
    settled = not decisive
    if len(parts) == 2:  # the common case, without a loop
        first, second = parts

        def pair(answers: Answers) -> bool | None:
            a = first(answers)
            if a is decisive:
                return decisive
            b = second(answers)
            if b is decisive:
                return decisive
            return None if a is None or b is None else settled

        return pair

    def many(answers: Answers) -> bool | None:
        result: bool | None = settled
        for part in parts:
            got = part(answers)
            if got is decisive:
                return decisive
            if got is None:
                result = None
        return result

    return many


def evaluate(node: Node, answers: Answers) -> bool | None:
    """Evaluate once (tools and tests); hot paths keep the compiled closure instead."""
    return compile_condition(node)(answers)


# --------------------------------------------------------------------------- size

MAX_TERMS = 10_000
"""The most nodes a condition may have once its definitions are expanded (`expanded_size`).

A definition is a shared node that the tools walk once per use, so definitions that use each
other can grow exponentially in a small file (`d2 = "d1 and d1"`, `d3 = "d2 and d2"`, ...: 20
levels are a million terms, seconds of work and hundreds of MB). The largest shipped condition,
the rule `sql_rows_beside_passages` (rules 1.2.0), expands to 63 terms: the limit leaves ample
room for real rule packs."""

MAX_NESTING = 50
"""The deepest a condition may nest parentheses and `not`s inside each other.

Checked twice: by the parser on the text of one condition (`((((x))))` is 4 levels, `not not x`
2), before its recursive descent can exhaust Python's stack, and by `size_problem` on the
condition with its definitions written in place (`expanded_nesting`), so that a chain of
definitions each built on the one before cannot nest deeper than one text may.

Code over condition trees recurses per level of the tree, and a tree is at most 2 levels deeper
per nesting level (`a and (b or (c and ...))`: And, Or, And ...). The deepest recursion is the
rule-base cache's encoder (about 5 frames per tree level): at 95 levels, 190 tree levels, it
exhausted Python's 1 000 frames. 50 levels keep every function (`walk`, `to_text`, `push_not`,
`compile_condition`, evaluation, the cache, lint's analyses) to about half of that. The deepest
shipped condition, the rule `rerank_offline` (rules 1.2.0), nests 6 levels with its definitions
in place (the question gates nest 0), so the limit leaves ample room for real rule packs."""

Sizes: TypeAlias = dict[int, tuple[Node, int, int]]
"""Memo of `_measure`: node id -> (the node, kept alive so its id stays its own; expanded size;
expanded nesting)."""


def _measure(node: Node, memo: Sizes) -> tuple[int, int]:
    """(`expanded_size`, `expanded_nesting`) of `node`, without recursion (an explicit stack), so
    any tree the parser built can be measured, however deep its definitions nest."""
    found = memo.get(id(node))
    if found is not None:
        return found[1], found[2]
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        current, ready = stack.pop()
        if id(current) in memo:
            continue
        if isinstance(current, And | Or):
            children: tuple[Node, ...] = current.items
        elif isinstance(current, Not):
            children = (current.item,)
        else:
            memo[id(current)] = (current, 1, 0)
            continue
        if not ready:
            stack.append((current, True))
            stack.extend((child, False) for child in children if id(child) not in memo)
            continue
        size = 1 + sum(memo[id(child)][1] for child in children)
        if isinstance(current, Not):  # `not x`, `not not x`, `not (a and b)`
            inner = current.item
            nesting = 1 + memo[id(inner)][2] + (1 if isinstance(inner, And | Or) else 0)
        else:  # `a or b and c` needs no parentheses; `a and (b or c)`, `a or (b or c)` do
            bracketed = And | Or if isinstance(current, And) else Or
            nesting = max(
                memo[id(child)][2] + (1 if isinstance(child, bracketed) else 0)
                for child in children
            )
        memo[id(current)] = (current, size, nesting)
    found = memo[id(node)]
    return found[1], found[2]


def expanded_size(node: Node, sizes: Sizes | None = None) -> int:
    """How many nodes `walk(node)` visits (a shared sub-condition counts at every use).

    Memoised per node object in `sizes` (which keeps the nodes alive, so their ids stay theirs),
    so the count takes time linear in the distinct nodes, however large the expansion.
    """
    return _measure(node, {} if sizes is None else sizes)[0]


def expanded_nesting(node: Node, sizes: Sizes | None = None) -> int:
    """How deep `node` nests parentheses and `not`s once written out with its definitions in
    place, with no parentheses that are not needed (see `MAX_NESTING`): `a or b and c` is 0,
    `a and (b or c)` 1, `not (a and b)` 2. Never more than the parser counted in the text of a
    condition without definitions. Memoised in `sizes` like `expanded_size`."""
    return _measure(node, {} if sizes is None else sizes)[1]


def size_problem(node: Node, sizes: Sizes | None = None) -> str | None:
    """Why `node` is too large (see `MAX_TERMS`) or too deeply nested (`MAX_NESTING`) to use,
    or None. Call it on what `parse` returns before anything else walks the tree."""
    size, nesting = _measure(node, {} if sizes is None else sizes)
    if size > MAX_TERMS:
        return (
            f"expands to {size} condition terms, more than the limit of {MAX_TERMS}; each use "
            "of a definition counts all its terms again, so definitions built from other "
            "definitions used several times grow fast: use fewer nested definitions, or split "
            "the condition over several definitions or rules"
        )
    if nesting > MAX_NESTING:
        return (
            f"nested {nesting} levels deep with its definitions written in place (parentheses "
            f"and 'not' inside each other), more than the limit of {MAX_NESTING}: a definition "
            "used inside another adds its nesting to it, so use fewer layers of definitions "
            "built on definitions"
        )
    return None


# --------------------------------------------------------------------------- analysis


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children (depth first, in order)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, And | Or):
            stack.extend(reversed(current.items))
        elif isinstance(current, Not):
            stack.append(current.item)


def questions_in(node: Node) -> frozenset[str]:
    """The question ids a condition reads."""
    return frozenset(
        n.question for n in walk(node) if isinstance(n, Truth | Compare | Member | Has | Count)
    )


def thresholds(node: Node) -> dict[str, set[int]]:
    """Per integer question, the constants it is compared with (where the answer space splits)."""
    found: dict[str, set[int]] = {}
    for n in walk(node):
        if isinstance(n, Compare) and isinstance(n.value, int) and not isinstance(n.value, bool):
            found.setdefault(n.question, set()).add(n.value)
    return found


def to_text(node: Node) -> str:
    """Canonical text of a condition (definitions appear expanded)."""
    if isinstance(node, Const):
        return "true" if node.value else "false"
    if isinstance(node, Truth):
        return node.question
    if isinstance(node, Compare):
        value = node.value
        shown = ("true" if value else "false") if isinstance(value, bool) else str(value)
        return f"{node.question} {node.op} {shown}"
    if isinstance(node, Member):
        keyword = "not in" if node.negate else "in"
        return f"{node.question} {keyword} {{{', '.join(sorted(node.values))}}}"
    if isinstance(node, Has):
        if len(node.values) == 1 and node.mode == "any":
            return f"{node.question} has {next(iter(node.values))}"
        return f"{node.question} has {node.mode} {{{', '.join(sorted(node.values))}}}"
    if isinstance(node, Count):
        return f"count({node.question}) {node.op} {node.value}"
    if isinstance(node, Not):
        inner = to_text(node.item)
        return f"not {inner}" if isinstance(node.item, Const | Truth) else f"not ({inner})"
    joiner = " and " if isinstance(node, And) else " or "
    return joiner.join(
        f"({to_text(item)})" if isinstance(item, And | Or) else to_text(item) for item in node.items
    )


def conjuncts(node: Node) -> list[Node]:
    """The top-level parts that must all hold (nested `and`s flattened); [node] otherwise."""
    return _flatten(node, And) if isinstance(node, And) else [node]


def split_conjuncts(node: Node) -> tuple[dict[str, list[Node]], list[Node], bool]:
    """Split a condition's top-level conjuncts by what they read.

    Returns (conjuncts reading exactly one question, by question; conjuncts reading several;
    whether a conjunct is the constant false, so the condition can never hold). Constant-true
    conjuncts are dropped. Negations are pushed onto the tests first (`push_not`).
    """
    single: dict[str, list[Node]] = {}
    several: list[Node] = []
    dead = False
    for item in conjuncts(push_not(node)):
        if isinstance(item, Truth | Compare | Member | Has | Count):  # most conjuncts are
            single.setdefault(item.question, []).append(item)
            continue
        read = questions_in(item)
        if len(read) == 1:
            single.setdefault(next(iter(read)), []).append(item)
        elif read:
            several.append(item)
        elif evaluate(item, {}) is not True:
            dead = True
    return single, several, dead


# --------------------------------------------------------------------------- batch evaluation

Memo: TypeAlias = dict[int, bool | None]
SharedEvaluator: TypeAlias = Callable[[Answers, Memo], bool | None]


def compile_shared(nodes: list[Node]) -> list[SharedEvaluator]:
    """Compile many conditions at once, for evaluating them all over the same answers.

    A compound sub-condition that occurs more than once (typically an expanded definition such
    as `needs_retrieval`) is evaluated once per evaluation round: its value is kept in the memo
    dict passed as second argument (one fresh dict per round). Same three-valued results as
    `compile_condition`; conjuncts and disjuncts run simple tests first, which cannot change a
    Kleene value, only how soon it is known.
    """
    nodes = [push_not(node) for node in nodes]
    counts: dict[Node, int] = {}
    for node in nodes:
        for part in walk(node):
            if isinstance(part, And | Or):
                counts[part] = counts.get(part, 0) + 1
    slots = {part: n for n, part in enumerate(p for p, c in counts.items() if c > 1)}
    done: dict[Node, SharedEvaluator] = {}
    compiled = []
    for node in nodes:
        if _is_compound(node):
            compiled.append(_compile_memo(node, slots, done))
        else:
            compiled.append(_two_args(_compile(node)))
    return compiled


def _is_compound(node: Node) -> bool:
    return isinstance(node, And | Or) or (isinstance(node, Not) and _is_compound(node.item))


def _two_args(plain: Evaluator) -> SharedEvaluator:
    return lambda answers, memo: plain(answers)


def _compile_memo(
    node: Node, slots: dict[Node, int], done: dict[Node, SharedEvaluator]
) -> SharedEvaluator:
    """`node` is compound (see `_is_compound`); simple parts stay one-argument closures."""
    found = done.get(node)
    if found is not None:
        return found
    evaluator: SharedEvaluator
    if isinstance(node, Not):
        inner = _compile_memo(node.item, slots, done)

        def negation(answers: Answers, memo: Memo) -> bool | None:
            got = inner(answers, memo)
            return None if got is None else not got

        evaluator = negation
    else:
        is_and = isinstance(node, And)
        items = _flatten(node, And if is_and else Or)  # type: ignore[arg-type]
        simple = tuple(_compile(i) for i in items if not _is_compound(i))
        nested = tuple(_compile_memo(i, slots, done) for i in items if _is_compound(i))
        evaluator = _memo_junction(simple, nested, decisive=not is_and)
        slot = slots.get(node)
        if slot is not None:
            evaluator = _memoised(slot, evaluator)
    done[node] = evaluator
    return evaluator


def _memoised(slot: int, evaluator: SharedEvaluator) -> SharedEvaluator:
    def remembered(answers: Answers, memo: Memo) -> bool | None:
        if slot in memo:
            return memo[slot]
        value = memo[slot] = evaluator(answers, memo)
        return value

    return remembered


def _memo_junction(
    simple: tuple[Evaluator, ...], nested: tuple[SharedEvaluator, ...], decisive: bool
) -> SharedEvaluator:
    """`and` (decisive: False) or `or` (decisive: True) over plain tests, then shared parts."""
    settled = not decisive

    def junction(answers: Answers, memo: Memo) -> bool | None:
        result: bool | None = settled
        for test in simple:
            got = test(answers)
            if got is decisive:
                return decisive
            if got is None:
                result = None
        for part in nested:
            got = part(answers, memo)
            if got is decisive:
                return decisive
            if got is None:
                result = None
        return result

    return junction
