"""Where the questionnaire reads keys and writes text, and whether it may use colour.

Bundling the streams lets tests drive the real prompts through prompt_toolkit's pipe input and
capture everything printed, and keeps the colour decision (NO_COLOR, --no-color, not a terminal)
in one place.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from dataclasses import dataclass, field
from typing import Any, TextIO

MAX_WIDTH = 80
MIN_WIDTH = 40
_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def wants_color(stream: TextIO, no_color_flag: bool = False) -> bool:
    """Colour only on a terminal, and never with --no-color or NO_COLOR set (no-color.org)."""
    if no_color_flag or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def terminal_width(stream: TextIO) -> int:
    """The text width: the terminal's, capped at 80 columns (and at least 40)."""
    columns = shutil.get_terminal_size((MAX_WIDTH, 24)).columns if stream.isatty() else MAX_WIDTH
    return max(MIN_WIDTH, min(MAX_WIDTH, columns))


@dataclass
class Terminal:
    """Text goes to `out`, messages to `err`; `keys_in`/`screen` are prompt_toolkit's Input and
    Output (None: the real terminal)."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    color: bool = False
    width: int = MAX_WIDTH
    keys_in: Any = None
    screen: Any = None

    def prompt_options(self) -> dict[str, Any]:
        """Keyword arguments for every questionary / prompt_toolkit prompt."""
        from prompt_toolkit.output import ColorDepth

        options: dict[str, Any] = {"erase_when_done": True}
        if self.keys_in is not None:
            options["input"] = self.keys_in
        if self.screen is not None:
            options["output"] = self.screen
        if not self.color:
            options["color_depth"] = ColorDepth.MONOCHROME
        return options

    def paint(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def take_back(self, lines: int) -> None:
        """Erase the last `lines` one-row lines printed (only on a real terminal)."""
        if lines > 0 and self.out.isatty():
            self.out.write("\033[1A\033[2K" * lines)
            self.out.flush()

    def fit(self, text: str, width: int | None = None) -> str:
        """Cut `text` to one row, with an ellipsis when something was cut."""
        room = (width or self.width) - 1
        return text if len(text) <= room else text[: room - 1].rstrip() + "…"

    def wrap(self, text: str, indent: str = "", rest: str | None = None) -> list[str]:
        """`text` wrapped at word boundaries to the width; a word longer than a line (a path)
        stays whole on its own line rather than being cut in two."""
        return textwrap.wrap(
            text,
            self.width,
            initial_indent=indent,
            subsequent_indent=indent if rest is None else rest,
            break_on_hyphens=False,
            break_long_words=False,
        ) or [indent.rstrip()]
