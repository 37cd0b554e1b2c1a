"""Rule files: `rules/*.toml` tables of `[[rule]]` and `[define]`, turned into Rule objects.

A rule is `when` (a condition) -> `then` (one conclusion), with the reason in words (`because`)
and the knowledge-base sections that back it (`cite`). Rules read answers only (no chaining), so
every conclusion is an exact function of the answers: the property lint and what-if rely on.
Shared sub-conditions are written once under `[define]` and expanded at parse time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import ConditionError, RuleFileError
from advisor.knowledge import conditions as cond
from advisor.knowledge.tomlfile import id_lines, place, read_toml, table_problem
from advisor.vocabulary import DEFAULT, SEVERITIES, Severity, Vocabulary

_RULE_KEYS = {"id", "when", "then", "because", "cite", "severity"}
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
"""`{question_id}` in a reason: filled with the answer in words when a result is built."""
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Conclusion:
    """What a rule adds: `technique:rag`, `retriever:vector`, `reranker`, `finding:<id>` ..."""

    kind: str
    value: str

    @property
    def key(self) -> str:
        return self.kind if not self.value else f"{self.kind}:{self.value}"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    when: cond.Node
    when_text: str
    then: Conclusion
    because: str
    cite: tuple[str, ...]
    severity: Severity | None
    source: str
    order: int


def parse_conclusion(text: Any, vocabulary: Vocabulary = DEFAULT) -> Conclusion:
    """`kind:value` -> Conclusion; raises ValueError with the allowed forms."""
    return Conclusion(*vocabulary.parse(text))


@dataclass(frozen=True)
class RuleFile:
    """A rule file read and parsed once; `text` is kept to point errors at lines."""

    path: Path
    data: dict[str, Any]
    text: str


def read_rule_files(paths: list[Path]) -> list[RuleFile]:
    return [RuleFile(path, *read_toml(path)) for path in paths]


def read_definitions(files: list[RuleFile]) -> dict[str, tuple[str, str]]:
    """Raw `[define]` entries of every rule file: name -> (condition text, file)."""
    raw: dict[str, tuple[str, str]] = {}
    for file in files:
        path, data = file.path, file.data
        table = data.get("define", {})
        if not isinstance(table, dict):
            raise RuleFileError(str(path), "[define]", 'must be a table of name = "condition"')
        for name, text in table.items():
            if not isinstance(text, str) or not _ID.match(name):
                raise RuleFileError(
                    str(path), f"[define] {name}", 'expected lower_snake_case name = "condition"'
                )
            if name in raw:
                raise RuleFileError(
                    str(path), f"[define] {name}", f"already defined in {raw[name][1]}"
                )
            raw[name] = (text, str(path))
    return raw


def resolve_definitions(
    raw: Mapping[str, tuple[str, str]],
    shapes: Mapping[str, cond.QuestionShape],
    given: Mapping[str, cond.Node] | None = None,
) -> dict[str, cond.Node]:
    """Parse definitions (they may use each other, in any order, but not in a cycle), next to
    `given` ones already parsed (a pack's definitions use the base's); returns both.

    Depth-first with an explicit stack, so a long chain of definitions built on definitions
    cannot exhaust Python's recursion limit; how deep they nest once written in place is bounded
    by `cond.MAX_NESTING` and how large by `cond.MAX_TERMS`.
    """
    resolved: dict[str, cond.Node] = dict(given or {})
    sizes: cond.Sizes = {}
    known = set(raw) | set(resolved)

    def cycle_error(path: list[str], name: str) -> RuleFileError:
        loop = " -> ".join([*path[path.index(name) :], name])
        text_path = raw[name][1]
        return RuleFileError(
            text_path, f"[define] {name}", f"definitions refer to each other in a cycle: {loop}"
        )

    for root in raw:
        if root in resolved:
            continue
        stack: list[tuple[str, bool]] = [(root, False)]
        path: list[str] = []
        on_path: set[str] = set()
        while stack:
            name, ready = stack.pop()
            text, file = raw[name]
            if ready:  # every definition it uses is resolved
                deps = {d: resolved[d] for d in _names_in(text) & known}
                try:
                    node = cond.parse(text, shapes, deps)
                except ConditionError as exc:
                    raise RuleFileError(file, f"[define] {name}", str(exc)) from None
                too_large = cond.size_problem(node, sizes)  # before anything walks the tree
                if too_large:
                    raise RuleFileError(file, f"[define] {name}", too_large)
                resolved[name] = node
                path.pop()
                on_path.discard(name)
                continue
            if name in resolved:
                continue
            if name in shapes:
                raise RuleFileError(
                    file, f"[define] {name}", "a definition cannot reuse a question id"
                )
            if name in on_path:
                raise cycle_error(path, name)
            path.append(name)
            on_path.add(name)
            stack.append((name, True))
            for dep in sorted(_names_in(text) & known, reverse=True):
                if dep in on_path:
                    raise cycle_error(path, dep)
                if dep not in resolved:
                    stack.append((dep, False))
    return resolved


def _names_in(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


def load_rules(
    files: list[RuleFile],
    shapes: Mapping[str, cond.QuestionShape],
    definitions: Mapping[str, cond.Node],
    vocabulary: Vocabulary = DEFAULT,
) -> list[Rule]:
    """All `[[rule]]` entries, in file-name then file order (the order of the rationale)."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    sizes: cond.Sizes = {}
    for file in files:
        path, data, text = file.path, file.data, file.text
        unknown = set(data) - {"rule", "define"}
        if unknown:
            raise RuleFileError(
                str(path),
                "",
                f"unknown top-level key(s) {', '.join(sorted(unknown))} (allowed: rule, define)",
            )
        entries = data.get("rule", [])
        if not isinstance(entries, list):
            raise RuleFileError(str(path), "", "rules are written as [[rule]] tables")
        lines = id_lines(text)
        for index, entry in enumerate(entries):
            where = place(
                "rule", entry.get("id") if isinstance(entry, dict) else None, index, lines
            )
            rule = _build_rule(
                entry, str(path), where, shapes, definitions, len(rules), vocabulary, sizes
            )
            if rule.id in seen:
                raise RuleFileError(
                    str(path), where, f"duplicate rule id '{rule.id}' (first in {seen[rule.id]})"
                )
            seen[rule.id] = str(path)
            rules.append(rule)
    return rules


def _build_rule(
    entry: Any,
    path: str,
    where: str,
    shapes: Mapping[str, cond.QuestionShape],
    definitions: Mapping[str, cond.Node],
    order: int,
    vocabulary: Vocabulary,
    sizes: cond.Sizes,
) -> Rule:
    def fail(message: str) -> RuleFileError:
        return RuleFileError(path, where, message)

    problem = table_problem(entry, "rule", _RULE_KEYS, ("id", "when", "then", "because"))
    if problem:
        raise fail(problem)
    if not _ID.match(entry["id"]):
        raise fail(f"id '{entry['id']}' must be lower_snake_case")
    try:
        when = cond.parse(entry["when"], shapes, definitions)
    except ConditionError as exc:
        raise fail(f"when: {exc}") from None
    too_large = cond.size_problem(when, sizes)
    if too_large:
        raise fail(f"when: {too_large}")
    try:
        then = parse_conclusion(entry["then"], vocabulary)
    except ValueError as exc:
        raise fail(str(exc)) from None
    cite = entry.get("cite", [])
    if not isinstance(cite, list) or not all(isinstance(c, str) for c in cite):
        raise fail("'cite' must be a list of 'kb/<file>.md#<anchor>' strings")
    if not cite:
        raise fail("every rule must cite at least one knowledge-base section in 'cite'")
    severity = entry.get("severity")
    if then.kind == "finding":
        if severity not in SEVERITIES:
            raise fail(f"a finding needs 'severity', one of: {', '.join(SEVERITIES)}")
    elif severity is not None:
        raise fail("'severity' applies only to 'then = \"finding:...\"' rules")
    because = " ".join(entry["because"].split())
    for name in PLACEHOLDER.findall(because):
        if name not in shapes:
            raise fail(f"because: placeholder '{{{name}}}' is not a question id")
    return Rule(
        id=entry["id"],
        when=when,
        when_text=entry["when"],
        then=then,
        because=because,
        cite=tuple(cite),
        severity=severity,
        source=f"{path}: {where}",
        order=order,
    )
