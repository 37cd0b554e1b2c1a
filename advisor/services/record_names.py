"""MADR 4 file names for decision records: `NNNN-title-with-dashes.md` in `docs/decisions/`.

The questionnaire offers the next free number in the project's `docs/decisions/` (one more than
the highest `NNNN-` file there, 0001 in an empty or missing folder), so a record lands where
MADR, adr-tools-style tools and log generators look for it.
"""

from __future__ import annotations

import re
from pathlib import Path

DECISIONS_DIR = Path("docs", "decisions")
RECORD_TITLE = "choose-prompt-engineering-rag-or-fine-tuning"
"""The slug of the advisor's records: the question they decide."""
FILE_NAME = re.compile(r"^(\d{4})-[a-z0-9]+(?:-[a-z0-9]+)*\.md$")
_NUMBERED = re.compile(r"^(\d{4,})-")


def slug(title: str) -> str:
    """`title` as MADR's title-with-dashes: lower case, runs of other characters as one dash."""
    words = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return words or "decision"


def next_number(folder: Path) -> int:
    """One more than the highest `NNNN-` number of a file in `folder` (1 when there is none)."""
    try:
        names = [p.name for p in folder.iterdir()]
    except OSError:  # missing, not a folder, unreadable: start the log
        return 1
    numbers = [int(m.group(1)) for m in map(_NUMBERED.match, names) if m]
    return max(numbers, default=0) + 1


def record_file_name(number: int, title: str = RECORD_TITLE) -> str:
    """`0007-choose-prompt-engineering-rag-or-fine-tuning.md`."""
    return f"{number:04d}-{slug(title)}.md"


def next_record_path(folder: Path = DECISIONS_DIR, title: str = RECORD_TITLE) -> Path:
    """Where the next decision record goes: the next free number in `folder`."""
    return folder / record_file_name(next_number(folder), title)


def first_record_path() -> Path:
    """The first record of an empty decision log: `docs/decisions/0001-....md`."""
    return DECISIONS_DIR / record_file_name(1)
