"""Text bound for a terminal, made harmless: no control or bidi-override character reaches it raw.

Packs, records and answers are other people's text, and a terminal acts on some characters
instead of showing them: ESC starts sequences that clear the screen, move the cursor or write to
the clipboard (OSC 52), and the bidirectional overrides (U+202A-U+202E, U+2066-U+2069) reorder
what is shown so that a line reads differently from what it says. `visible()` replaces each such
character with its `\\uXXXX` escape (also valid inside a JSON string, so JSON output keeps its
meaning), keeping line breaks and tabs. Every line the CLI prints goes through it; the ANSI styles
the text renderer adds itself are applied afterwards.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
    "\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)


def visible(text: str) -> str:
    """`text` with every control, bidi and invisible formatting character escaped."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
