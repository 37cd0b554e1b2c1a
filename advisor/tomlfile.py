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


def line_of_id(text: str, item_id: str) -> int | None:
    """The line where `id = "<item_id>"` is written, so errors can point at it."""
    pattern = re.compile(r'^\s*id\s*=\s*["\']' + re.escape(item_id) + r'["\']', re.MULTILINE)
    match = pattern.search(text)
    return text.count("\n", 0, match.start()) + 1 if match else None


def place(kind: str, item_id: object, index: int, text: str) -> str:
    """A location like `line 12, rule 'rag_needed'` (or `rule #3` when the id is missing)."""
    if isinstance(item_id, str) and item_id:
        line = line_of_id(text, item_id)
        prefix = f"line {line}, " if line else ""
        return f"{prefix}{kind} '{item_id}'"
    return f"{kind} #{index + 1}"
