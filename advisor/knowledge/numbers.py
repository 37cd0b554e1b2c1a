"""Numbers typed by people: `3000`, `3 000`, `3,000`, `3000 ms`, and durations like `2 s`.

Shared by the questionnaire (validated as typed) and `--set` on the command line, so both
accept the same spellings.
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
_DURATION = re.compile(r"^(.*?)\s*(s|sec|secs|seconds?|min|mins|minutes?|h|hours?)$")
_SCALES = {
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 1000),
    **dict.fromkeys(("min", "mins", "minute", "minutes"), 60_000),
    **dict.fromkeys(("h", "hour", "hours"), 3_600_000),
}


def parse_number(text: str, question: Question) -> tuple[int | None, str]:
    """A whole number typed by a person: `3000`, `3 000`, `3_000`, `3,000`, `3000 ms`; for a
    question in milliseconds also `2 s`, `1.5 min`, `1 h`. Returns (value, "") or (None, why)."""
    cleaned = text.strip().lower()
    scale = 1
    match = _DURATION.match(cleaned) if question.unit == "ms" else None
    if question.unit and cleaned.endswith(question.unit):
        cleaned = cleaned[: -len(question.unit)].strip()
    elif match:
        cleaned, scale = match.group(1).strip(), _SCALES[match.group(2)]
    unit = f" of {question.unit}" if question.unit else ""
    expected = f"Enter a whole number{unit}"
    if question.unit == "ms":
        expected += " (or seconds: 2 s)"
    low, high = question.minimum, question.maximum
    if low is not None and high is not None:
        expected += f" from {low:_} to {high:_}".replace("_", " ")
    elif low is not None:
        expected += f" of at least {low:_}".replace("_", " ")
    digits = re.sub(r"[_, ]", "", cleaned)
    if not _NUMBER.match(cleaned) and not (scale > 1 and _DECIMAL.match(cleaned)):
        return None, expected
    number = float(digits) * scale if scale > 1 else int(digits)
    if number != int(number):
        return None, expected
    value = int(number)
    if (low is not None and value < low) or (high is not None and value > high):
        return None, expected
    return value, ""
