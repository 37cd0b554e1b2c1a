"""The knowledge base: `kb/*.md` parsed with markdown-it-py into citable sections.

A section is addressed as `kb/<file>.md#<anchor>`, with GitHub's heading anchors, so the same link
works in the repository, on a forge and in generated decision records. The first paragraph of a
section is its summary: recommendations quote it as the justification for a cited rule.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.errors import KnowledgeBaseError

if TYPE_CHECKING:
    from markdown_it.token import Token

REF_PREFIX = "kb/"
_REF = re.compile(r"^kb/(?P<file>[A-Za-z0-9_.-]+\.md)#(?P<anchor>[^\s#]+)$")
_REVIEWED = re.compile(r"^Last reviewed:\s*(\d{4}-\d{2}-\d{2})\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Section:
    """One heading of a kb page and the text under it (up to the next heading)."""

    ref: str
    file: str
    anchor: str
    title: str
    level: int
    line: int
    summary: str
    text: str
    page_title: str
    reviewed: str


def github_anchor(title: str) -> str:
    """GitHub's heading slug: lower case, punctuation dropped, spaces to hyphens."""
    text = unicodedata.normalize("NFC", title).strip().lower()
    text = "".join(ch for ch in text if ch in " -_" or unicodedata.category(ch)[0] in "LNM")
    return text.replace(" ", "-")


def split_ref(ref: str) -> tuple[str, str] | None:
    """`kb/file.md#anchor` -> (file, anchor), or None when the form is wrong."""
    match = _REF.match(ref)
    return (match["file"], match["anchor"]) if match else None


def parse_page(path: Path, text: str | None = None) -> list[Section]:
    """Sections of one page, with unique anchors (GitHub's `-1`, `-2` suffixes)."""
    from markdown_it import MarkdownIt

    if text is None:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise KnowledgeBaseError(str(path), "", f"cannot read the file ({exc})") from None
    tokens = MarkdownIt("commonmark").parse(text)
    headings = [(i, t) for i, t in enumerate(tokens) if t.type == "heading_open"]
    if not headings or headings[0][1].tag != "h1":
        raise KnowledgeBaseError(
            str(path), "line 1", "a kb page must start with a '# Title' heading"
        )
    if sum(1 for _, t in headings if t.tag == "h1") > 1:
        line = next(t.map[0] + 1 for _, t in headings[1:] if t.tag == "h1" and t.map)
        raise KnowledgeBaseError(str(path), f"line {line}", "only one '# Title' heading per page")
    reviewed_match = _REVIEWED.search(text)
    reviewed = reviewed_match.group(1) if reviewed_match else ""
    page_title = tokens[headings[0][0] + 1].content.strip()
    seen: dict[str, int] = {}
    sections: list[Section] = []
    for n, (index, token) in enumerate(headings):
        title = tokens[index + 1].content.strip()
        base = github_anchor(title)
        count = seen.get(base, 0)
        seen[base] = count + 1
        anchor = base if count == 0 else f"{base}-{count}"
        end = headings[n + 1][0] if n + 1 < len(headings) else len(tokens)
        body = tokens[index + 3 : end]
        paragraphs = _paragraphs(body)
        summary = next((p for p in paragraphs if not p.startswith("Last reviewed:")), "")
        sections.append(
            Section(
                ref=f"{REF_PREFIX}{path.name}#{anchor}",
                file=path.name,
                anchor=anchor,
                title=title,
                level=int(token.tag[1]),
                line=(token.map[0] + 1) if token.map else 0,
                summary=summary,
                text="\n\n".join(paragraphs),
                page_title=page_title,
                reviewed=reviewed,
            )
        )
    return sections


def _paragraphs(tokens: list[Token]) -> list[str]:
    """Plain text of the paragraphs and list items, links reduced to their text."""
    out: list[str] = []
    for token in tokens:
        if token.type == "inline" and token.children is not None:
            parts = []
            for child in token.children:
                if child.type in ("text", "code_inline"):
                    parts.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    parts.append(" ")
            plain = "".join(parts).strip()
            if plain:
                out.append(plain)
    return out


def load_kb(directory: Path) -> dict[str, Section]:
    """Every section of every page, keyed by its `kb/<file>.md#<anchor>` reference."""
    if not directory.is_dir():
        raise KnowledgeBaseError(str(directory), "", "knowledge-base folder not found")
    sections: dict[str, Section] = {}
    for path in sorted(directory.glob("*.md")):
        for section in parse_page(path):
            sections[section.ref] = section
    if not sections:
        raise KnowledgeBaseError(str(directory), "", "no kb/*.md pages found")
    return sections
