"""Scenario suite: one TOML file per public case in tests/scenarios/, answers -> expected advice.

The format and the checks live in the library (`advisor.services.scenarios`), which `advisor
test` runs too: each scenario here goes through the same `check_scenario`, and the whole folder
through the real `advisor test` command once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import advisor
from advisor.engine.assemble import plain
from advisor.engine.decide import decide
from advisor.knowledge.rulebase import RuleBase
from advisor.services.scenarios import (
    ScenarioError,
    check_scenario,
    citations,
    load_scenario,
    report,
)

SCENARIOS = Path(__file__).parent / "scenarios"
FILES = sorted(SCENARIOS.glob("*.toml"))


def test_there_are_enough_scenarios() -> None:
    assert len(FILES) >= 30


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('retrievers = ["vector"]\nfinding = []', "unknown [expect] key(s) ['finding']"),
        ('reranker = "yes"', "reranker is true/false"),
        ('tactics = "few_shot"', "tactics must be a list of strings"),
        ("", "needs at least one 'cites' entry"),
    ],
)
def test_a_malformed_scenario_fails_loudly(tmp_path: Path, text: str, message: str) -> None:
    cites = 'cites = ["kb/rag.md#when-retrieval-is-the-answer"]\n' if text else ""
    path = tmp_path / "bad.toml"
    path.write_text(
        'description = "x"\nsource = "https://example.org/"\n[answers]\n'
        f'knowledge = "general"\n[expect]\ntechniques = []\n{cites}{text}\n',
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError, match=re.escape(message)) as caught:
        load_scenario(path)
    assert str(path) in str(caught.value)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario(path: Path, rulebase: RuleBase) -> None:
    scenario = load_scenario(path)
    mismatches = check_scenario(scenario, rulebase)
    assert not mismatches, "\n".join(report(scenario, mismatches))
    data = plain(decide(scenario.answers, rulebase))
    for ref in citations(data):
        assert ref in rulebase.kb, f"citation '{ref}' does not resolve to a kb section"
    for source in data["sources"]:
        assert source["excerpt"], f"{source['ref']} has no excerpt to quote"


def test_the_suite_passes_through_advisor_test(run_cli: Callable[..., Any]) -> None:
    result = run_cli("test", str(SCENARIOS))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(FILES)} scenarios (rules " in result.stdout
    assert f"{len(FILES)} passed, 0 failed, 0 malformed" in result.stdout


# --------------------------------------------------------------------------- the real CLI

CLI_CASES = [
    "support_bot_docs_and_part_numbers",
    "companion_persona_open_weights",
    "inline_code_completion_sub_300ms",
    "fine_tune_the_docs_in",
    "reasoning_base_model_fails",
]


def _write_answers(path: Path, answers: dict[str, Any]) -> Path:
    path.write_text(json.dumps(answers), encoding="utf-8")
    return path


def _rationale_lines(text: str) -> set[str]:
    """The reason bullets of the text format, each joined back from its wrapped lines."""
    body = text.split("\nFindings", 1)[0].split("\nSources", 1)[0]
    bullets: list[list[str]] = []
    current: list[str] | None = None
    for line in body.splitlines():
        stripped = line.strip()
        if stripped.startswith("- "):
            current = [stripped[2:]]
            bullets.append(current)
        elif current is not None and stripped and line.startswith("     "):
            current.append(stripped)
        else:
            current = None
    return {" ".join(parts) for parts in bullets}


def test_console_script_json_matches_the_library(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    for name in CLI_CASES:
        scenario = load_scenario(SCENARIOS / f"{name}.toml")
        path = _write_answers(tmp_path / f"{name}.json", scenario.answers)
        result = run_cli("recommend", "--answers", str(path), "--format", "json")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        rec = advisor.advise(scenario.answers)
        assert data["techniques"] == scenario.expect["techniques"]
        assert data["techniques"] == list(rec.techniques)
        assert [f["id"] for f in data["findings"]] == [f.id for f in rec.findings]
        assert data["trace"] == json.loads(rec.model_dump_json())["trace"]


def test_text_rationale_is_specific_to_the_answers(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    """Issue 3 acceptance: `advisor recommend` prints reasons that differ between cases."""
    texts: dict[str, str] = {}
    for name in CLI_CASES:
        scenario = load_scenario(SCENARIOS / f"{name}.toml")
        path = _write_answers(tmp_path / f"{name}.json", scenario.answers)
        result = run_cli("recommend", "--answers", str(path))
        assert result.returncode == 0, result.stderr
        texts[name] = result.stdout
    reasons = {name: _rationale_lines(text) for name, text in texts.items()}
    for name, lines in reasons.items():
        assert len(lines) >= 2, f"{name}: too few reasons in the text output"
        others = set().union(*(v for k, v in reasons.items() if k != name))
        assert lines - others, f"{name}: every reason is shared with another scenario"
    assert len({text for text in texts.values()}) == len(texts)
    # The answers themselves show through in the words: the budget and the example count.
    assert "200 ms" in texts["inline_code_completion_sub_300ms"]
    assert "2000" in texts["companion_persona_open_weights"].replace(" ", "").replace(",", "")
