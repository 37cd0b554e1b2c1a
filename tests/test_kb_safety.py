"""Knowledge-base pages are read safely: in their folder, regular files, GitHub's anchors."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import ADVISOR

import advisor
from advisor.errors import KnowledgeBaseError, RuleFileError
from advisor.knowledge.kb import parse_page

PAGE = "# Page\n\nIntro.\n\n## Foo\n\nFirst.\n\n## Foo\n\nSecond.\n\n## Foo 1\n\nThird.\n"


def test_repeated_headings_get_githubs_anchors(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(PAGE + "\n## Foo\n\nFourth.\n")
    anchors = [s.anchor for s in parse_page(page)]
    # GitHub: the third heading's own slug 'foo-1' is taken, so it becomes 'foo-1-1'
    assert anchors == ["page", "foo", "foo-1", "foo-1-1", "foo-2"]
    assert len(set(anchors)) == len(anchors)  # every section can be cited


def test_a_kb_link_leaving_the_folder_is_refused(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    secret = kb.parent / "secret.md"
    secret.write_text("# Secret\n\nPrivate key material.\n")
    os.symlink(secret, kb / "zz-secret.md")
    with pytest.raises(KnowledgeBaseError, match="outside") as caught:
        advisor.load_rulebase(rules, kb)
    assert "zz-secret.md" in str(caught.value)


def test_a_kb_link_inside_the_folder_is_read(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    (kb / "zz-own.md").write_text("# Own page\n\nText.\n")
    os.symlink(kb / "zz-own.md", kb / "zz-alias.md")
    loaded = advisor.load_rulebase(rules, kb)
    assert "kb/zz-alias.md#own-page" in loaded.kb


def test_a_fifo_as_a_kb_page_is_refused_not_waited_on(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    os.mkfifo(kb / "zz-pipe.md")
    result = subprocess.run(
        [ADVISOR, "--rules", str(rules), "--kb", str(kb), "lint"],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "ADVISOR_NO_CACHE": "1"},
    )
    assert result.returncode == 2
    assert "zz-pipe.md" in result.stderr and "not a regular file" in result.stderr


def test_a_huge_kb_page_is_refused(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    with (kb / "zz-huge.md").open("w") as out:
        out.write("# Huge\n\n")
        out.write("word " * (1024 * 1024))
    with pytest.raises(KnowledgeBaseError, match="more than the limit"):
        advisor.load_rulebase(rules, kb)


def test_load_rulebase_with_a_wrong_type_is_a_clear_error() -> None:
    with pytest.raises(RuleFileError, match="rules_dir must be a folder path"):
        advisor.load_rulebase(5)  # type: ignore[arg-type]


def test_a_rule_base_over_the_rule_limit_is_refused(rules_copy: tuple[Path, Path]) -> None:
    from advisor.knowledge.loader import MAX_RULES

    rules, kb = rules_copy
    cite = "kb/prompt-engineering.md#start-with-prompts-and-evals"
    entry = (
        '[[rule]]\nid = "r{n}"\nwhen = "true"\nthen = "tactic:few_shot"\n'
        'because = "b"\ncite = ["{c}"]\n'
    )
    for part in range(2):
        text = "".join(entry.format(n=f"{part}_{n}", c=cite) for n in range(MAX_RULES // 2 + 1))
        (rules / f"zz_many_{part}.toml").write_text(text)
    with pytest.raises(RuleFileError, match="more than the limit of 20,000"):
        advisor.load_rulebase(rules, kb)
