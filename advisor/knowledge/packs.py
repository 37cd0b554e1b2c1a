"""Rule packs: an organisation's rules, questions and kb pages layered over a rule base.

A pack is a folder of data, never code:

    pack.toml        name, version, requires (a range of the core rules version, ">=2.0,<3")
    rules/*.toml     [[rule]] and [define] as in the shipped rules, plus [[override]],
                     [[disable]] and [[severity]] entries that change a rule, finding or kb
                     section of the base explicitly by id; rules/questions.toml: [[question]]
    kb/*.md          kb pages, cited as kb/<file>.md#<anchor> like the shipped ones

Every file is read through `advisor.knowledge.files` (regular files, bounded, inside the pack
folder: `../`, absolute paths and links leaving it are refused). A pack's id that clashes with
the base's without an explicit override is an error naming both files and the fix. `layer()`
returns a new `RuleBase` whose `packs` name the packs in force; the base is never changed.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from advisor.errors import KnowledgeBaseError, RuleFileError
from advisor.knowledge import conditions as cond
from advisor.knowledge.files import (
    MAX_FILE_BYTES,
    DataError,
    TooLarge,
    Unreadable,
    parse_toml,
    read_text,
)
from advisor.knowledge.kb import MAX_PAGE_BYTES, Section, parse_page
from advisor.knowledge.pack_info import VERSION_TEXT, Change, PackInfo, PackLayer
from advisor.knowledge.questions import MAX_QUESTIONS, Question, shapes_of, too_many_questions
from advisor.knowledge.rulebase import QUESTIONS_FILE, RuleBase
from advisor.knowledge.rules import Rule, RuleFile, load_rules, resolve_definitions
from advisor.vocabulary import SEVERITIES

PACK_FILE = "pack.toml"
MAX_PACK_FILES = 256
"""The most rule files and kb pages one pack may hold."""
MAX_PACK_CHARS = 16 * 1024 * 1024
"""The most characters a pack's files may hold together (16 Mi): each file has its own limit
(4 MiB, a kb page 256 KiB), and this one bounds the memory and time of a pack of many."""
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_VERSION = re.compile(rf"^{VERSION_TEXT}$")
_PACK_KEYS = {"name", "version", "requires", "description"}
_OVERRIDE_FIELDS = ("when", "then", "because", "cite", "severity")
_REFUSED_FILES = {
    "ruleset.toml": "a pack's name and version go in pack.toml",
    "vocabulary.toml": "a pack cannot add conclusion kinds; use the shipped vocabulary",
    "latency.toml": "a pack cannot change the latency ledger",
}


def layer(base: RuleBase, folders: Sequence[Path | str]) -> RuleBase:
    """`base` with the packs in `folders` applied in order (later packs over earlier ones).

    The result is kept in the disk cache (`advisor.knowledge.cache`) under a digest of the
    base's and every pack file's bytes, so a warm run reads one entry instead of parsing the
    packs' rules and kb pages again.
    """
    if not folders:
        return base
    return load_layered(base.rules_dir, base.kb_dir, folders, base=base)


layer_packs = layer
"""The public name (`advisor.layer_packs`)."""


def load_layered(
    rules_dir: Path,
    kb_dir: Path,
    folders: Sequence[Path | str],
    *,
    base: RuleBase | None = None,
    load_base: Callable[[], RuleBase] | None = None,
) -> RuleBase:
    """The rule base of `rules_dir` and `kb_dir` with the packs applied. A warm disk cache
    answers from the layered entry alone, without reading the base's own entry; otherwise the
    base is `base`, else `load_base()`, and the result is stored."""
    packs = [read_pack(Path(folder)) for folder in folders]
    if base is not None:
        base_digest = base.digest
    else:
        from advisor.knowledge.loader import content_digest

        base_digest = content_digest(rules_dir, kb_dir)
    digest = hashlib.sha256(base_digest.encode())
    for pack in packs:
        digest.update(f"\0pack\0{pack.info.name}\0{pack.requires}\0".encode())
        for path, text in sorted(pack.texts.items()):
            digest.update(f"\0{path.relative_to(pack.root)}\0".encode() + text.encode())
    where = "|".join(f"{p.info.path}={p.root.resolve()}" for p in packs)
    filed_under = Path(f"{kb_dir}|packs|{where}")
    from advisor.knowledge import cache

    cached = cache.load(digest.hexdigest(), rules_dir, filed_under)
    if cached is not None:
        return cached
    if base is None:
        assert load_base is not None
        base = load_base()
    result = base
    layers: list[PackLayer] = []
    for pack in packs:
        result, added = _apply(result, pack)
        layers.append(added)
    result = replace_rulebase(result, layers=tuple(layers), digest=digest.hexdigest())
    if base.digest == base_digest:
        cache.store(result, filed_under)
    return result


def replace_rulebase(base: RuleBase, **changes: Any) -> RuleBase:
    """A new RuleBase with some fields replaced (the derived ones are built again)."""
    fields = {
        name: getattr(base, name)
        for name in (
            "name",
            "version",
            "rules_dir",
            "kb_dir",
            "questions",
            "rules",
            "definitions",
            "kb",
            "digest",
            "vocabulary",
            "ledger",
            "packs",
            "layers",
        )
    }
    fields.update(changes)
    return RuleBase(**fields)


# --------------------------------------------------------------------------- reading a pack


@dataclass
class _Pack:
    root: Path
    info: PackInfo
    requires: str
    texts: dict[Path, str]  # every rules/*.toml and kb/*.md, read safely


def read_pack(folder: Path) -> _Pack:
    """The pack's metadata and files, read safely; nothing is interpreted yet."""
    root = Path(folder)
    if not root.is_dir():
        raise RuleFileError(
            str(root), "", "pack folder not found (a pack is a folder with pack.toml and rules/)"
        )
    meta_path = root / PACK_FILE
    if not meta_path.exists():
        raise RuleFileError(
            str(meta_path), "", "missing: a pack needs pack.toml with name, version and requires"
        )
    meta = _toml(meta_path, _read(meta_path, root))
    unknown = set(meta) - _PACK_KEYS
    if unknown:
        raise RuleFileError(
            str(meta_path),
            "",
            f"unknown key(s) {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(_PACK_KEYS))})",
        )
    for key in ("name", "version", "requires"):
        if not isinstance(meta.get(key), str) or not meta[key].strip():
            raise RuleFileError(str(meta_path), key, f"'{key}' is required and must be a string")
    if not _NAME.match(meta["name"]):
        raise RuleFileError(
            str(meta_path), "name", "must be lower case letters, digits, '.', '_' or '-'"
        )
    if not _VERSION.match(meta["version"]):
        raise RuleFileError(str(meta_path), "version", "must look like 1.0.0")
    parse_range(meta["requires"], str(meta_path))
    texts: dict[Path, str] = {}
    read = 0
    for sub, pattern in (("rules", "*.toml"), ("kb", "*.md")):
        path = root / sub
        if not path.exists():
            if sub == "rules":
                raise RuleFileError(str(path), "", "missing: a pack keeps its rules in rules/")
            continue
        _inside(path, root)
        if not path.is_dir():
            raise RuleFileError(str(path), "", "must be a folder")
        for file in sorted(path.glob(pattern)):
            if sub == "rules" and file.name in _REFUSED_FILES:
                raise RuleFileError(str(file), "", _REFUSED_FILES[file.name])
            if len(texts) == MAX_PACK_FILES:
                raise RuleFileError(
                    str(root),
                    "",
                    f"more than the limit of {MAX_PACK_FILES} rule files and kb pages in a "
                    "pack; merge files or split the pack",
                )
            texts[file] = text = _read(file, root, kb_page=sub == "kb")
            read += len(text)
            if read > MAX_PACK_CHARS:
                raise RuleFileError(
                    str(file),
                    "",
                    f"the pack's files hold more than the limit of {MAX_PACK_CHARS:,} "
                    "characters together; split the pack",
                )
    info = PackInfo(name=meta["name"], version=meta["version"], path=str(folder))
    return _Pack(root, info, meta["requires"], texts)


def _inside(path: Path, root: Path) -> None:
    try:
        real, folder = path.resolve(strict=True), root.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise RuleFileError(str(path), "", f"cannot read it ({exc})") from None
    if not real.is_relative_to(folder):
        raise RuleFileError(
            str(path),
            "",
            f"it is a link to {real}, outside the pack folder {root}: everything a pack uses "
            "must stay in its folder (copy the file in instead of linking to it)",
        )


def _read(path: Path, root: Path, *, kb_page: bool = False) -> str:
    try:
        return read_text(path, inside=root, limit=MAX_PAGE_BYTES if kb_page else MAX_FILE_BYTES)
    except TooLarge as exc:
        fix = "split the page" if kb_page else "split the file"
        raise RuleFileError(str(path), "", f"{exc}; {fix}") from None
    except Unreadable as exc:
        raise RuleFileError(str(path), "", f"{exc}; remove it or replace it") from None


def _toml(path: Path, text: str) -> dict[str, Any]:
    import tomllib

    try:
        return parse_toml(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(str(path), "", f"not valid TOML: {exc}") from None
    except DataError as exc:
        raise RuleFileError(str(path), "", str(exc)) from None


def parse_range(text: str, source: str) -> list[tuple[str, tuple[int, ...]]]:
    """`>=2.0,<3` -> [(">=", (2, 0)), ("<", (3,))]; a malformed range is a RuleFileError."""
    parts = []
    for raw in text.split(","):
        match = re.fullmatch(r"\s*(>=|<=|==|!=|>|<)\s*(\d{1,18}(?:\.\d{1,18}){0,15})\s*", raw)
        if match is None:
            from advisor.knowledge.answers import cut

            raise RuleFileError(
                source,
                "requires",
                f"'{cut(text)}' is not a version range; write it like \">=2.0,<3\" "
                "(operators >=, >, <=, <, ==, != joined by commas; versions of at most 16 "
                "numbers of at most 18 digits)",
            )
        parts.append((match[1], tuple(int(n) for n in match[2].split("."))))
    return parts


def in_range(version: str, parts: Iterable[tuple[str, tuple[int, ...]]]) -> bool:
    have = tuple(int(n) for n in re.findall(r"\d+", version))
    for op, want in parts:
        size = max(len(have), len(want))
        a, b = have + (0,) * (size - len(have)), want + (0,) * (size - len(want))
        ok = {
            ">=": a >= b,
            ">": a > b,
            "<=": a <= b,
            "<": a < b,
            "==": a == b,
            "!=": a != b,
        }[op]
        if not ok:
            return False
    return True


# --------------------------------------------------------------------------- applying a pack


def _where(text: str, key: str, value: str, index: int, kind: str, after: int = 0) -> str:
    """`line N, [[kind]] key = 'value'` for an entry of a pack file (the first such line after
    line `after`, for a value an earlier entry named too)."""
    pattern = re.compile(rf"""^\s*{key}\s*=\s*["']{re.escape(value)}["']""", re.MULTILINE)
    for match in pattern.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if line > after:
            return f"line {line}, [[{kind}]] {key} = '{value}'"
    return f"[[{kind}]] #{index + 1}"


def _line_of(source: str) -> int:
    """The line number in a Change's `source` (`file: line N, ...`), 0 when it has none."""
    match = re.search(r": line (\d+),", source)
    return int(match[1]) if match else 0


def _close(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _apply(base: RuleBase, pack: _Pack) -> tuple[RuleBase, PackLayer]:
    meta_path = str(pack.root / PACK_FILE)
    for other in base.packs:
        if other.name == pack.info.name:
            raise RuleFileError(
                meta_path, "name", f"the pack '{pack.info.name}' is already in force ({other.path})"
            )
    if not in_range(base.version, parse_range(pack.requires, meta_path)):
        raise RuleFileError(
            meta_path,
            "requires",
            f"the pack requires rules {pack.requires}, but the rule base in force is "
            f"'{base.name}' {base.version}; upgrade the pack or use a matching llm-advisor",
        )
    rule_texts = {
        p: t for p, t in pack.texts.items() if p.suffix == ".toml" and p.name != QUESTIONS_FILE
    }
    data = {p: _toml(p, t) for p, t in rule_texts.items()}
    questions = list(base.questions)
    added_questions = _questions(pack, base)
    questions += added_questions
    if len(questions) > MAX_QUESTIONS:
        raise RuleFileError(
            str(pack.root / "rules" / QUESTIONS_FILE), "", too_many_questions(len(questions))
        )
    shapes = shapes_of(tuple(questions))
    definitions = _definitions(data, shapes, base.definitions)
    added_questions = [_gate(q, shapes, definitions) for q in added_questions]
    questions[len(base.questions) :] = added_questions
    rules = list(base.rules)
    changes: list[Change] = []
    # [[disable]], [[override]] and [[severity]], in file order
    for path, table in data.items():
        for key in table:
            if key not in ("rule", "define", "override", "disable", "severity"):
                raise RuleFileError(
                    str(path),
                    "",
                    f"unknown top-level key '{key}' "
                    "(allowed in a pack: rule, define, override, disable, severity)",
                )
        text = rule_texts[path]
        for index, entry in enumerate(_entries(table, "disable", path)):
            changes.append(_disable(entry, index, path, text, rules, changes))
        for index, entry in enumerate(_entries(table, "override", path)):
            change = _override(entry, index, path, text, rules, shapes, definitions, base, changes)
            if change is not None:
                changes.append(change)
    # new rules
    files = [
        RuleFile(p, {k: v for k, v in t.items() if k == "rule"}, rule_texts[p])
        for p, t in data.items()
    ]
    new_rules = load_rules(files, shapes, definitions, base.vocabulary)
    known = {r.id: r for r in rules}
    for rule in new_rules:
        if rule.id in known:
            file, _, where = rule.source.partition(": ")
            raise RuleFileError(
                file,
                where,
                f"rule id '{rule.id}' is already used by {known[rule.id].source}; to replace that "
                f'rule write [[override]] rule = "{rule.id}" with the fields to change (or '
                f"[[disable]] it), otherwise give this rule another id",
            )
    rules += new_rules
    severities = _severities(rules)
    for rule in new_rules:
        if rule.then.kind == "finding" and rule.then.value in severities:
            first, severity = severities[rule.then.value]
            if (
                first is not rule
                and severity != rule.severity
                and not first.source.startswith(str(pack.root))
            ):
                file, _, where = rule.source.partition(": ")
                raise RuleFileError(
                    file,
                    where,
                    f"the finding '{rule.then.value}' is raised with severity '{severity}' by "
                    f"{first.source}, and here with '{rule.severity}': one finding has one "
                    f'severity; to change it everywhere write [[severity]] finding = "'
                    f'{rule.then.value}" severity = "{rule.severity}", or use the same severity',
                )
    for path, table in data.items():
        for index, entry in enumerate(_entries(table, "severity", path)):
            rules, change = _severity(entry, index, path, rule_texts[path], rules)
            changes.append(change)
    rules = [replace(rule, order=n) for n, rule in enumerate(rules)]
    from advisor.knowledge.loader import MAX_RULES

    if len(rules) > MAX_RULES:
        raise RuleFileError(
            str(pack.root), "", f"{len(rules):,} rules, more than the limit of {MAX_RULES:,}"
        )
    kb, sections, kb_changes = _kb(pack, data, rule_texts, base.kb)
    changes += kb_changes
    from advisor.knowledge.loader import _check_citations, _walk_order

    _check_citations(rules, tuple(questions), kb, None)
    ordered = _walk_order(tuple(questions), rules) if added_questions else tuple(questions)
    result = replace_rulebase(
        base,
        questions=ordered,
        rules=tuple(rules),
        definitions=definitions,
        kb=kb,
        packs=(*base.packs, pack.info),
    )
    own = {r.id for r in new_rules}
    added = PackLayer(
        info=pack.info,
        questions=tuple(q.id for q in added_questions),
        rules=tuple(r.id for r in rules if r.id in own),
        sections=sections,
        changes=tuple(changes),
    )
    return result, added


def _entries(table: dict[str, Any], key: str, path: Path) -> list[dict[str, Any]]:
    entries = table.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise RuleFileError(str(path), f"[[{key}]]", f"write each as a [[{key}]] table")
    return entries


def _questions(pack: _Pack, base: RuleBase) -> list[Question]:
    from advisor.knowledge.questions import _build_question

    path = pack.root / "rules" / QUESTIONS_FILE
    if path not in pack.texts:
        return []
    text = pack.texts[path]
    table = _toml(path, text)
    unknown = set(table) - {"question"}
    if unknown:
        raise RuleFileError(
            str(path), "", f"unknown top-level key(s): {', '.join(sorted(unknown))}"
        )
    entries = table.get("question", [])
    if not isinstance(entries, list):
        raise RuleFileError(str(path), "", "questions are written as [[question]] tables")
    from advisor.knowledge.tomlfile import id_lines, place

    lines = id_lines(text)
    found: list[Question] = []
    for index, entry in enumerate(entries):
        where = place(
            "question", entry.get("id") if isinstance(entry, dict) else None, index, lines
        )
        question = _build_question(entry, where, str(path))
        existing = base.question_by_id.get(question.id) or next(
            (q for q in found if q.id == question.id), None
        )
        if existing is not None:
            raise RuleFileError(
                str(path),
                where,
                f"question id '{question.id}' is already defined by {existing.source}; a pack "
                "cannot redefine a question: give this one another id",
            )
        if not question.has_default:
            raise RuleFileError(
                str(path),
                where,
                "a pack question needs a 'default', so answer files written without the pack "
                "stay valid",
            )
        found.append(question)
    return found


def _gate(
    question: Question, shapes: dict[str, cond.QuestionShape], definitions: dict[str, cond.Node]
) -> Question:
    from advisor.knowledge.questions import _parse_asked_when

    path, _, where = question.source.partition(": ")
    return replace(
        question, asked_when=_parse_asked_when(question, shapes, definitions, path, where)
    )


def _definitions(
    data: dict[Path, dict[str, Any]],
    shapes: dict[str, cond.QuestionShape],
    base: dict[str, cond.Node],
) -> dict[str, cond.Node]:
    """The base's definitions plus the pack's (which may use the base's and each other)."""
    pending: dict[str, tuple[str, str]] = {}
    for path, table in data.items():
        raw = table.get("define", {})
        if not isinstance(raw, dict):
            raise RuleFileError(str(path), "[define]", 'must be a table of name = "condition"')
        for name, text in raw.items():
            if not isinstance(text, str) or not re.match(r"^[a-z][a-z0-9_]*$", name):
                raise RuleFileError(
                    str(path), f"[define] {name}", 'expected lower_snake_case name = "condition"'
                )
            if name in base or name in pending or name in shapes:
                what = "a question" if name in shapes else "a definition"
                raise RuleFileError(
                    str(path),
                    f"[define] {name}",
                    f"'{name}' is already {what} of the rule base; use it as it is, or give "
                    "this definition another name",
                )
            pending[name] = (text, str(path))
    return resolve_definitions(pending, shapes, base)


def _disabled_by(target: Any, path: Path, changes: list[Change]) -> tuple[Change | None, int, str]:
    """The earlier [[disable]] of the same rule in the pack, if any; the line of it to look
    past in this file (0 for another file); and where it is, in words."""
    earlier = next((c for c in changes if c.action == "disable" and c.target == target), None)
    if earlier is None:
        return None, 0, ""
    file, _, where = earlier.source.partition(": ")
    if file == str(path):
        return earlier, _line_of(earlier.source), where
    return earlier, 0, earlier.source


def _disable(
    entry: dict[str, Any],
    index: int,
    path: Path,
    text: str,
    rules: list[Rule],
    changes: list[Change],
) -> Change:
    unknown = set(entry) - {"rule", "reason"}
    target = entry.get("rule")
    earlier, after, there = _disabled_by(target, path, changes)
    where = _where(text, "rule", str(target), index, "disable", after)
    if earlier is not None:
        raise RuleFileError(
            str(path), where, f"the rule '{target}' is already disabled ({there}); remove this one"
        )
    if unknown or not isinstance(target, str):
        raise RuleFileError(
            str(path), where, 'write [[disable]] rule = "<rule id>" (and optionally reason = "...")'
        )
    for n, rule in enumerate(rules):
        if rule.id == target:
            del rules[n]
            return Change("disable", target, f"{path}: {where}", True, rule)
    raise RuleFileError(
        str(path),
        where,
        f"[[disable]] names no rule '{target}'{_close(target, (r.id for r in rules))}; "
        "check the id (advisor questions and the rules/*.toml files list them)",
    )


def _override(
    entry: dict[str, Any],
    index: int,
    path: Path,
    text: str,
    rules: list[Rule],
    shapes: dict[str, cond.QuestionShape],
    definitions: dict[str, cond.Node],
    base: RuleBase,
    changes: list[Change],
) -> Change | None:
    if "kb" in entry:
        return None  # kb overrides are applied with the pack's kb pages
    target = entry.get("rule")
    earlier, after, there = _disabled_by(target, path, changes)
    where = _where(text, "rule", str(target), index, "override", after)
    if earlier is not None:
        raise RuleFileError(
            str(path),
            where,
            f"[[override]] names the rule '{target}', which the pack disables ({there}); "
            "keep one of the two",
        )
    unknown = set(entry) - {"rule", "reason", *_OVERRIDE_FIELDS}
    if not isinstance(target, str) or unknown:
        extra = f" (unknown: {', '.join(sorted(unknown))})" if unknown else ""
        raise RuleFileError(
            str(path),
            where,
            f'write [[override]] rule = "<rule id>" with the fields to replace: '
            f"{', '.join(_OVERRIDE_FIELDS)}{extra}",
        )
    found = next((n for n, r in enumerate(rules) if r.id == target), None)
    if found is None:
        raise RuleFileError(
            str(path),
            where,
            f"[[override]] names no rule '{target}'{_close(target, (r.id for r in rules))}; "
            "to add a new rule write it as [[rule]] instead",
        )
    old = rules[found]
    fields: dict[str, Any] = {
        "id": old.id,
        "when": old.when_text,
        "then": old.then.key,
        "because": old.because,
        "cite": list(old.cite),
    }
    if old.severity is not None:
        fields["severity"] = old.severity
    for key in _OVERRIDE_FIELDS:
        if key in entry:
            fields[key] = entry[key]
    if (
        "then" in entry
        and "severity" not in entry
        and not str(entry["then"]).startswith("finding:")
    ):
        fields.pop("severity", None)  # the old finding's severity does not carry over
    from advisor.knowledge.rules import _build_rule

    new = _build_rule(fields, str(path), where, shapes, definitions, old.order, base.vocabulary, {})
    changed = (new.when_text, new.then, new.because, new.cite, new.severity) != (
        old.when_text,
        old.then,
        old.because,
        old.cite,
        old.severity,
    )
    rules[found] = new
    return Change("override", target, f"{path}: {where}", changed, old)


def _severities(rules: list[Rule]) -> dict[str, tuple[Rule, str | None]]:
    found: dict[str, tuple[Rule, str | None]] = {}
    for rule in rules:
        if rule.then.kind == "finding":
            found.setdefault(rule.then.value, (rule, rule.severity))
    return found


def _severity(
    entry: dict[str, Any], index: int, path: Path, text: str, rules: list[Rule]
) -> tuple[list[Rule], Change]:
    target = entry.get("finding")
    where = _where(text, "finding", str(target), index, "severity")
    unknown = set(entry) - {"finding", "severity", "reason"}
    if unknown or not isinstance(target, str) or entry.get("severity") not in SEVERITIES:
        raise RuleFileError(
            str(path),
            where,
            f'write [[severity]] finding = "<finding id>" severity = "<{"|".join(SEVERITIES)}>"',
        )
    raising = [r for r in rules if r.then.kind == "finding" and r.then.value == target]
    if not raising:
        known = {r.then.value for r in rules if r.then.kind == "finding"}
        raise RuleFileError(
            str(path),
            where,
            f"[[severity]] names no finding '{target}'{_close(target, known)}; "
            "it must be raised by a rule of the rule base or of a pack before this one",
        )
    severity = entry["severity"]
    changed = any(r.severity != severity for r in raising)
    new = [
        replace(r, severity=severity) if r.then.kind == "finding" and r.then.value == target else r
        for r in rules
    ]
    return new, Change("severity", target, f"{path}: {where}", changed)


def _kb(
    pack: _Pack,
    data: dict[Path, dict[str, Any]],
    texts: dict[Path, str],
    base: dict[str, Section],
) -> tuple[dict[str, Section], tuple[str, ...], list[Change]]:
    declared: dict[str, str] = {}
    for path, table in data.items():
        for index, entry in enumerate(_entries(table, "override", path)):
            if "kb" not in entry:
                continue
            ref = entry["kb"]
            where = _where(texts[path], "kb", str(ref), index, "override")
            if set(entry) - {"kb", "reason"} or not isinstance(ref, str):
                raise RuleFileError(
                    str(path),
                    where,
                    'write [[override]] kb = "kb/<file>.md#<anchor>"; the new text is the '
                    "section of the same anchor in the pack's kb/<file>.md",
                )
            if ref not in base:
                raise RuleFileError(
                    str(path),
                    where,
                    f"[[override]] names no kb section '{ref}'{_close(ref, base)}",
                )
            declared[ref] = f"{path}: {where}"
    kb = dict(base)
    own: list[str] = []
    folder = pack.root / "kb"
    for path, text in pack.texts.items():
        if path.suffix != ".md":
            continue
        for section in parse_page(path, text, folder):
            if section.level == 1 and section.ref in base:
                continue  # the title of a page that replaces sections of a shipped page
            if section.ref in base and section.ref not in declared:
                shipped = base[section.ref]
                raise KnowledgeBaseError(
                    str(path),
                    f"line {section.line}",
                    f"the section '{section.ref}' is already in the knowledge base "
                    f"(kb/{shipped.file}, line {shipped.line}); to replace it declare "
                    f'[[override]] kb = "{section.ref}" in a rules/*.toml file of the pack, '
                    "otherwise rename the page or the heading",
                )
            kb[section.ref] = section
            if section.ref not in base:
                own.append(section.ref)
    changes = []
    for ref, source in declared.items():
        if ref not in own and kb[ref] is base[ref]:
            file, _, where = source.partition(": ")
            raise RuleFileError(
                file,
                where,
                f"the pack has no section '{ref}' to put in its place: add it to the pack's "
                f"kb/{ref.split('#')[0].removeprefix('kb/')}",
            )
        changes.append(Change("override", ref, source, kb[ref].summary != base[ref].summary))
    return kb, tuple(own), changes
