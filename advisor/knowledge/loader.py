"""Loading a rule base: read the files (or the disk cache), check them, build the `RuleBase`.

Everything a front end needs is validated here, at load time: malformed files, unknown question
ids in conditions and citations to kb anchors that do not exist all fail fast with the file, the
place and a hint. A rule base read before from the same bytes comes from `advisor.knowledge.cache`.
"""

from __future__ import annotations

import contextlib
import difflib
import gc
import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from advisor._version import __version__
from advisor.errors import KnowledgeBaseError, RuleFileError
from advisor.knowledge import conditions as cond
from advisor.knowledge.files import Unreadable, read_bytes
from advisor.knowledge.kb import Section, load_kb, split_ref
from advisor.knowledge.ledger import LEDGER_FILE, LedgerRules, load_ledger
from advisor.knowledge.pack_info import VERSION_TEXT
from advisor.knowledge.questions import Question, load_questions, shapes_of
from advisor.knowledge.rulebase import QUESTIONS_FILE, RULESET_FILE, VOCABULARY_FILE, RuleBase
from advisor.knowledge.rules import (
    Rule,
    load_rules,
    read_definitions,
    read_rule_files,
    resolve_definitions,
)
from advisor.knowledge.tomlfile import read_toml
from advisor.vocabulary import DEFAULT, Vocabulary, extend

MAX_RULES = 20_000
"""The most rules one rule base may hold (the shipped base has about 60; the benchmarks load
10,000, which `advisor lint` proves in about 5 s)."""


def content_digest(rules_dir: Path, kb_dir: Path) -> str:
    """A hash of every file that shapes the rule base, and of the code version reading them."""
    digest = hashlib.sha256(__version__.encode())
    for folder, pattern, error in (
        (rules_dir, "*.toml", RuleFileError),
        (kb_dir, "*.md", KnowledgeBaseError),
    ):
        for path in sorted(folder.glob(pattern)):
            digest.update(f"\0{folder.name}/{path.name}\0".encode())
            try:
                digest.update(read_bytes(path, inside=folder))
            except Unreadable as exc:
                raise error(str(path), "", f"{exc}; remove it or replace it") from None
    return digest.hexdigest()


def load_rulebase(
    rules_dir: Path | str | None = None, kb_dir: Path | str | None = None
) -> RuleBase:
    """Read and check `rules_dir` and `kb_dir` (default: the shipped ones).

    A rule base loaded before from the same files is read from the disk cache
    (`advisor.knowledge.cache`).
    """
    from advisor.knowledge import resources

    for name, given in (("rules_dir", rules_dir), ("kb_dir", kb_dir)):
        if given is not None and not isinstance(given, str | os.PathLike):
            raise RuleFileError(
                repr(given), "", f"{name} must be a folder path (str or pathlib.Path)"
            )
    rules_path = Path(rules_dir) if rules_dir is not None else resources.rules_dir()
    kb_path = Path(kb_dir) if kb_dir is not None else resources.kb_dir()
    if not rules_path.is_dir():
        raise RuleFileError(str(rules_path), "", "rules folder not found")
    questions_path = rules_path / QUESTIONS_FILE
    if not questions_path.is_file():
        raise RuleFileError(
            str(questions_path), "", "missing: the questions are defined in this file"
        )
    digest = content_digest(rules_path, kb_path)
    from advisor.knowledge import cache

    with _collector_paused():
        cached = cache.load(digest, rules_path, kb_path)
        if cached is not None:
            return cached
        rulebase = _parse_rulebase(rules_path, kb_path, questions_path, digest)
        if content_digest(rules_path, kb_path) == digest:  # unchanged while parsing: keep it
            cache.store(rulebase)
    return rulebase


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading builds many long-lived objects and no reference cycles worth collecting; the
    cyclic garbage collector would scan them again and again (loading 10,000 rules spent more
    than half its time there), so it is paused while loading and resumed after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_rulebase(rules_path: Path, kb_path: Path, questions_path: Path, digest: str) -> RuleBase:
    """Parse and check every file (what a cache hit skips)."""
    meta = _read_ruleset(rules_path / RULESET_FILE)
    rule_paths = sorted(
        p
        for p in rules_path.glob("*.toml")
        if p.name not in (QUESTIONS_FILE, RULESET_FILE, VOCABULARY_FILE, LEDGER_FILE)
    )
    vocabulary = _read_vocabulary(rules_path / VOCABULARY_FILE)
    rule_files = read_rule_files(rule_paths)
    total = sum(
        len(found)
        for f in rule_files
        if isinstance(f.data, dict) and isinstance(found := f.data.get("rule", ()), list | dict)
    )  # a `rule` of another type is reported with its file when the rules are read
    if total > MAX_RULES:
        raise RuleFileError(
            str(rules_path),
            "",
            f"{total:,} rules, more than the limit of {MAX_RULES:,} for one rule base "
            "(lint and what-if prove properties over every combination of answers; split the "
            "rules into smaller packs)",
        )
    raw_definitions = read_definitions(rule_files)
    definitions: dict[str, cond.Node] = {}

    def definitions_for(shapes: Any) -> dict[str, cond.Node]:
        definitions.update(resolve_definitions(raw_definitions, shapes))
        return definitions

    questions = load_questions(questions_path, definitions_for)
    rules = load_rules(rule_files, shapes_of(questions), definitions, vocabulary)
    if not rules:
        raise RuleFileError(str(rules_path), "", "no [[rule]] found in any rules/*.toml file")
    ledger = load_ledger(rules_path / LEDGER_FILE, shapes_of(questions), definitions, vocabulary)
    kb = load_kb(kb_path)
    _check_citations(rules, questions, kb, ledger)
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
        digest=digest,
        vocabulary=vocabulary,
        ledger=ledger,
    )


def _read_vocabulary(path: Path) -> Vocabulary:
    """The shipped vocabulary, plus the `[[kind]]` tables of the folder's vocabulary.toml."""
    if not path.is_file():
        return DEFAULT
    data, _ = read_toml(path)
    unknown = set(data) - {"kind"}
    if unknown:
        raise RuleFileError(
            str(path), "", f"unknown key(s) {', '.join(sorted(unknown))} (allowed: kind)"
        )
    try:
        return extend(DEFAULT, data.get("kind", []))
    except ValueError as exc:
        raise RuleFileError(str(path), "[[kind]]", str(exc)) from None


def _read_ruleset(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {"name": "unnamed rule base", "version": "0"}
    data, _ = read_toml(path)
    unknown = sorted(set(data) - {"name", "version"})
    if unknown:
        raise RuleFileError(
            str(path), "", f"unknown key(s) {', '.join(unknown)} (allowed: name, version)"
        )
    meta = {"name": data.get("name", "unnamed rule base"), "version": data.get("version", "0")}
    for key, value in meta.items():
        if not isinstance(value, str):
            raise RuleFileError(str(path), key, "must be a string")
    if not re.fullmatch(VERSION_TEXT, meta["version"]):
        from advisor.knowledge.answers import cut

        raise RuleFileError(
            str(path),
            "version",
            f"'{cut(meta['version'])}' is not a version: write numbers joined by dots, like "
            '"2.3.0", at most 16 numbers of at most 18 digits (packs compare it with their '
            "'requires')",
        )
    return meta


def _check_citations(
    rules: list[Rule],
    questions: tuple[Question, ...],
    kb: dict[str, Section],
    ledger: LedgerRules | None = None,
) -> None:
    items = [(rule.source, rule.cite) for rule in rules]
    items += [(q.source, q.see) for q in questions]
    if ledger is not None:
        items += ledger.citations
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
    import networkx as nx

    from advisor.knowledge.graph import build_graph, question_order

    by_id = {q.id: q for q in questions}
    graph = build_graph(questions, rules)
    gates = graph.subgraph(n for n in graph if n[0] in "qg")
    try:
        cycle = nx.find_cycle(gates)
    except nx.NetworkXNoCycle:
        return tuple(by_id[qid] for qid in question_order(graph))
    names = [edge[0][2:] for edge in cycle if edge[0].startswith("q:")]
    first = by_id[names[0]]
    path, _, where = first.source.partition(": ")
    loop = " -> ".join([*names, names[0]])
    raise RuleFileError(
        path,
        where,
        f"the asked_when conditions gate each other in a cycle ({loop}), so no question of it "
        "can be asked first; make one of them depend on questions outside the cycle",
    )


_DEFAULT: RuleBase | None = None


def default_rulebase() -> RuleBase:
    """The shipped rule base, loaded once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_rulebase()
    return _DEFAULT
