"""The decision record's fixed wording as data: `record/record.toml` of a rule folder, checked.

The considered options, what leaving a technique out saves, what a technique or sub-choice
costs, how sub-choices read in a plan line and conclusions in the decision path, and the
evaluation checklist are written once, keyed by the conclusion vocabulary (see the file for
its layout). A rule folder without `record/record.toml` uses the shipped one.

Everything the file names must exist in the rule base the record is written for: questions,
`kind:value` conclusions and kb sections. A renamed anchor or question fails loudly (a
`RuleFileError` naming the file and the key) instead of silently dropping a checklist item or a
citation. When the shipped file serves another rule base (one without its own record.toml), the
entries that rule base cannot back are left out instead: a cost, saving or check whose
conclusion or question it lacks, and a citation to a kb section it does not have.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import RuleFileError

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase
    from advisor.vocabulary import Kind

RECORD_FILE = Path("record") / "record.toml"
ANSWERED = "answered"
"""`answered:<question id>` in a check's `when`: the user answered that question (not its
default) and the walk used the answer."""
PLACEHOLDER = re.compile(r" ?\{([a-z_][a-z0-9_]*)\}")

_TOP_KEYS = {"options", "savings", "cost", "plan", "conclusion", "confirmation", "deferred"}
_COST_KEYS = {"for", "text", "cite"}
_PLAN_KEYS = {"lead", "none"}
_CONFIRMATION_KEYS = {"cite", "check"}
_CHECK_KEYS = {"title", "text", "when", "cite", "answer_text"}


@dataclass(frozen=True, slots=True)
class Cost:
    """What adopting a technique (`technique:rag`) or a sub-choice (`reranker`) costs."""

    kind: str
    value: str
    text: str
    cite: str | None


@dataclass(frozen=True, slots=True)
class PlanWords:
    """How one sub-choice kind reads in a plan line: `lead: values` (or `lead: none`)."""

    lead: str
    none: str


@dataclass(frozen=True, slots=True)
class Check:
    """One item of the evaluation checklist."""

    title: str
    text: str
    when: tuple[tuple[str, str], ...]
    """(kind, value) conclusions and ("answered", question id); empty: always."""
    cite: str | None
    answer_text: Mapping[str, str]


@dataclass(frozen=True)
class RecordData:
    """The checked content of a record.toml, for one rule base."""

    source: str
    options: tuple[tuple[str, ...], ...]
    savings: tuple[tuple[str, str], ...]
    """(technique, what leaving it out saves), in file order."""
    costs: tuple[Cost, ...]
    plan: Mapping[str, PlanWords]
    """Per sub-choice kind name (only the kinds written in the file)."""
    conclusion: Mapping[str, str]
    """Per kind name, how a conclusion reads: `{}` is the value in words."""
    confirmation_cite: str | None
    checks: tuple[Check, ...]
    deferred: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Per technique, the findings that say it is called for but out of reach for now."""
    _costs_by_key: dict[tuple[str, str], Cost] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_costs_by_key", {(c.kind, c.value): c for c in self.costs})

    def cost(self, kind: str, value: str) -> Cost | None:
        return self._costs_by_key.get((kind, value))

    def plan_words(self, kind: Kind) -> PlanWords:
        return self.plan.get(kind.name) or default_plan_words(kind)


def default_plan_words(kind: Kind) -> PlanWords:
    """A list kind leads with its field in words (`retrievers`), a flag with its label."""
    lead = kind.label if kind.merge == "flag" else (kind.field or kind.name)
    return PlanWords(lead.replace("_", " "), "none")


def record_data_path(rulebase: RuleBase) -> tuple[Path, bool]:
    """The record.toml for `rulebase`, and whether it is the rule folder's own."""
    from advisor.knowledge import resources

    own = rulebase.rules_dir / RECORD_FILE
    if own.is_file():
        return own, True
    return resources.rules_dir() / RECORD_FILE, False


_LOADED: dict[tuple[str, str, int, int], RecordData] = {}


def record_data(rulebase: RuleBase) -> RecordData:
    """The checked record data for `rulebase` (read once per file version and rule base)."""
    path, own = record_data_path(rulebase)
    try:
        stat = path.stat()
    except OSError as exc:
        reason = f"cannot read the file ({exc.strerror or exc})"
        raise RuleFileError(str(path), "", reason) from None
    key = (rulebase.digest, str(path), stat.st_mtime_ns, stat.st_size)
    found = _LOADED.get(key)
    if found is None:
        from advisor.knowledge.tomlfile import read_toml

        data, _ = read_toml(path)
        found = parse_record_data(data, str(path), rulebase, strict=own)
        if len(_LOADED) > 32:
            _LOADED.clear()
        _LOADED[key] = found
    return found


class _Checker:
    """Checks references against the rule base; `strict`: an unknown one is an error."""

    def __init__(self, source: str, rulebase: RuleBase, strict: bool) -> None:
        self.source = source
        self.rulebase = rulebase
        self.strict = strict

    def fail(self, key: str, message: str) -> RuleFileError:
        return RuleFileError(self.source, key, message)

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "must be a non-empty string")
        return value

    def keys(self, table: Any, allowed: set[str], key: str) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.fail(key, "must be a table")
        unknown = set(table) - allowed
        if unknown:
            raise self.fail(
                key,
                f"unknown key(s) {', '.join(sorted(unknown))} "
                f"(allowed: {', '.join(sorted(allowed))})",
            )
        return table

    def cite(self, value: Any, key: str) -> str | None:
        """A kb section id; None (left out) when a foreign rule base's kb lacks it."""
        if value is None:
            return None
        ref = self.text(value, key)
        if ref in self.rulebase.kb:
            return ref
        if not self.strict:
            return None
        raise self.fail(key, f"kb section '{ref}' does not exist in {self.rulebase.kb_dir}")

    def conclusion(self, value: Any, key: str) -> tuple[str, str] | None:
        """`kind:value` (or a flag kind's name) -> (kind, value); None: not in this vocabulary."""
        text = self.text(value, key)
        try:
            kind, item = self.rulebase.vocabulary.parse(text)
        except ValueError as exc:
            if not self.strict:
                return None
            raise self.fail(key, str(exc).removeprefix("'then' = ")) from None
        if kind == "finding" or self.rulebase.vocabulary.kind(kind).field is None:
            raise self.fail(key, f"'{text}' is not a technique or a sub-choice")
        return kind, item

    def question(self, value: Any, key: str) -> str | None:
        qid = self.text(value, key)
        if qid in self.rulebase.question_by_id:
            return qid
        if not self.strict:
            return None
        raise self.fail(key, f"unknown question '{qid}'")

    def technique(self, value: Any, key: str) -> str | None:
        text = self.text(value, key)
        found = self.conclusion(f"technique:{text}", key)
        return found[1] if found else None

    def kind_name(self, value: str, key: str) -> str | None:
        if value in self.rulebase.vocabulary.by_name:
            return value
        if not self.strict:
            return None
        raise self.fail(key, f"unknown conclusion kind '{value}'")


def parse_record_data(
    data: Mapping[str, Any], source: str, rulebase: RuleBase, *, strict: bool = True
) -> RecordData:
    """Check a parsed record.toml against `rulebase` (see the module docstring)."""
    c = _Checker(source, rulebase, strict)
    c.keys(data, _TOP_KEYS, "top level")
    options = _options(c, data.get("options"))
    savings = []
    for technique, text in _table(c, data.get("savings", {}), "[savings]").items():
        key = f"savings.{technique}"
        found = c.technique(technique, key)
        if found is not None:
            savings.append((found, c.text(text, key)))
    costs = []
    entries = data.get("cost", [])
    if not isinstance(entries, list):
        raise c.fail("cost", "costs are written as [[cost]] tables")
    for n, entry in enumerate(entries, start=1):
        key = f"[[cost]] #{n}"
        c.keys(entry, _COST_KEYS, key)
        concluded = c.conclusion(entry.get("for"), f"{key}: 'for'")
        text = c.text(entry.get("text"), f"{key}: 'text'")
        cite = c.cite(entry.get("cite"), f"{key}: 'cite'")
        if concluded is not None:
            costs.append(Cost(*concluded, text, cite))
    plan: dict[str, PlanWords] = {}
    for name, entry in _table(c, data.get("plan", {}), "[plan]").items():
        key = f"[plan.{name}]"
        c.keys(entry, _PLAN_KEYS, key)
        kind = c.kind_name(name, key)
        lead = c.text(entry.get("lead"), f"{key}: 'lead'") if "lead" in entry else None
        none = c.text(entry.get("none"), f"{key}: 'none'") if "none" in entry else "none"
        if kind is not None:
            default = default_plan_words(rulebase.vocabulary.kind(kind))
            plan[kind] = PlanWords(lead if lead is not None else default.lead, none)
    conclusion: dict[str, str] = {}
    for name, text in _table(c, data.get("conclusion", {}), "[conclusion]").items():
        key = f"conclusion.{name}"
        kind = c.kind_name(name, key)
        words = c.text(text, key)
        if words.count("{}") > 1 or re.search(r"\{(?!\})|(?<!\{)\}", words):
            raise c.fail(key, "may hold '{}' (the value in words) once, and no other braces")
        if kind is not None:
            conclusion[kind] = words
    confirmation = c.keys(data.get("confirmation", {}), _CONFIRMATION_KEYS, "[confirmation]")
    intro = c.cite(confirmation.get("cite"), "confirmation.cite")
    checks = _checks(c, confirmation.get("check", []))
    deferred: dict[str, tuple[str, ...]] = {}
    for technique, ids in _table(c, data.get("deferred", {}), "[deferred]").items():
        key = f"deferred.{technique}"
        found = c.technique(technique, key)
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise c.fail(key, "must be a list of finding ids")
        if found is not None:
            deferred[found] = tuple(ids)
    return RecordData(
        source,
        options,
        tuple(savings),
        tuple(costs),
        plan,
        conclusion,
        intro,
        tuple(checks),
        deferred,
    )


def _table(c: _Checker, value: Any, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise c.fail(key, "must be a table")
    return value


def _options(c: _Checker, value: Any) -> tuple[tuple[str, ...], ...]:
    if not isinstance(value, list) or len(value) < 2:
        raise c.fail("options", "must list at least two options, each a list of techniques")
    options: list[tuple[str, ...]] = []
    for n, option in enumerate(value, start=1):
        key = f"options #{n}"
        if not isinstance(option, list) or not option:
            raise c.fail(key, "must be a non-empty list of techniques")
        techniques = tuple(c.technique(t, key) for t in option)
        if any(t is None for t in techniques):
            continue
        chosen = tuple(t for t in techniques if t is not None)
        if len(set(chosen)) != len(chosen):
            raise c.fail(key, "names a technique twice")
        if chosen in options:
            raise c.fail(key, "repeats an earlier option")
        options.append(chosen)
    return tuple(options)


def _checks(c: _Checker, entries: Any) -> list[Check]:
    if not isinstance(entries, list):
        raise c.fail("confirmation.check", "checks are written as [[confirmation.check]] tables")
    checks = []
    for n, entry in enumerate(entries, start=1):
        key = f"[[confirmation.check]] #{n}"
        c.keys(entry, _CHECK_KEYS, key)
        title = c.text(entry.get("title"), f"{key}: 'title'")
        text = c.text(entry.get("text"), f"{key}: 'text'")
        cite = c.cite(entry.get("cite"), f"{key}: 'cite'")
        when_raw = entry.get("when", [])
        if not isinstance(when_raw, list):
            raise c.fail(f"{key}: 'when'", 'must be a list such as ["technique:rag"]')
        when: list[tuple[str, str]] = []
        usable = True
        for item in when_raw:
            text_item = c.text(item, f"{key}: 'when'")
            name, sep, rest = text_item.partition(":")
            if name == ANSWERED and sep:
                qid = c.question(rest, f"{key}: 'when'")
                if qid is not None:
                    when.append((ANSWERED, qid))
                continue
            found = c.conclusion(text_item, f"{key}: 'when'")
            if found is not None:
                when.append(found)
        if when_raw and not when:
            usable = False  # every condition names something this rule base lacks
        answer_text: dict[str, str] = {}
        raw_answers = entry.get("answer_text", {})
        if not isinstance(raw_answers, dict):
            raise c.fail(f"{key}: 'answer_text'", "must map question ids to text")
        for qid, fragment in raw_answers.items():
            where = f"{key}: answer_text.{qid}"
            words = c.text(fragment, where)
            if words.count("{}") != 1:
                raise c.fail(where, "must hold '{}' (the answer in words) once")
            if c.question(qid, where) is not None:
                answer_text[qid] = words
        for qid in PLACEHOLDER.findall(text):
            if qid not in raw_answers:
                raise c.fail(f"{key}: 'text'", f"'{{{qid}}}' has no answer_text.{qid}")
        if usable:
            checks.append(Check(title, text, tuple(when), cite, answer_text))
    return checks
