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
from advisor.knowledge.files import TooLarge, Unreadable, read_text

if TYPE_CHECKING:
    from markdown_it.token import Token

REF_PREFIX = "kb/"
_REF = re.compile(r"^kb/(?P<file>[A-Za-z0-9_.-]+\.md)#(?P<anchor>[^\s#]+)$")
_REVIEWED = re.compile(r"^Last reviewed:\s*(\d{4}-\d{2}-\d{2})\s*$", re.MULTILINE)
MAX_PAGE_BYTES = 256 * 1024
"""The largest kb page read (256 KiB; the largest shipped page is 53 KiB). markdown-it-py
reads ordinary text at about 1 µs a character, but runs of unclosed brackets (`[[[[`, `![![`)
at up to 20 µs, so a page is bounded well below the 4 MiB of other files: at most about
5 seconds whatever it holds."""


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


class AnchorSlugger:
    """Unique anchors for the headings of one page, exactly as GitHub makes them (its
    github-slugger): a repeated slug gets `-1`, `-2`, ... and a suffixed slug that is itself
    taken (a later heading "Foo 1" after two "Foo") is suffixed again (`foo-1-1`)."""

    def __init__(self) -> None:
        self.occurrences: dict[str, int] = {}

    def slug(self, title: str) -> str:
        original = result = github_anchor(title)
        while result in self.occurrences:
            self.occurrences[original] += 1
            result = f"{original}-{self.occurrences[original]}"
        self.occurrences[result] = 0
        return result


def parse_page(path: Path, text: str | None = None, folder: Path | None = None) -> list[Section]:
    """Sections of one page, with GitHub's unique anchors (`AnchorSlugger`).

    `folder`: the kb folder the page must stay in (a symbolic link leaving it is refused).
    `text`: the page already read (packs read it with the same MAX_PAGE_BYTES limit).
    """
    from markdown_it import MarkdownIt

    if text is None:
        try:
            text = read_text(path, inside=folder, limit=MAX_PAGE_BYTES)
        except TooLarge as exc:
            raise KnowledgeBaseError(str(path), "", f"{exc} for a kb page; split it") from None
        except Unreadable as exc:
            raise KnowledgeBaseError(str(path), "", f"{exc}; remove it or replace it") from None
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
    slugger = AnchorSlugger()
    sections: list[Section] = []
    for n, (index, token) in enumerate(headings):
        title = tokens[index + 1].content.strip()
        anchor = slugger.slug(title)
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
        for section in parse_page(path, folder=directory):
            sections[section.ref] = section
    if not sections:
        raise KnowledgeBaseError(str(directory), "", "no kb/*.md pages found")
    return sections
