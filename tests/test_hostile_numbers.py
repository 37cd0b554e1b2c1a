"""Hostile numbers typed by people (`--set`, the questionnaire): refused quickly and clearly."""

from __future__ import annotations

import subprocess
import time

import pytest
from conftest import ADVISOR, ROOT

from advisor.knowledge.numbers import MAX_TYPED, parse_number
from advisor.knowledge.questions import Question
from advisor.knowledge.rulebase import RuleBase

EXAMPLE = str(ROOT / "examples" / "support-bot.toml")


@pytest.fixture
def budget(rulebase: RuleBase) -> Question:
    return rulebase.question_by_id["latency_budget_ms"]


@pytest.mark.parametrize("typed", ["1" + " " * 40_000 + "x", "1" + " " * 40_000 + "s", "9" * 5000])
def test_long_input_is_refused_at_once(budget: Question, typed: str) -> None:
    """`1` + 40 000 spaces + `x` took 16 s in the duration pattern, on every keystroke."""
    started = time.perf_counter()
    value, problem = parse_number(typed, budget)
    assert time.perf_counter() - started < 10
    assert value is None
    assert problem.endswith(f"{len(typed)} characters is too long for a number")
    assert problem.startswith("Enter a whole number of ms (or seconds: 2 s) from 1 to ")


def test_spaces_around_a_number_are_still_trimmed(budget: Question) -> None:
    assert parse_number(" " * 40_000 + "1 s" + " " * 40_000, budget) == (1000, "")
    assert parse_number("2 secs", budget) == (2000, "")
    assert parse_number("2\tminutes", budget) == (120_000, "")
    assert parse_number("1.5 hours", budget) == (5_400_000, "")


def test_at_most_max_typed_characters(budget: Question) -> None:
    typed = "1" + " " * (MAX_TYPED - 4) + " ms"
    assert len(typed) == MAX_TYPED
    assert parse_number(typed, budget) == (1, "")  # spaces before the unit are allowed
    assert parse_number("1 " + typed[1:], budget)[1].endswith(
        "41 characters is too long for a number"
    )


def test_too_many_digits_are_refused_as_too_large(rulebase: RuleBase) -> None:
    examples = rulebase.question_by_id["labelled_examples"]
    value, problem = parse_number("9" * 19, examples)
    assert value is None
    assert problem.endswith("that number is too large")


def test_set_with_thousands_of_digits_is_a_clear_error() -> None:
    """`--set latency_budget_ms=<5000 digits>` was a ValueError from int() (exit 1)."""
    result = subprocess.run(
        [ADVISOR, "recommend", "--answers", EXAMPLE, "--set", "latency_budget_ms=" + "9" * 5000],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr[-500:]
    assert "'latency_budget_ms'" in result.stderr
    assert "is not valid; expected a whole number" in result.stderr
    assert "internal error" not in result.stderr


def test_set_with_a_long_run_of_spaces_finishes_quickly() -> None:
    """It took 16 s in the duration pattern (the whole command well under 1 s now)."""
    started = time.perf_counter()
    result = subprocess.run(
        [ADVISOR, "recommend", "--answers", EXAMPLE, "--set",
         "latency_budget_ms=1" + " " * 40_000 + "x"],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert time.perf_counter() - started < 10
    assert result.returncode == 2, result.stderr[-500:]
    assert "is not valid; expected a whole number" in result.stderr
