"""Numbers typed by people: `3000`, `3 000`, `3,000`, `3000 ms`, and durations like `2 s`.

Shared by the questionnaire (validated as typed) and `--set` on the command line, so both
accept the same spellings. It runs on every keystroke in the questionnaire, so it must take time
linear in what was typed (and what was typed is refused past `MAX_TYPED` characters first).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.knowledge.questions import Question

# Digits, or digits grouped by threes with one separator (`3000`, `3 000`, `3,000`, `3_000`):
# `1,5` or `1 2 3` are not numbers a person means as 15 or 123.
_NUMBER = re.compile(r"^(\d+|\d{1,3}(?:([ _,])\d{3})(?:\2\d{3})*)$")
_DECIMAL = re.compile(r"^\d+(\.\d+)?$")
# A unit of time at the end (searched: the leftmost start that reaches the end is the longest
# unit, `2 secs` -> `secs`). One quantifier-free alternation tried at each position: linear, not
# the backtracking of `^(.*?)\s*(unit)$`, which took 16 s on `1` + 40 000 spaces + `x`.
_DURATION = re.compile(r"(?:seconds?|secs?|s|minutes?|mins?|hours?|h)\Z")

_SCALES = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1000),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60_000),
    **dict.fromkeys(("h", "hour", "hours"), 3_600_000),
}

MAX_TYPED = 40
"""The most characters a typed number may have (after trimming spaces): `1 000 000 000 ms` is 16,
so a person never needs more; longer text is refused before any pattern runs on it."""

MAX_DIGITS = 18
"""The most digits a number may have (every int64 fits; conditions allow as many): far from
Python's limit on converting digit strings (4 300 digits, a ValueError)."""


def parse_number(text: str, question: Question) -> tuple[int | None, str]:
    """A whole number typed by a person: `3000`, `3 000`, `3_000`, `3,000`, `3000 ms`; for a
    question in milliseconds also `2 s`, `1.5 min`, `1 h`. Returns (value, "") or (None, why)."""
    unit = f" of {question.unit}" if question.unit else ""
    expected = f"Enter a whole number{unit}"
    if question.unit == "ms":
        expected += " (or seconds: 2 s)"
    low, high = question.minimum, question.maximum
    if low is not None and high is not None:
        expected += f" from {low:_} to {high:_}".replace("_", " ")
    elif low is not None:
        expected += f" of at least {low:_}".replace("_", " ")
    cleaned = text.strip().lower()
    if len(cleaned) > MAX_TYPED:
        return None, f"{expected}: {len(cleaned)} characters is too long for a number"
    scale = 1
    match = _DURATION.search(cleaned) if question.unit == "ms" else None
    if question.unit and cleaned.endswith(question.unit):
        cleaned = cleaned[: -len(question.unit)].strip()
    elif match:
        cleaned, scale = cleaned[: match.start()].strip(), _SCALES[match.group()]
    digits = re.sub(r"[_, ]", "", cleaned)
    if not _NUMBER.match(cleaned) and not (scale > 1 and _DECIMAL.match(cleaned)):
        return None, expected
    if sum(char.isdigit() for char in digits) > MAX_DIGITS:
        return None, f"{expected}: that number is too large"
    number = float(digits) * scale if scale > 1 else int(digits)
    if number != int(number):
        return None, expected
    value = int(number)
    if (low is not None and value < low) or (high is not None and value > high):
        return None, expected
    return value, ""
