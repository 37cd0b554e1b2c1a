"""Writing answers back to a file that `advisor recommend --answers` and `advisor ask` read.

TOML is written by hand (the standard library reads TOML but does not write it); the values are
flat (strings, booleans, integers, lists of strings), so a small writer with correct string
escaping is enough. Keys follow the question order, so the same answers give the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
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


def dump_toml(answers: Mapping[str, Any], header: Sequence[str] = ()) -> str:
    """`key = value` lines in the mapping's order, after `# ` comment lines."""
    lines = [f"# {line}".rstrip() for line in header] + ([""] if header else [])
    lines += [f"{toml_key(key)} = {toml_value(value)}" for key, value in answers.items()]
    return "\n".join(lines) + "\n"


def dump_answers(answers: Mapping[str, Any], path: Path, header: Sequence[str] = ()) -> str:
    """The text of an answers file for `path`: JSON for `.json`, TOML otherwise."""
    if path.suffix.lower() == ".json":
        return json.dumps(dict(answers), indent=2, ensure_ascii=False) + "\n"
    return dump_toml(answers, header)
