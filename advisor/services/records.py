"""Decision records as files: the machine-readable block they embed, and reading them back.

A generated record ends with an HTML comment, invisible where the markdown is rendered::

    <!-- llm-advisor:record
    {"format": 1, "answers": {...}, "outcome": {...}, "rules": "...", ...}
    -->

`answers` are the answers the user gave, reached by the walk or not (so `advisor recommend
--from-record` regenerates the record, also after an edit), and `outcome` is what was advised:
techniques, sub-choices and findings, one key per outcome kind of the vocabulary (so `advisor
check` can tell whether the current rules still advise the same). The JSON is HTML-safe (`<`,
`>` and `&` are written as `\\u003c`-style escapes), so no answer text can close the comment.

Only the outcome is compared: a record whose advice is unchanged is current even when the rule
base version, the kb wording or the rationale text changed.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import AdvisorError
from advisor.knowledge.answers import has_surrogate, surrogate_problems
from advisor.knowledge.files import DataError, parse_json
from advisor.vocabulary import DEFAULT, TECHNIQUES, Vocabulary

if TYPE_CHECKING:
    from advisor.engine.decision import Decision
    from advisor.knowledge.pack_info import PackInfo

MARKER = "llm-advisor:record"
FORMAT = 1
# The MADR statuses meaning "no longer in force": `advisor check` skips such records.
CLOSED_STATUSES = ("deprecated", "superseded", "rejected")
_KEY_LINE = re.compile(r"^(?P<key>[A-Za-z0-9_][A-Za-z0-9_.-]*)[ \t]*:(?:[ \t]+(?P<value>.*))?$")
_HTML_SAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}
_RESTORE_HINT = "restore the block from version control, or regenerate the record from its answers"


class RecordError(AdvisorError):
    """A decision record that cannot be read: names the file, what is wrong and the fix."""

    def __init__(self, source: str, message: str) -> None:
        self.source = source
        self.message = message
        super().__init__(f"{source}: {message}")


OutcomeValue = tuple[str, ...] | bool | Mapping[str, str]
"""A list kind's values, a flag, or (for findings) id -> severity."""
_REQUIRED = ("techniques", "findings")
_SHAPE_HINT = "must be a list of strings, true or false, or a map of finding ids to severities"


@dataclass(frozen=True)
class Outcome:
    """What a record advises; the part `advisor check` compares.

    One value per outcome kind of the vocabulary (`Vocabulary.outcome_kinds`), keyed by the
    kind's result field, in vocabulary order: `techniques`, `tactics`, `retrievers`, `reranker`
    (a flag), `purposes`, ... and `findings` (id -> severity). A sub-choice of a technique that is
    not adopted is empty. A record read back keeps what it holds; a kind it does not mention
    (added to the vocabulary later) counts as empty when compared.
    """

    values: Mapping[str, OutcomeValue]

    @classmethod
    def of(cls, decision: Decision) -> Outcome:
        values: dict[str, OutcomeValue] = {}
        adopted = decision.techniques
        for kind in decision.rulebase.vocabulary.outcome_kinds:
            name = kind.key
            if kind.merge == "by_id":
                values[name] = {f.id: f.severity for f in decision.findings}
                continue
            concluded = decision.conclusions.get(kind.name, ())
            if kind.owner in TECHNIQUES and kind.owner not in adopted:  # the evaluation
                concluded = ()  # plan belongs to every recommendation
            values[name] = bool(concluded) if kind.merge == "flag" else tuple(concluded)
        return cls(values)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in self.values.items():
            if isinstance(value, bool):
                out[key] = value
            elif isinstance(value, Mapping):
                out[key] = dict(value)
            else:
                out[key] = list(value)
        return out

    @classmethod
    def from_json(cls, data: Any, fail: Callable[[str], RecordError]) -> Outcome:
        """Read an embedded outcome by its shapes (no rule base needed to read a record)."""
        if not isinstance(data, dict):
            raise fail("'outcome' must be an object")
        for key in _REQUIRED:
            if key not in data:
                raise fail(f"'outcome.{key}' is missing")
        values: dict[str, OutcomeValue] = {}
        for key, value in data.items():
            if isinstance(value, bool):
                values[key] = value
            elif isinstance(value, list) and all(isinstance(v, str) for v in value):
                values[key] = tuple(value)
            elif isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
                values[key] = dict(value)
            else:
                raise fail(f"'outcome.{key}' {_SHAPE_HINT}")
        if not isinstance(values["techniques"], tuple):
            raise fail("'outcome.techniques' must be a list of strings")
        if not isinstance(values["findings"], Mapping):
            raise fail("'outcome.findings' must map finding ids to severities")
        return cls(values)


def compare(recorded: Outcome, current: Outcome, vocabulary: Vocabulary = DEFAULT) -> list[str]:
    """What changed from the recorded outcome to the current one, one line per aspect: list
    kinds (in vocabulary order), then flags, then findings. A kind one side does not hold counts
    as empty there (a record written before the kind existed reports "added ...")."""
    by_field = {kind.key: kind for kind in vocabulary.outcome_kinds}
    keys = list(dict.fromkeys([*by_field, *recorded.values, *current.values]))
    lists, flags, by_id = [], [], []
    for key in keys:
        kind = by_field.get(key)
        old, new = recorded.values.get(key), current.values.get(key)
        shape = kind.merge if kind is not None else _shape(old if old is not None else new)
        if shape == "flag":
            flags.append((key, kind.label if kind is not None else key.replace("_", " ")))
        elif shape == "by_id":
            by_id.append(key)
        else:
            lists.append(key)
    changes = []
    for key in lists:
        old_values, new_values = _values(recorded, key), _values(current, key)
        parts = [f"added {v}" for v in new_values if v not in old_values]
        parts += [f"removed {v}" for v in old_values if v not in new_values]
        if parts:
            changes.append(f"{key}: {', '.join(parts)}")
    for key, label in flags:
        old_flag = recorded.values.get(key) is True
        new_flag = current.values.get(key) is True
        if old_flag != new_flag:
            changes.append(f"{label}: {_yes(old_flag)} -> {_yes(new_flag)}")
    for key in by_id:
        old_findings, new_findings = _map(recorded, key), _map(current, key)
        parts = [f"added {f} ({s})" for f, s in new_findings.items() if f not in old_findings]
        parts += [f"removed {f} ({s})" for f, s in old_findings.items() if f not in new_findings]
        parts += [
            f"{f} severity {old_findings[f]} -> {s}"
            for f, s in new_findings.items()
            if f in old_findings and old_findings[f] != s
        ]
        if parts:
            changes.append(f"{key}: {', '.join(parts)}")
    return changes


def _shape(value: OutcomeValue | None) -> str:
    if isinstance(value, bool):
        return "flag"
    if isinstance(value, Mapping):
        return "by_id"
    return "list"


def _values(outcome: Outcome, key: str) -> tuple[str, ...]:
    value = outcome.values.get(key)
    return value if isinstance(value, tuple) else ()


def _map(outcome: Outcome, key: str) -> Mapping[str, str]:
    value = outcome.values.get(key)
    return value if isinstance(value, Mapping) else {}


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


@dataclass(frozen=True, slots=True)
class FrontMatterEntry:
    """One top-level key of the YAML front matter, with its raw lines (kept verbatim)."""

    key: str
    lines: tuple[str, ...]

    @property
    def value(self) -> str | None:
        """The value when it is a single scalar on the key's line, unquoted; else None."""
        match = _KEY_LINE.match(self.lines[0])
        raw = (match["value"] or "").strip() if match else ""
        return _scalar(raw) if raw else None


@dataclass(frozen=True)
class Record:
    source: str
    answers: dict[str, Any]
    outcome: Outcome
    advisor_version: str
    rules: str
    rules_version: str
    kb_base_url: str | None
    front_matter: tuple[FrontMatterEntry, ...]
    packs: tuple[PackInfo, ...] = ()
    """The rule packs the record was made under (name, version, folder), in order."""

    @property
    def status(self) -> str | None:
        return next((e.value for e in self.front_matter if e.key == "status"), None)

    @property
    def closed(self) -> bool:
        """True for a deprecated, superseded or rejected decision (no longer checked)."""
        status = (self.status or "").strip().lower()
        return status.startswith(CLOSED_STATUSES)


def embed(decision: Decision, kb_base_url: str | None = None) -> str:
    """The HTML comment that ends a record (see the module docstring).

    The answers are every answer the user gave (`assemble.given_answers`), reached or not, so
    an edit that makes the walk reach another question regenerates without a missing answer.
    Answers the walk filled from a question's default are left out, as the user never gave
    them: regenerating applies the default again, so the record reproduces byte for byte.
    """
    from advisor._version import __version__
    from advisor.engine.assemble import given_answers

    rulebase = decision.rulebase
    data: dict[str, Any] = {
        "format": FORMAT,
        "advisor_version": __version__,
        "rules": rulebase.name,
        "rules_version": rulebase.version,
        "answers": given_answers(decision),
        "outcome": Outcome.of(decision).to_json(),
    }
    if kb_base_url:
        data["kb_base_url"] = kb_base_url
    if rulebase.packs:  # only under packs: a record made without them is unchanged
        data["packs"] = [
            {"name": p.name, "version": p.version, "path": Path(p.path).as_posix()}
            for p in rulebase.packs
        ]
    text = _dump(data)
    for char, escape in _HTML_SAFE.items():
        text = text.replace(char, escape)  # only string contents can hold these characters
    comment = "used by 'advisor check' and 'advisor recommend --from-record'; edit answers here"
    return f"<!-- {MARKER} ({comment})\n{text}\n-->\n"


def record_inputs(decision: Decision) -> dict[str, Any]:
    """What the markdown renderer needs besides the Decision, computed once: the rule folder's
    record data (`record_data`) and the alternatives (the other options' findings, the decision
    path). Cost: one `decide()` per considered option when the rules check a proposed approach
    (`advisor.engine.alternatives`), none otherwise."""
    from advisor.engine.alternatives import alternatives
    from advisor.services.record_data import record_data

    data = record_data(decision.rulebase)
    return {"alternatives": alternatives(decision, data.options), "record": data}


def _dump(value: Any, indent: str = "") -> str:
    """JSON with one object key per line and lists on one line: short, readable git diffs."""
    if isinstance(value, dict) and value:
        inner = indent + "  "
        items = [f"{inner}{json.dumps(k)}: {_dump(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def read_record(path: str | Path) -> Record | None:
    """The record in a file, or None when the file is markdown but not an llm-advisor record."""
    source = str(path)
    try:
        data = _read_regular(Path(path))
    except FileNotFoundError:
        raise RecordError(source, "the file does not exist") from None
    except IsADirectoryError:
        raise RecordError(source, "it is a folder, not a record file") from None
    except OSError as exc:
        raise RecordError(source, f"cannot read the file ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(
            source, f"not valid UTF-8 at byte {exc.start} (a record is UTF-8 text); {_RESTORE_HINT}"
        ) from None
    return parse_record(text, source)


MAX_RECORD_BYTES = 4 << 20
_MAX_NAME = 200
"""The longest advisor version, rule-base name or rules version a record may carry."""
"""The largest record file read (a record is some tens of kilobytes; other inputs have the same
limit)."""


def _read_regular(path: Path) -> bytes:
    """A regular file's bytes. A FIFO, device or socket is refused without reading (reading a
    FIFO would wait for a writer forever), checked on the opened file so nothing can swap it."""
    import os
    import stat

    handle = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(handle).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory")
        if not stat.S_ISREG(mode):
            raise OSError(0, "not a regular file: a pipe, device or socket is not read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(handle, True)
        chunks = []
        size = 0
        while chunk := os.read(handle, 1 << 20):
            size += len(chunk)
            if size > MAX_RECORD_BYTES:
                limit = f"larger than {MAX_RECORD_BYTES >> 20} MiB, the limit for a record"
                raise OSError(0, limit)
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(handle)


def parse_record(text: str, source: str = "<record>") -> Record | None:
    """Parse a record's embedded block and front matter; None when `text` is not a record.

    The block is found line by line (`_find_block`), outside fenced code, so a document that
    merely shows the marker in a code block or a sentence is not mistaken for a record.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # Windows and old Mac line ends
    located = _find_block(text, source) if MARKER in text else None
    if located is None:
        own = _own_front_matter_keys(text)
        if own:
            raise RecordError(
                source,
                f"the front matter has llm-advisor's {' and '.join(own)} but no "
                f"'<!-- {MARKER}' block follows: the record is truncated or damaged; "
                "restore it from version control, or regenerate it from its answers "
                "(advisor recommend --answers FILE --format markdown --output "
                f"{shlex.quote(source)})",
            )
        return None
    body, first_line = located

    def fail(message: str) -> RecordError:
        return RecordError(source, message)

    try:
        data = parse_json(body)
    except DataError as exc:
        raise fail(f"the embedded record is not usable: {exc}; {_RESTORE_HINT}") from None
    except json.JSONDecodeError as exc:
        raise fail(
            f"line {first_line + exc.lineno - 1}, column {exc.colno}: the embedded record is "
            f"not valid JSON ({exc.msg.removesuffix(' at')}); {_RESTORE_HINT}"
        ) from None
    if not isinstance(data, dict):
        raise fail(f"the embedded record must be a JSON object; {_RESTORE_HINT}")
    version = data.get("format")
    if not isinstance(version, int) or isinstance(version, bool):
        raise fail(f"the embedded record has no integer 'format'; {_RESTORE_HINT}")
    if version > FORMAT:
        raise fail(
            f"record format {version} is newer than this llm-advisor reads ({FORMAT}); "
            "upgrade llm-advisor"
        )
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise fail(f"the embedded record has no 'answers' object; {_RESTORE_HINT}")
    surrogates = surrogate_problems(answers)
    if surrogates:
        raise fail(
            f"the embedded record's answers cannot be used: {'; '.join(surrogates)}; "
            "fix them in the llm-advisor:record block, then regenerate the record"
        )
    strings = {}
    for key in ("advisor_version", "rules", "rules_version"):
        value = data.get(key)
        if not isinstance(value, str) or has_surrogate(value):
            raise fail(f"the embedded record has no string '{key}'; {_RESTORE_HINT}")
        if len(value) > _MAX_NAME:
            raise fail(
                f"the embedded record's '{key}' is {len(value):,} characters, more than the "
                f"{_MAX_NAME} a name or version may have; {_RESTORE_HINT}"
            )
        strings[key] = value
    base_url = data.get("kb_base_url")
    if base_url is not None and (not isinstance(base_url, str) or has_surrogate(base_url)):
        raise fail("the embedded record's 'kb_base_url' must be a string")
    return Record(
        source=source,
        answers=answers,
        packs=_recorded_packs(data.get("packs", []), fail),
        outcome=Outcome.from_json(
            data.get("outcome"), lambda m: fail(f"the embedded record: {m}; {_RESTORE_HINT}")
        ),
        kb_base_url=base_url,
        front_matter=parse_front_matter(text, source),
        **strings,
    )


def _recorded_packs(value: Any, fail: Any) -> tuple[PackInfo, ...]:
    """The embedded record's `packs` list: objects with string name, version and path."""
    from advisor.knowledge.pack_info import PackInfo

    packs = []
    if not isinstance(value, list):
        raise fail(f"the embedded record's 'packs' must be a list; {_RESTORE_HINT}")
    for item in value:
        if not isinstance(item, dict) or not all(
            isinstance(item.get(k), str) and not has_surrogate(item[k])
            for k in ("name", "version", "path")
        ):
            raise fail(
                "each entry of the embedded record's 'packs' needs string 'name', 'version' "
                f"and 'path'; {_RESTORE_HINT}"
            )
        packs.append(PackInfo(item["name"], item["version"], item["path"]))
    return tuple(packs)


_FENCE = re.compile(r"(`{3,}|~{3,})")
# What may stand before a fence inside a container: indentation, blockquote markers, list markers.
_CONTAINER = re.compile(r"^(?:[ \t]*(?:>|[-+*][ \t]|\d{1,9}[.)][ \t]))*[ \t]*")


def _find_block(text: str, source: str) -> tuple[str, int] | None:
    """The JSON text of the record block and its first line number, or None if there is none.

    The block is found by scanning lines, whatever the markdown around it (a parser gives up on
    deep nesting, which would hide a record from `advisor check`): it opens with a line that
    starts with `<!-- llm-advisor:record` (as an HTML block of markdown does, at most three
    spaces in) outside fenced code, and ends at the first line holding `-->`. So a document that
    merely shows the marker in code or in a sentence is not mistaken for a record.
    """
    opening = f"<!-- {MARKER}"
    lines = text.split("\n")
    starts: list[int] = []
    fence: str | None = None
    for index, line in enumerate(lines):
        inner = line[_CONTAINER.match(line).end() :]  # type: ignore[union-attr]
        if fence is not None:
            if inner.startswith(fence) and not inner.strip().strip(fence[0]):
                fence = None
            continue
        opened = _FENCE.match(inner)
        if opened and not (opened.group(1)[0] == "`" and "`" in inner[opened.end() :]):
            fence = opened.group(1)
            continue
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) <= 3 and stripped.startswith(opening):
            starts.append(index)
    if not starts:
        return None
    if len(starts) > 1:
        numbers = ", ".join(str(i + 1) for i in starts[:10])
        if len(starts) > 10:
            numbers += f" and {len(starts) - 10:,} more"
        raise RecordError(source, f"more than one '{opening}' block (lines {numbers}); keep one")
    first = starts[0]
    end = next((i for i in range(first, len(lines)) if "-->" in lines[i]), None)
    start = first + 1
    if end is None:
        raise RecordError(
            source, f"line {start}: the '{opening}' block is not closed with '-->'; {_RESTORE_HINT}"
        )
    content = "\n".join(lines[first : end + 1]).strip()
    if not content.endswith("-->"):
        raise RecordError(
            source,
            f"line {end + 1}: text follows '-->' that closes the '{opening}' block; "
            f"{_RESTORE_HINT}",
        )
    _, newline, body = content[: -len("-->")].partition("\n")
    if not newline:
        raise RecordError(
            source, f"line {start}: the '{opening}' block holds no JSON; {_RESTORE_HINT}"
        )
    return body, start + 1


# Front-matter keys only llm-advisor writes (advisor.render.markdown): a file that has them is a
# record, so a missing block means a damaged one, not "some other markdown file".
_RECORD_KEYS = ("advisor-version", "rules-version")


def _own_front_matter_keys(text: str) -> list[str]:
    """Which of `_RECORD_KEYS` the front matter has (lenient: it may be cut short)."""
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return []
    found = []
    for line in lines[1:]:
        if line.rstrip() in ("---", "..."):
            break
        match = _KEY_LINE.match(line)
        if match and match["key"] in _RECORD_KEYS and match["key"] not in found:
            found.append(match["key"])
    return found


def parse_front_matter(text: str, source: str = "<record>") -> tuple[FrontMatterEntry, ...]:
    """Top-level keys of a `---` delimited YAML front matter, raw lines kept (no YAML library).

    Lenient on values (lists, quoting, comments are kept verbatim for regeneration) but strict on
    structure: each top-level line must be `key: ...`.
    """
    lines = text.split("\n")
    if not lines or lines[0].rstrip() != "---":
        return ()
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    if end is None:
        raise RecordError(source, "line 1: the front matter opened by '---' is never closed")
    entries: list[tuple[str, list[str]]] = []
    for number, line in enumerate(lines[1:end], start=2):
        if line[:1] in (" ", "\t", "-", "#") or not line.strip():
            if entries:
                entries[-1][1].append(line)
            elif line.strip() and not line.lstrip().startswith("#"):
                raise RecordError(
                    source, f"line {number}: front matter must start with 'key: value'"
                )
            continue
        match = _KEY_LINE.match(line)
        if match is None:
            raise RecordError(
                source, f"line {number}: expected 'key: value' in the front matter, got {line!r}"
            )
        entries.append((match["key"], [line]))
    return tuple(FrontMatterEntry(key, tuple(_trim(raw))) for key, raw in entries)


def _trim(lines: list[str]) -> list[str]:
    """Drop trailing blank lines attached to an entry."""
    while len(lines) > 1 and not lines[-1].strip():
        lines.pop()
    return lines


def _scalar(raw: str) -> str:
    """A YAML scalar's text: double-quoted (JSON escapes), single-quoted, or plain."""
    if raw.startswith('"'):
        end = _closing_quote(raw)
        if end is not None:
            try:
                value = json.loads(raw[: end + 1])
            except json.JSONDecodeError:
                return raw[1:end]
            return str(value)
        return raw[1:]
    if raw.startswith("'"):
        match = re.match(r"'((?:[^']|'')*)'", raw)
        return match.group(1).replace("''", "'") if match else raw[1:]
    return re.sub(r"\s+#.*$", "", raw).strip()


def _closing_quote(raw: str) -> int | None:
    escaped = False
    for index, char in enumerate(raw[1:], start=1):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            return index
    return None
