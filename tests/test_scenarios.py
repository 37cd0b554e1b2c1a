"""Scenario suite: one TOML file per public case in tests/scenarios/, answers -> expected advice.

Each file holds `description`, `source` (the public page the case is drawn from), `[answers]` and
`[expect]`. Expected lists are exact (`techniques`, `tactics`, `retrievers`, `purposes`,
`findings`); `findings_include` / `findings_exclude` check part of the findings; `cites` lists kb
sections that must be among the recommendation's citations. A typo in a key fails loudly.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import advisor
from advisor.knowledge.rulebase import RuleBase
from advisor.models import Recommendation

SCENARIOS = Path(__file__).parent / "scenarios"
FILES = sorted(SCENARIOS.glob("*.toml"))
TOP_KEYS = {"description", "source", "answers", "expect"}
LIST_KEYS = {
    "techniques",
    "tactics",
    "retrievers",
    "purposes",
    "methods",
    "evaluation",
    "dropped_stages",
    "findings",
    "findings_include",
    "findings_exclude",
    "cites",
}
EXPECT_KEYS = LIST_KEYS | {"reranker", "latency_fits"}


def load_scenario(path: Path) -> dict[str, Any]:
    """Read one scenario and check its own shape, so a misspelt key cannot pass silently."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(data) - TOP_KEYS
    assert not unknown, f"{path.name}: unknown key(s) {sorted(unknown)}; allowed {sorted(TOP_KEYS)}"
    missing = TOP_KEYS - set(data)
    assert not missing, f"{path.name}: missing key(s) {sorted(missing)}"
    assert isinstance(data["description"], str) and data["description"].strip()
    assert isinstance(data["source"], str) and data["source"].startswith("https://"), (
        f"{path.name}: 'source' must be a public https link"
    )
    expect = data["expect"]
    unknown = set(expect) - EXPECT_KEYS
    assert not unknown, (
        f"{path.name}: unknown [expect] key(s) {sorted(unknown)}; allowed {sorted(EXPECT_KEYS)}"
    )
    assert "techniques" in expect, f"{path.name}: [expect] needs 'techniques'"
    assert expect.get("cites"), f"{path.name}: [expect] needs at least one 'cites' entry"
    for key in LIST_KEYS & set(expect):
        value = expect[key]
        assert isinstance(value, list) and all(isinstance(v, str) for v in value), (
            f"{path.name}: [expect] {key} must be a list of strings"
        )
    for key in ("reranker", "latency_fits"):
        if key in expect:
            assert isinstance(expect[key], bool), f"{path.name}: [expect] {key} is true/false"
    return data


def citations_of(rec: Recommendation) -> list[str]:
    refs = [c for f in rec.findings for c in f.citations]
    for plan in (rec.prompt_engineering, rec.rag, rec.fine_tuning, rec.evaluation):
        if plan is not None:
            refs += [c for item in plan.rationale for c in item.citations]
    return refs


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
    with pytest.raises(AssertionError, match=re.escape(message)):
        load_scenario(path)


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario(path: Path, rulebase: RuleBase) -> None:
    scenario = load_scenario(path)
    expect = scenario["expect"]
    rec = advisor.advise(scenario["answers"])
    got_findings = {f.id for f in rec.findings}

    assert list(rec.techniques) == expect["techniques"]
    if "tactics" in expect:
        assert list(rec.prompt_engineering.tactics) == expect["tactics"]
    if any(k in expect for k in ("retrievers", "reranker")):
        assert rec.rag is not None, "the scenario expects retrieval details but got no RAG"
        if "retrievers" in expect:
            assert list(rec.rag.retrievers) == expect["retrievers"]
        if "reranker" in expect:
            assert rec.rag.reranker is expect["reranker"]
    if "purposes" in expect:
        assert rec.fine_tuning is not None, "the scenario expects fine-tuning purposes"
        assert list(rec.fine_tuning.purposes) == expect["purposes"]
    if "methods" in expect:
        assert rec.fine_tuning is not None, "the scenario expects fine-tuning methods"
        assert list(rec.fine_tuning.methods) == expect["methods"]
    if "evaluation" in expect:
        assert list(rec.evaluation.methods) == expect["evaluation"]
    if "dropped_stages" in expect or "latency_fits" in expect:
        assert rec.latency is not None, "the scenario expects a latency ledger"
        if "dropped_stages" in expect:
            assert [s.id for s in rec.latency.dropped] == expect["dropped_stages"]
        if "latency_fits" in expect:
            assert rec.latency.fits is expect["latency_fits"]
    if "findings" in expect:
        assert got_findings == set(expect["findings"])
    assert set(expect.get("findings_include", [])) <= got_findings
    assert not set(expect.get("findings_exclude", [])) & got_findings

    cited = citations_of(rec)
    for ref in expect["cites"]:
        assert ref in rulebase.kb, f"[expect] cites '{ref}', which is no kb section"
        assert ref in cited, f"'{ref}' is not cited; cited: {sorted(set(cited))}"
    for ref in cited:
        assert ref in rulebase.kb, f"citation '{ref}' does not resolve to a kb section"
    for source in rec.sources:
        assert source.excerpt, f"{source.ref} has no excerpt to quote"


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
        path = _write_answers(tmp_path / f"{name}.json", scenario["answers"])
        result = run_cli("recommend", "--answers", str(path), "--format", "json")
        assert result.returncode == 0, result.stderr
        data = json.loads(result.stdout)
        rec = advisor.advise(scenario["answers"])
        assert data["techniques"] == scenario["expect"]["techniques"]
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
        path = _write_answers(tmp_path / f"{name}.json", scenario["answers"])
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
