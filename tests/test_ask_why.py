"""The questionnaire's WHY key: F1 shows what the open question can change and each answer's
outcome, and the prompt keeps the answer being typed."""

from __future__ import annotations

import io
import tomllib
from collections.abc import Callable
from pathlib import Path

from advisor.knowledge.rulebase import RuleBase
from tests.test_ask import ACCEPT, Run, ask, script  # noqa: F401  (`ask` is the fixture)

F1 = "\x1bOP"


def test_f1_shows_why_and_keeps_the_typed_number(
    ask: Callable[..., Run],  # noqa: F811
    rulebase: RuleBase,
) -> None:
    typed = {"labelled_examples": f"12{F1}3"}  # F1 in the middle of typing 123
    run = ask(decide=script(then=lambda s: typed.get(s.subject, ACCEPT)))
    assert run.code == 0, run.err
    assert "Why we ask labelled_examples:" in run.out
    assert "Each answer:" in run.out
    assert "labelled_examples at least 20: removes" in run.out  # merged number classes
    saved = tomllib.loads(Path("advisor-answers.toml").read_text(encoding="utf-8"))
    assert saved["labelled_examples"] == 123


def test_f1_at_a_list_question_keeps_the_pointer(rulebase: RuleBase) -> None:
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from advisor.ask import widgets
    from advisor.ask.terminal import Terminal

    question = rulebase.question_by_id["knowledge"]
    shown: list[bool] = []
    with create_pipe_input() as pipe:
        term = Terminal(out=io.StringIO(), err=io.StringIO(), keys_in=pipe, screen=DummyOutput())
        pipe.send_text("j" + F1 + "j\r")  # down, F1, down, Enter: the third choice
        with widgets.why_key(lambda: shown.append(True)):
            value = widgets.ask_question(
                question, question.values[0], number=1, total=1, can_back=False, term=term
            )
    assert shown == [True]
    assert value == question.values[2]
