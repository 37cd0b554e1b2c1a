"""Answers files: reading them (JSON, TOML, standard input), writing them, and the partial file.

This module reads and writes text only (no rule-base knowledge beyond question order); the
answer layers read from files are made in `advisor.services.answers`.

`advisor recommend --answers` and `advisor ask --answers` read what `advisor ask` writes. TOML is
written by hand (the standard library reads TOML but does not write it); the values are flat
(strings, booleans, integers, lists of strings), so a small writer with correct string escaping
is enough. Keys follow the question order, so the same answers give the same bytes.

A questionnaire stopped with Ctrl-C keeps its answers in a partial file next to the answers file
(`advisor-answers.toml` -> `advisor-answers.partial.toml`); `SessionFiles` says where each file
of a session goes, and `resume_command` how to pick a stopped session up again.
"""

from __future__ import annotations

import json
import re
import shlex
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import AnswersError
from advisor.knowledge.answers import SHOWN_PATH, cut, decode_utf8, plain_answers
from advisor.knowledge.files import (
    MAX_FILE_BYTES,
    DataError,
    Unreadable,
    parse_json,
    parse_toml,
    read_bytes,
)

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase

# -- reading --------------------------------------------------------------------------------


def read_answers_file(path: str, stdin_text: str | None = None) -> dict[str, Any]:
    """Read answers from a JSON or TOML file (`-`: standard input, either format; `stdin_text`
    stands for it when given). Files and standard input are read as strict UTF-8, at most
    `MAX_FILE_BYTES`; a pipe, device or folder named as a file is refused, not waited on."""
    if path == "-":
        text = stdin_text if stdin_text is not None else read_stdin()
        name = "<stdin>"
        formats = ["json", "toml"] if text.lstrip().startswith(("{", "[")) else ["toml", "json"]
    else:
        file = Path(path)
        name = cut(path, SHOWN_PATH)
        try:
            missing = not file.exists() and not file.is_symlink()
        except OSError as exc:  # a name too long, a loop of links: not a file to read
            raise AnswersError([f"cannot use this path ({exc.strerror or exc})"], name) from None
        if missing:
            raise AnswersError(["file not found"], name)
        try:
            raw = read_bytes(file)
        except Unreadable as exc:
            fix = (
                "an answers file is a few kilobytes: check the path"
                if "limit" in str(exc)
                else "name an answers file"
            )
            raise AnswersError([f"{exc}; {fix}"], name) from None
        text = decode_utf8(raw.removeprefix(b"\xef\xbb\xbf"), name)
        suffix = file.suffix.lower()
        if suffix == ".json":
            formats = ["json"]
        elif suffix == ".toml":
            formats = ["toml"]
        else:
            formats = ["json", "toml"] if text.lstrip().startswith("{") else ["toml", "json"]
    errors = []
    for fmt in formats:
        try:
            data: Any = parse_json(text) if fmt == "json" else parse_toml(text)
        except DataError as exc:
            raise AnswersError([f"not usable as answers: {exc}"], name) from None
        except json.JSONDecodeError as exc:
            errors.append(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
            continue
        except ValueError as exc:  # tomllib.TOMLDecodeError: tomllib is imported only for TOML
            errors.append(f"not valid TOML: {exc}")
            continue
        if not isinstance(data, dict):
            raise AnswersError(["expected an object/table mapping question ids to answers"], name)
        return _scenario_answers(data)
    raise AnswersError([errors[0]], name)


def _scenario_answers(data: dict[str, Any]) -> dict[str, Any]:
    """The `[answers]` table of a scenario file (`advisor test`), which stands for an answers
    file; any other data as it is (no answers file has an `answers` key: it is no question)."""
    answers = data.get("answers")
    if not isinstance(answers, dict) or "expect" not in data:
        return data
    from advisor.services.scenarios import TOP_KEYS  # only for a file shaped like a scenario

    return answers if data.keys() <= TOP_KEYS else data


def read_stdin() -> str:
    """Standard input decoded strictly as UTF-8 (not with the locale's surrogateescape), at most
    `MAX_FILE_BYTES` (so `--answers - < /dev/zero` stops with an error, not with all memory)."""
    if sys.stdin is None:  # started with standard input closed (`<&-`)
        raise AnswersError(["standard input is closed; name an answers file instead"], "<stdin>")
    buffer = getattr(sys.stdin, "buffer", None)
    if buffer is None:  # a text stream put in its place (an embedding program)
        text: str = sys.stdin.read(MAX_FILE_BYTES + 1)
        data = text.encode("utf-8", "surrogatepass")
    else:
        data = buffer.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        problem = f"more than the limit of {MAX_FILE_BYTES:,} bytes on standard input"
        raise AnswersError([problem], "<stdin>")
    return decode_utf8(data.removeprefix(b"\xef\xbb\xbf"), "<stdin>")


# -- writing --------------------------------------------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def toml_string(text: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = []
    for char in text:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as an answer")


def toml_key(key: str) -> str:
    return key if _BARE_KEY.match(key) else toml_string(key)


def comment_text(text: str) -> str:
    """`text` safe on one TOML comment line: a line break or other control character (which
    would end the comment, letting the rest be read as TOML, or make the file invalid) is
    written as an escape (`\\n`, `\\x1b`)."""
    return _CONTROL.sub(lambda m: _control_escape(m.group()), text)


def _control_escape(char: str) -> str:
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    code = ord(char)
    return named.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def shell_word(text: str) -> str:
    """`text` quoted for a POSIX shell, on one line: with a control character in it, as a
    `$'...'` word (bash, zsh, ksh) whose escapes stand for them; else as `shlex.quote`s."""
    if not _CONTROL.search(text):
        return shlex.quote(text)
    body = text.replace("\\", "\\\\").replace("'", "\\'")
    return "$'" + _CONTROL.sub(lambda m: _control_escape(m.group()), body) + "'"


def dump_toml(answers: Mapping[str, Any], header: Sequence[str] = ()) -> str:
    """`key = value` lines in the mapping's order, after `# ` comment lines (control characters
    in them escaped: a comment stays one line)."""
    lines = [f"# {comment_text(line)}".rstrip() for line in header] + ([""] if header else [])
    lines += [f"{toml_key(key)} = {toml_value(value)}" for key, value in answers.items()]
    return "\n".join(lines) + "\n"


def dump_answers(answers: Mapping[str, Any], path: Path, header: Sequence[str] = ()) -> str:
    """The text of an answers file for `path`: JSON for `.json`, TOML otherwise."""
    if path.suffix.lower() == ".json":
        return json.dumps(dict(answers), indent=2, ensure_ascii=False) + "\n"
    return dump_toml(answers, header)


def answers_text(
    given: Mapping[str, Any], rulebase: RuleBase, path: Path, header: Sequence[str] = ()
) -> str:
    """The answers file for `path` (JSON for `.json`, else TOML) of every given answer."""
    return dump_answers(plain_answers(given, rulebase), path, header)


def answers_header(path: Path) -> tuple[str, ...]:
    name = shell_word(str(path))
    return (
        "Answers for llm-advisor, written by `advisor ask`.",
        f"Recommend: advisor recommend --answers {name}",
        f"Change:    advisor ask --answers {name}",
    )


# -- a questionnaire session's files ---------------------------------------------------------


def partial_for(path: Path) -> Path:
    """Where a stopped session keeps its answers: `advisor-answers.toml` ->
    `advisor-answers.partial.toml`, next to the answers file."""
    stem = path.name.removesuffix(path.suffix) if path.suffix else path.name
    return path.with_name(f"{stem.removesuffix('.partial')}.partial.toml")


def partial_header(resume: str) -> tuple[str, ...]:
    return ("Unfinished answers, saved when `advisor ask` was stopped.", f"Resume: {resume}")


def free_partial(taken: Path) -> Path:
    """A partial-answers file beside `taken` that does not exist yet: NAME-2.partial.toml,
    NAME-3.partial.toml, ... (`taken` itself when a thousand are taken)."""
    stem = taken.name.removesuffix(".partial.toml")
    for n in range(2, 1002):
        candidate = taken.with_name(f"{stem}-{n}.partial.toml")
        if not candidate.exists():
            return candidate
    return taken


def resume_command(words: list[str], partial: Path | None) -> str:
    """The command that resumes: `advisor [global options] ask [options] --resume [FILE]`."""
    tail = ["--resume"] + ([str(partial)] if partial is not None else [])
    return " ".join(shell_word(word) for word in ["advisor", *words, *tail])


@dataclass
class SessionFiles:
    """Where files go: the answers, the decision record, the partial answers on interruption."""

    answers_path: Path
    answers_explicit: bool
    record_path: Path
    record_explicit: bool
    partial_path: Path
    resume_command: str
    resumed_from: Path | None = None
    stale_partial: Path | None = None  # deleted once the session is finished
    answers_saved: Path | None = None  # where the full answers were saved
    written: list[Path] = field(default_factory=list)  # every file written: never deleted
