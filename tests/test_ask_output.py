"""What the questionnaire writes: answers files read back by the standard library, and the
recommendation in colour or plain at a given width."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from advisor.ask.terminal import wants_color
from advisor.engine.assemble import advise
from advisor.knowledge.numbers import parse_number
from advisor.knowledge.rulebase import RuleBase
from advisor.render.text import render_text
from advisor.services.answer_files import dump_answers, dump_toml

ANSI = re.compile(r"\x1b\[[0-9;]*m")
AWKWARD = [
    'say "hi"',
    "back\\slash",
    "line\nbreak\ttab\r",
    "bell\x07 and del\x7f and nul\x00",
    "unicode: é ✔ 日本",
    '\'single\' and """triple"""',
    "",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_toml_strings_round_trip(text: str) -> None:
    answers = {"project": text, "notes": text}
    assert tomllib.loads(dump_toml(answers)) == answers


def test_toml_keeps_key_order_and_types(answers: dict[str, Any]) -> None:
    reordered = dict(reversed(list(answers.items())))
    text = dump_toml(reordered, header=["a comment"])
    loaded = tomllib.loads(text)
    assert loaded == answers and list(loaded) == list(reordered)
    assert text == dump_toml(reordered, header=["a comment"])  # deterministic
    assert text.startswith("# a comment\n")


def test_json_for_json_files(answers: dict[str, Any]) -> None:
    text = dump_answers(answers, Path("x.json"), header=["ignored"])
    assert json.loads(text) == answers


def test_plain_text_is_the_default_and_colour_only_adds_styles(
    rulebase: RuleBase, answers: dict[str, Any]
) -> None:
    rec = advise({**answers, "knowledge": "private_dynamic", "latency_budget_ms": 200}, rulebase)
    plain = render_text(rec, rulebase)
    coloured = render_text(rec, rulebase, color=True)
    assert "\x1b[" not in plain and "\x1b[" in coloured
    assert ANSI.sub("", coloured) == plain
    assert render_text(rec, rulebase, color=False, width=80) == plain


@pytest.mark.parametrize("width", [60, 80])
def test_text_fits_the_width(rulebase: RuleBase, answers: dict[str, Any], width: int) -> None:
    rec = advise(answers, rulebase)
    for line in render_text(rec, rulebase, width=width).splitlines():
        # only a single word too long to break (a kb link) may stick out
        assert len(line) <= width or " " not in line.strip(), line


def test_no_color_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert wants_color(Tty())  # type: ignore[arg-type]
    assert not wants_color(Tty(), no_color_flag=True)  # type: ignore[arg-type]
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_color(Tty())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "value"),
    [("3000", 3000), ("3 000", 3000), ("3,000", 3000), ("3000 ms", 3000), ("2 s", 2000),
     ("1.5 min", 90_000), ("1h", 3_600_000), ("0", None), ("2x", None), ("", None),
     ("1.5", None), ("-5", None), ("999999999999", None), ("3,000,000", 3_000_000),
     ("1,5 s", None), ("1,5", None), ("1 2 3", None), ("12,34,567", None)],
)  # fmt: skip
def test_typed_numbers(rulebase: RuleBase, typed: str, value: int | None) -> None:
    """What a person may type for a budget in milliseconds; anything else is refused, with
    a message that says what is expected."""
    question = next(q for q in rulebase.questions if q.kind == "int" and q.unit == "ms")
    parsed, problem = parse_number(typed, question)
    assert parsed == value
    assert bool(problem) == (value is None)
    if problem:
        assert str(question.minimum) in problem and "ms" in problem
