"""Decision records as files: the machine-readable block they embed, and reading them back.

A generated record ends with an HTML comment, invisible where the markdown is rendered::

    <!-- llm-advisor:record
    {"format": 1, "answers": {...}, "outcome": {...}, "rules": "...", ...}
    -->

`answers` are the answers the walk used (so `advisor recommend --from-record` regenerates the
record) and `outcome` is what was advised: techniques, sub-choices and findings (so `advisor
check` can tell whether the current rules still advise the same). The JSON is HTML-safe (`<`,
`>` and `&` are written as `\\u003c`-style escapes), so no answer text can close the comment.

Only the outcome is compared: a record whose advice is unchanged is current even when the rule
base version, the kb wording or the rationale text changed.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import AdvisorError
from advisor.knowledge.answers import has_surrogate, surrogate_problems

if TYPE_CHECKING:
    from advisor.models import Recommendation

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


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a record advises; the part `advisor check` compares."""

    techniques: tuple[str, ...]
    tactics: tuple[str, ...]
    retrievers: tuple[str, ...]
    reranker: bool
    purposes: tuple[str, ...]
    findings: tuple[tuple[str, str], ...]  # (finding id, severity)

    @classmethod
    def of(cls, recommendation: Recommendation) -> Outcome:
        rag, tuned = recommendation.rag, recommendation.fine_tuning
        return cls(
            techniques=tuple(recommendation.techniques),
            tactics=tuple(recommendation.prompt_engineering.tactics),
            retrievers=tuple(rag.retrievers) if rag else (),
            reranker=bool(rag and rag.reranker),
            purposes=tuple(tuned.purposes) if tuned else (),
            findings=tuple((f.id, f.severity) for f in recommendation.findings),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "techniques": list(self.techniques),
            "tactics": list(self.tactics),
            "retrievers": list(self.retrievers),
            "reranker": self.reranker,
            "purposes": list(self.purposes),
            "findings": {fid: severity for fid, severity in self.findings},
        }

    @classmethod
    def from_json(cls, data: Any, fail: Callable[[str], RecordError]) -> Outcome:
        if not isinstance(data, dict):
            raise fail("'outcome' must be an object")
        lists = {}
        for key in ("techniques", "tactics", "retrievers", "purposes"):
            value = data.get(key)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise fail(f"'outcome.{key}' must be a list of strings")
            lists[key] = tuple(value)
        if not isinstance(data.get("reranker"), bool):
            raise fail("'outcome.reranker' must be true or false")
        findings = data.get("findings")
        if not isinstance(findings, dict) or not all(isinstance(v, str) for v in findings.values()):
            raise fail("'outcome.findings' must map finding ids to severities")
        return cls(reranker=data["reranker"], findings=tuple(findings.items()), **lists)


def compare(recorded: Outcome, current: Outcome) -> list[str]:
    """What changed from the recorded outcome to the current one, one line per aspect."""
    changes = []
    for label in ("techniques", "tactics", "retrievers", "purposes"):
        old, new = getattr(recorded, label), getattr(current, label)
        parts = [f"added {v}" for v in new if v not in old]
        parts += [f"removed {v}" for v in old if v not in new]
        if parts:
            changes.append(f"{label}: {', '.join(parts)}")
    if recorded.reranker != current.reranker:
        changes.append(f"re-ranker: {_yes(recorded.reranker)} -> {_yes(current.reranker)}")
    old_findings, new_findings = dict(recorded.findings), dict(current.findings)
    parts = [f"added {f} ({s})" for f, s in new_findings.items() if f not in old_findings]
    parts += [f"removed {f} ({s})" for f, s in old_findings.items() if f not in new_findings]
    parts += [
        f"{f} severity {old_findings[f]} -> {s}"
        for f, s in new_findings.items()
        if f in old_findings and old_findings[f] != s
    ]
    if parts:
        changes.append(f"findings: {', '.join(parts)}")
    return changes


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

    @property
    def status(self) -> str | None:
        return next((e.value for e in self.front_matter if e.key == "status"), None)

    @property
    def closed(self) -> bool:
        """True for a deprecated, superseded or rejected decision (no longer checked)."""
        status = (self.status or "").strip().lower()
        return status.startswith(CLOSED_STATUSES)


def embed(recommendation: Recommendation, rules_name: str, kb_base_url: str | None = None) -> str:
    """The HTML comment that ends a record (see the module docstring).

    Answers the walk filled from a question's default are left out, as the user never gave them:
    regenerating applies the default again, so the record reproduces byte for byte.
    """
    defaulted = {step.id for step in recommendation.trace if step.kind == "defaulted"}
    data: dict[str, Any] = {
        "format": FORMAT,
        "advisor_version": recommendation.advisor_version,
        "rules": rules_name,
        "rules_version": recommendation.rules_version,
        "answers": {k: v for k, v in recommendation.answers.items() if k not in defaulted},
        "outcome": Outcome.of(recommendation).to_json(),
    }
    if kb_base_url:
        data["kb_base_url"] = kb_base_url
    text = _dump(data)
    for char, escape in _HTML_SAFE.items():
        text = text.replace(char, escape)  # only string contents can hold these characters
    comment = "used by 'advisor check' and 'advisor recommend --from-record'; edit answers here"
    return f"<!-- {MARKER} ({comment})\n{text}\n-->\n"


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
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise RecordError(source, "file not found") from None
    except OSError as exc:
        raise RecordError(source, f"cannot read the file ({exc.strerror or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(
            source, f"not valid UTF-8 at byte {exc.start} (a record is UTF-8 text); {_RESTORE_HINT}"
        ) from None
    return parse_record(text, source)


def parse_record(text: str, source: str = "<record>") -> Record | None:
    """Parse a record's embedded block and front matter; None when `text` is not a record.

    The block must be an HTML block of the markdown (markdown-it decides), so a document that
    merely shows the marker in a code block or a sentence is not mistaken for a record.
    """
    text = text.replace("\r\n", "\n")
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
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise fail(
            f"line {first_line + exc.lineno - 1}: the embedded record is not valid JSON "
            f"({exc.msg}); {_RESTORE_HINT}"
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
        strings[key] = value
    base_url = data.get("kb_base_url")
    if base_url is not None and (not isinstance(base_url, str) or has_surrogate(base_url)):
        raise fail("the embedded record's 'kb_base_url' must be a string")
    return Record(
        source=source,
        answers=answers,
        outcome=Outcome.from_json(
            data.get("outcome"), lambda m: fail(f"the embedded record: {m}; {_RESTORE_HINT}")
        ),
        kb_base_url=base_url,
        front_matter=parse_front_matter(text, source),
        **strings,
    )


def _find_block(text: str, source: str) -> tuple[str, int] | None:
    """The JSON text of the record block and its first line number, or None if there is none."""
    from markdown_it import MarkdownIt

    opening = f"<!-- {MARKER}"
    blocks = [
        token
        for token in MarkdownIt("commonmark").parse(text)
        if token.type == "html_block" and token.content.lstrip().startswith(opening)
    ]
    if not blocks:
        return None
    if len(blocks) > 1:
        lines = ", ".join(str(b.map[0] + 1) for b in blocks if b.map)
        raise RecordError(source, f"more than one '{opening}' block (lines {lines}); keep one")
    block = blocks[0]
    start = (block.map[0] + 1) if block.map else 1
    content = block.content.strip()
    if not content.endswith("-->"):
        raise RecordError(
            source, f"line {start}: the '{opening}' block is not closed with '-->'; {_RESTORE_HINT}"
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
