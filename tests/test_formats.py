"""The registry of output formats: `--format` choices, lazy renderer modules, one calling style."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, RunResult

import advisor
from advisor import render
from advisor.engine.decide import decide
from advisor.knowledge.rulebase import RuleBase
from advisor.render.markdown import render_markdown
from advisor.render.text import render_text

SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.toml"))


def test_every_format_names_a_renderer_module() -> None:
    assert list(render.FORMATS) == ["text", "json", "markdown"]
    for name in render.FORMATS:
        assert callable(render.renderer(name).render), name


def test_recommend_offers_the_registered_formats(run_cli: Callable[..., RunResult]) -> None:
    result = run_cli("recommend", "--format", "xml")
    assert result.returncode == 2
    assert "choose from 'text', 'json', 'markdown'" in result.stderr


def test_options_a_format_does_not_take_are_not_passed_on(rulebase: RuleBase) -> None:
    decision = decide(tomllib.loads(SCENARIOS[0].read_text(encoding="utf-8"))["answers"])
    assert render.render(decision, "text", date="2025-01-15") == render.render(decision, "text")


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_recommendation_renders_as_its_decision(path: Path, rulebase: RuleBase) -> None:
    """The text of a Recommendation already held is that of the Decision it was made from, and
    render_markdown (no prepared inputs) equals the registry's record."""
    answers = tomllib.loads(path.read_text(encoding="utf-8"))["answers"]
    decision = decide(answers, rulebase)
    rec = advisor.advise(answers, rulebase)
    assert render_text(rec, rulebase) == render.render(decision, "text")
    assert render_text(rec, rulebase, color=True) == render.render(decision, "text", color=True)
    assert render_markdown(decision, date="2025-01-15") == render.render(
        decision, "markdown", date="2025-01-15"
    )


def test_text_output_names_the_answers_the_walk_did_not_use(
    run_cli: Callable[..., RunResult],
) -> None:
    """An answer given to a question the walk does not reach is listed with the gate that
    left it out, not dropped without a word; with none, the section is absent."""
    example = str(ROOT / "examples" / "support-bot.toml")
    result = run_cli("recommend", "--answers", example)
    assert result.returncode == 0, result.stderr
    section = result.stdout.split("Answers not used\n", 1)[1].split("\n\n", 1)[0]
    assert section.splitlines() == [
        "  model_access = api: not asked because this does not hold: behaviour_gap"
    ]
    reached = run_cli("recommend", "--answers", example, "--set", "behavior=hard_to_describe")
    assert reached.returncode == 0, reached.stderr  # a behaviour gap: model_access is asked
    assert "Answers not used" not in reached.stdout
