"""`advisor lint`: exact checks over the whole answer space, through the real console script."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from advisor.knowledge.loader import default_rulebase

RunCli = Callable[..., Any]


def _cite() -> str:
    """A citation that exists in the shipped knowledge base (whatever the rules say today)."""
    return default_rulebase().rules[0].cite[0]


def _add_rule(rules: Path, text: str) -> None:
    with (rules / "zz_injected.toml").open("w", encoding="utf-8") as out:
        out.write(text.replace("CITE", _cite()))


def _lint(run_cli: RunCli, rules: Path, kb: Path, *extra: str) -> Any:
    return run_cli("--rules", str(rules), "--kb", str(kb), "lint", *extra)


def _diagnostics(run_cli: RunCli, rules: Path, kb: Path) -> list[dict[str, Any]]:
    result = _lint(run_cli, rules, kb, "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    found: list[dict[str, Any]] = json.loads(result.stdout)
    return found


def test_shipped_rules_have_no_errors(run_cli: RunCli) -> None:
    result = run_cli("lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error:" not in result.stdout
    assert "0 error(s)" in result.stderr


def test_dead_rule_is_an_error_located_at_the_rule(
    run_cli: RunCli, rules_copy: tuple[Path, Path]
) -> None:
    rules, kb = rules_copy
    _add_rule(
        rules,
        """
[[rule]]
id = "never_fires"
when = "knowledge == general and knowledge != general"
then = "tactic:few_shot"
because = "Impossible."
cite = ["CITE"]
""",
    )
    result = _lint(run_cli, rules, kb)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if "never_fires" in line]
    assert len(lines) == 1
    assert "zz_injected.toml:3:never_fires: error: dead-rule:" in lines[0]


def test_orphan_retriever_is_an_error_with_a_counter_example(
    run_cli: RunCli, rules_copy: tuple[Path, Path]
) -> None:
    rules, kb = rules_copy
    _add_rule(
        rules,
        """
[[rule]]
id = "keyword_without_rag"
when = "knowledge == general"
then = "retriever:keyword"
because = "Keyword search for general knowledge."
cite = ["CITE"]
""",
    )
    found = [d for d in _diagnostics(run_cli, rules, kb) if d["rule"] == "keyword_without_rag"]
    assert [(d["code"], d["severity"]) for d in found] == [("orphan-retriever", "error")]
    assert "knowledge = general" in found[0]["message"]
    assert found[0]["location"].endswith("zz_injected.toml:3:keyword_without_rag")
    assert _lint(run_cli, rules, kb).returncode == 1


def test_missing_baseline_is_an_error(run_cli: RunCli, rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    for path in rules.glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace('"technique:prompt_engineering"', '"note:prompt_engineering"'),
            encoding="utf-8",
        )
    codes = {d["code"] for d in _diagnostics(run_cli, rules, kb)}
    assert "no-baseline" in codes


def test_reading_an_unreached_question_is_a_warning_and_strict_fails(
    run_cli: RunCli, rules_copy: tuple[Path, Path]
) -> None:
    rules, kb = rules_copy
    _add_rule(
        rules,
        """
[[rule]]
id = "tables_without_guard"
when = "data_shapes has tables"
then = "finding:tables_seen"
severity = "info"
because = "Tables."
cite = ["CITE"]
""",
    )
    found = [d for d in _diagnostics(run_cli, rules, kb) if d["rule"] == "tables_without_guard"]
    assert [(d["code"], d["severity"]) for d in found] == [("unreached-read", "warning")]
    assert "data_shapes not asked" in found[0]["message"]
    errors = [d for d in _diagnostics(run_cli, rules, kb) if d["severity"] == "error"]
    if not errors:  # warnings alone pass, unless --strict
        assert _lint(run_cli, rules, kb).returncode == 0
        assert _lint(run_cli, rules, kb, "--strict").returncode == 1


def test_a_rule_base_that_does_not_load_exits_2(
    run_cli: RunCli, rules_copy: tuple[Path, Path]
) -> None:
    rules, kb = rules_copy
    _add_rule(rules, "[[rule]]\nid = 'broken'\nwhen = 'knowledge =='\n")
    result = _lint(run_cli, rules, kb)
    assert result.returncode == 2
    assert "zz_injected.toml" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_output_is_deterministic(run_cli: RunCli, fmt: str) -> None:
    first = run_cli("lint", "--format", fmt)
    second = run_cli("lint", "--format", fmt)
    assert first.stdout == second.stdout


def test_a_kb_page_without_a_real_review_date_is_a_warning(
    run_cli: RunCli, rules_copy: tuple[Path, Path]
) -> None:
    rules, kb = rules_copy
    for name, replacement in (("rag.md", "Last reviewed: 2026-02-30"), ("combining.md", "")):
        page = kb / name
        lines = page.read_text(encoding="utf-8").splitlines(keepends=True)
        page.write_text(
            "".join(
                replacement + "\n" if line.startswith("Last reviewed:") else line for line in lines
            ),
            encoding="utf-8",
        )
    found = {
        d["file"]: d["message"]
        for d in _diagnostics(run_cli, rules, kb)
        if d["code"] == "kb-page-unreviewed"
    }
    assert found == {
        "kb/combining.md": "there is no 'Last reviewed: YYYY-MM-DD' line: say under the title "
        "when the page's figures were last checked",
        "kb/rag.md": "'Last reviewed: 2026-02-30' is not a real date: say under the title when "
        "the page's figures were last checked",
    }
    assert _lint(run_cli, rules, kb, "--strict").returncode == 1
