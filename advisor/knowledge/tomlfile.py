"""Reading declarative TOML files with error messages that name the file and the place."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from advisor.errors import RuleFileError


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Return the parsed table and the raw text (kept to find line numbers for later errors)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleFileError(str(path), "", f"cannot read the file ({exc})") from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        raise RuleFileError(str(path), "", f"not valid TOML: {exc}") from None


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
