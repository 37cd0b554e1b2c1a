"""The knowledge base parser: GitHub anchors, sections, summaries; the shipped pages' form."""

from __future__ import annotations

from pathlib import Path

import pytest

from advisor.knowledge.kb import github_anchor, load_kb, parse_page, split_ref
from advisor.knowledge.rulebase import RuleBase


@pytest.mark.parametrize(
    ("title", "anchor"),
    [
        ("Chain-of-thought for multi-step reasoning", "chain-of-thought-for-multi-step-reasoning"),
        ("Evaluating retrieval: four metrics", "evaluating-retrieval-four-metrics"),
        ("C++ & Rust", "c--rust"),
        ("Re-ranking to a top-k", "re-ranking-to-a-top-k"),
        ("snake_case stays", "snake_case-stays"),
        ("Caf\u00e9 (2024)", "caf\u00e9-2024"),
    ],
)
def test_github_anchors(title: str, anchor: str) -> None:
    assert github_anchor(title) == anchor


def test_sections_duplicates_and_summaries(tmp_path: Path) -> None:
    page = tmp_path / "topic.md"
    page.write_text(
        "# Topic\n\nLast reviewed: 2026-01-02\n\nIntro with a [link](https://example.org).\n\n"
        "## Same\n\nFirst *paragraph*.\n\nSecond.\n\n## Same\n\n- item one\n- item two\n"
    )
    sections = parse_page(page)
    assert [s.ref for s in sections] == [
        "kb/topic.md#topic",
        "kb/topic.md#same",
        "kb/topic.md#same-1",
    ]
    assert sections[0].summary == "Intro with a link."
    assert sections[0].reviewed == "2026-01-02"
    assert sections[1].summary == "First paragraph."
    assert sections[1].text == "First paragraph.\n\nSecond."
    assert sections[2].summary == "item one"
    assert sections[1].line == 7


def test_split_ref() -> None:
    assert split_ref("kb/rag.md#when-retrieval-is-the-answer") == (
        "rag.md",
        "when-retrieval-is-the-answer",
    )
    assert split_ref("rag.md#x") is None
    assert split_ref("kb/rag.md") is None


def test_shipped_pages_have_a_title_a_review_date_and_summaries(rulebase: RuleBase) -> None:
    pages = {s.file for s in rulebase.kb.values()}
    assert len(pages) >= 5
    for section in rulebase.kb.values():
        assert section.reviewed, f"{section.file} has no 'Last reviewed:' line"
        if section.level == 2:
            assert section.summary, f"{section.ref} has no first paragraph to quote"


def test_missing_kb_folder(tmp_path: Path) -> None:
    from advisor.errors import KnowledgeBaseError

    with pytest.raises(KnowledgeBaseError, match="knowledge-base folder not found"):
        load_kb(tmp_path / "nope")
