"""Loads a whole rule base (questions, definitions, rules, knowledge base) and checks it.

Everything a front end needs is validated here, at load time: malformed files, unknown question
ids in conditions and citations to kb anchors that do not exist all fail fast with the file, the
place and a hint. The result is immutable and shared by every call of the engine.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor import conditions as cond
from advisor._version import __version__
from advisor.errors import KnowledgeBaseError, RuleFileError
from advisor.kb import Section, load_kb, split_ref
from advisor.questions import Question, load_questions, shapes_of
from advisor.rules import Rule, load_rules, read_definitions, resolve_definitions
from advisor.tomlfile import read_toml

if TYPE_CHECKING:
    import networkx as nx

QUESTIONS_FILE = "questions.toml"
RULESET_FILE = "ruleset.toml"


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
    question_by_id: dict[str, Question] = field(init=False)
    compiled: tuple[tuple[Rule, cond.Evaluator], ...] = field(init=False)
    compiled_gates: tuple[tuple[Question, cond.Evaluator], ...] = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "question_by_id", {q.id: q for q in self.questions})
        set_(self, "compiled", tuple((r, cond.compile_condition(r.when)) for r in self.rules))
        set_(
            self,
            "compiled_gates",
            tuple((q, cond.compile_condition(q.asked_when)) for q in self.questions),
        )

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The decision graph (built on first use: networkx is not needed to advise)."""
        from advisor.graph import build_graph

        return build_graph(self.questions, self.rules)


def content_digest(rules_dir: Path, kb_dir: Path) -> str:
    """A hash of every file that shapes the rule base, and of the code version reading them."""
    digest = hashlib.sha256(__version__.encode())
    for folder, pattern in ((rules_dir, "*.toml"), (kb_dir, "*.md")):
        for path in sorted(folder.glob(pattern)):
            digest.update(f"\0{folder.name}/{path.name}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def load_rulebase(
    rules_dir: Path | str | None = None, kb_dir: Path | str | None = None
) -> RuleBase:
    """Read and check `rules_dir` and `kb_dir` (default: the shipped ones)."""
    from advisor import resources

    rules_path = Path(rules_dir) if rules_dir is not None else resources.rules_dir()
    kb_path = Path(kb_dir) if kb_dir is not None else resources.kb_dir()
    if not rules_path.is_dir():
        raise RuleFileError(str(rules_path), "", "rules folder not found")
    questions_path = rules_path / QUESTIONS_FILE
    if not questions_path.is_file():
        raise RuleFileError(
            str(questions_path), "", "missing: the questions are defined in this file"
        )
    meta = _read_ruleset(rules_path / RULESET_FILE)
    rule_paths = sorted(
        p for p in rules_path.glob("*.toml") if p.name not in (QUESTIONS_FILE, RULESET_FILE)
    )
    raw_definitions = read_definitions(rule_paths)
    definitions: dict[str, cond.Node] = {}

    def definitions_for(shapes: Any) -> dict[str, cond.Node]:
        definitions.update(resolve_definitions(raw_definitions, shapes))
        return definitions

    questions = load_questions(questions_path, definitions_for)
    rules = load_rules(rule_paths, shapes_of(questions), definitions)
    if not rules:
        raise RuleFileError(str(rules_path), "", "no [[rule]] found in any rules/*.toml file")
    kb = load_kb(kb_path)
    _check_citations(rules, questions, kb)
    ordered = _walk_order(questions, rules)
    return RuleBase(
        name=meta["name"],
        version=meta["version"],
        rules_dir=rules_path,
        kb_dir=kb_path,
        questions=ordered,
        rules=tuple(rules),
        definitions=definitions,
        kb=kb,
        digest=content_digest(rules_path, kb_path),
    )


def _read_ruleset(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {"name": "unnamed rule base", "version": "0"}
    data, _ = read_toml(path)
    meta = {"name": data.get("name", "unnamed rule base"), "version": data.get("version", "0")}
    for key, value in meta.items():
        if not isinstance(value, str):
            raise RuleFileError(str(path), key, "must be a string")
    return meta


def _check_citations(
    rules: list[Rule], questions: tuple[Question, ...], kb: dict[str, Section]
) -> None:
    items = [(rule.source, rule.cite) for rule in rules]
    items += [(q.source, q.see) for q in questions]
    for source, refs in items:
        path, _, where = source.partition(": ")
        for ref in refs:
            if ref in kb:
                continue
            if split_ref(ref) is None:
                raise RuleFileError(
                    path, where, f"citation '{ref}' must look like 'kb/<file>.md#<anchor>'"
                )
            close = difflib.get_close_matches(ref, list(kb), n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise KnowledgeBaseError(
                path, where, f"citation '{ref}' names no knowledge-base section{hint}"
            )


def _walk_order(questions: tuple[Question, ...], rules: list[Rule]) -> tuple[Question, ...]:
    from advisor.graph import build_graph, question_order

    by_id = {q.id: q for q in questions}
    return tuple(by_id[qid] for qid in question_order(build_graph(questions, rules)))


_DEFAULT: RuleBase | None = None


def default_rulebase() -> RuleBase:
    """The shipped rule base, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_rulebase()
    return _DEFAULT
