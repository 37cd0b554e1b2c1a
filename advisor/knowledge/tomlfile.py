"""Reading declarative TOML files with error messages that name the file and the place."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from advisor.errors import RuleFileError


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Return the parsed table and the raw text (kept to find line numbers for later errors).

    A byte-order mark at the start (some Windows editors write one) is dropped: TOML does not
    allow it, and the message tomllib gives for it ("Invalid statement (at line 1, column 1)")
    does not say what is wrong. Hostile files give RuleFileError too, never a Python error: an
    integer longer than Python converts (4 300 digits by default, a ValueError), arrays or
    tables nested thousands deep (tomllib recurses: RecursionError, or MemoryError).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(str(path), "", f"cannot read the file ({exc})") from None
    text = text.removeprefix("\ufeff")
    import tomllib  # only when a file is parsed: a warm disk cache parses none

    from advisor.knowledge.files import DataError, check_toml_dots

    try:
        check_toml_dots(text)
    except DataError as exc:
        raise RuleFileError(str(path), "", str(exc)) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(str(path), "", f"not valid TOML: {exc}") from None
    except ValueError:  # after TOMLDecodeError, which is a ValueError too
        limit = sys.get_int_max_str_digits()
        raise RuleFileError(
            str(path), "", f"a number is too large (integers have at most {limit} digits)"
        ) from None
    except (RecursionError, MemoryError):
        raise RuleFileError(
            str(path), "", "nested too deeply (arrays or tables inside each other)"
        ) from None


_ID_LINE = re.compile(r"""^\s*id\s*=\s*["']([^"']*)["']""", re.MULTILINE)


def id_lines(text: str) -> dict[str, int]:
    """Where each `id = "..."` is written (first occurrence), found in one pass over the file."""
    lines: dict[str, int] = {}
    line, position = 1, 0
    for match in _ID_LINE.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        lines.setdefault(match.group(1), line)
    return lines


def place(kind: str, item_id: object, index: int, lines: dict[str, int]) -> str:
    """A location like `line 12, rule 'rag_needed'` (or `rule #3` when the id is missing)."""
    if isinstance(item_id, str) and item_id:
        line = lines.get(item_id)
        prefix = f"line {line}, " if line else ""
        return f"{prefix}{kind} '{item_id}'"
    return f"{kind} #{index + 1}"


def table_problem(
    entry: object, what: str, allowed: set[str], required: tuple[str, ...] = ()
) -> str | None:
    """What is wrong with one `[[what]]` table (not a table, an unknown key, a required key that
    is not a non-empty string), in words; None when nothing is."""
    if not isinstance(entry, dict):
        return f"a [[{what}]] entry must be a table"
    unknown = set(entry) - allowed
    if unknown:
        return (
            f"unknown key(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})"
        )
    for key in required:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            return f"'{key}' is required and must be a non-empty string"
    return None
