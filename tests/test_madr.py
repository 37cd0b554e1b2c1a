"""Decision records follow MADR 4, so other ADR tools accept them: file names, sections, bullets.

Checked on every golden record (tests/golden/*.md): the required sections in MADR's order, the
"Chosen option: "...", because ..." sentence naming one of the considered options, `*` bullets
only, YAML front matter with a MADR status; and the questionnaire's default file name,
`docs/decisions/NNNN-title-with-dashes.md` with the next free number.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisor.services.record_names import (
    DECISIONS_DIR,
    FILE_NAME,
    first_record_path,
    next_number,
    next_record_path,
    record_file_name,
    slug,
)

GOLDEN = sorted((Path(__file__).parent / "golden").glob("*.md"))
REQUIRED = ["Context and Problem Statement", "Considered Options", "Decision Outcome"]
OPTIONAL = ["Decision Drivers", "Pros and Cons of the Options", "More Information"]
MADR_ORDER = [
    "Context and Problem Statement",
    "Decision Drivers",
    "Considered Options",
    "Decision Outcome",
    "Pros and Cons of the Options",
    "More Information",
]
STATUSES = {"proposed", "rejected", "accepted", "deprecated", "superseded"}


def _outside_code(text: str) -> list[str]:
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        if not fenced:
            lines.append(line)
    return lines


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_record_follows_madr_4(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    front, body = re.fullmatch(r"---\n(.*?)\n---\n(.*)", text, re.S).groups()  # type: ignore[union-attr]
    status = re.search(r"^status: (\S+)$", front, re.M)
    assert status and status.group(1) in STATUSES
    assert re.search(r"^date: \d{4}-\d{2}-\d{2}$", front, re.M)
    lines = _outside_code(body)
    assert sum(line.startswith("# ") for line in lines) == 1  # one title
    sections = [line[3:].strip() for line in lines if line.startswith("## ")]
    for name in REQUIRED:
        assert name in sections, (path.name, name)
    known = [s for s in sections if s in MADR_ORDER]
    assert known == sorted(known, key=MADR_ORDER.index), sections
    options = _section(lines, "Considered Options")
    listed = [re.sub(r"^\* ", "", line).strip() for line in options if line.startswith("* ")]
    assert len(listed) >= 2
    for name in sections:  # madrlint MADR02: no empty section
        assert any(line.strip() for line in _section(lines, name)), (path.name, name)
    outcome = [line for line in _section(lines, "Decision Outcome") if line.strip()]
    # madrlint MADR03/04: the sentence opens the Decision Outcome
    chosen = re.match(r'Chosen option: "([^"]+)", because \S', outcome[0])
    assert chosen, outcome[0]
    assert chosen.group(1) in listed
    bullets = [line for line in lines if re.match(r"^\s*[-+*] ", line)]
    assert bullets and all(line.lstrip().startswith("* ") for line in bullets), [
        line for line in bullets if not line.lstrip().startswith("* ")
    ][:3]


def _section(lines: list[str], name: str) -> list[str]:
    start = lines.index(f"## {name}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def test_file_names_are_madr_names(tmp_path: Path) -> None:
    assert FILE_NAME.match(first_record_path().name)
    assert first_record_path().parent == DECISIONS_DIR == Path("docs", "decisions")
    assert record_file_name(12, "Use RAG + Prompts, v2!") == "0012-use-rag-prompts-v2.md"
    assert slug("  ") == "decision"
    folder = tmp_path / "decisions"
    assert next_number(folder) == 1  # missing folder: the log starts at 0001
    folder.mkdir()
    for name in ("0001-first.md", "0007-seventh.md", "README.md", "12-short.md", "notes-0009.md"):
        (folder / name).write_text("x")
    assert next_number(folder) == 8
    path = next_record_path(folder)
    assert path.name == "0008-choose-prompt-engineering-rag-or-fine-tuning.md"
    assert FILE_NAME.match(path.name)
