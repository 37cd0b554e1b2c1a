"""End to end in a real pseudo-terminal: a bare `advisor` (the installed console script), every
prompt answered by keystrokes, then the saved answers file, the decision record and exit 0.

The next question is predicted with the engine from the answers typed so far, and the test
waits for its text on screen, so it follows the rule base rather than a copy of it.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import ADVISOR

from advisor.ask.interview import Interview
from advisor.engine.decide import decide
from advisor.knowledge.questions import Question
from advisor.knowledge.rulebase import RuleBase
from advisor.render.markdown import render_markdown
from advisor.services.record_names import first_record_path

pexpect = pytest.importorskip("pexpect")
DOWN, UP = "\x1b[B", "\x1b[A"

FIRST_RECORD = first_record_path()  # docs/decisions/0001-...md


def _on_screen(text: str) -> str:
    """A pattern for the start of a question as drawn (it may be wrapped after that)."""
    return re.escape(text[:40])


def _keys(question: Question, wanted: Any) -> str:
    """Arrow keys from the pre-selected suggestion to `wanted`, then Enter."""
    if question.kind in ("choice", "bool") and wanted != question.suggest:
        values: list[Any] = [True, False] if question.kind == "bool" else list(question.values)
        step = values.index(wanted) - values.index(question.suggest)
        return (DOWN if step > 0 else UP) * abs(step) + "\r"
    return "\r"


def test_from_bare_advisor_to_a_decision_record(tmp_path: Path, rulebase: RuleBase) -> None:
    env = {**os.environ, "NO_COLOR": "1", "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"}
    child = pexpect.spawn(
        ADVISOR, [], cwd=str(tmp_path), env=env, dimensions=(24, 80), encoding="utf-8", timeout=30
    )
    try:
        picks: dict[str, Any] = {
            "knowledge": "private_dynamic",
            "citations": True,
            "reasoning": "multi_step",
        }
        interview = Interview(rulebase)
        child.expect("Project name")
        child.send("Acme search\r")
        typed: dict[str, Any] = {"project": "Acme search"}
        while (question := interview.next_question()) is not None:
            child.expect(_on_screen(question.text))
            wanted = picks.get(question.id, question.suggest)
            child.send(_keys(question, wanted))
            interview.answer(question, wanted)
            typed[question.id] = wanted
        child.expect("Review your answers")
        child.send("\r")
        child.expect("Recommendation: ")
        child.expect("Save your answers")
        child.send("\r")
        child.expect("Write the decision record")
        child.send("\r")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    saved = tomllib.loads((tmp_path / "advisor-answers.toml").read_text(encoding="utf-8"))
    assert saved == typed
    record = (tmp_path / FIRST_RECORD).read_text(encoding="utf-8")
    assert record == render_markdown(decide(saved, rulebase))
    assert any(
        line.startswith("# Use ") and line.endswith(" for Acme search")
        for line in record.splitlines()
    )


@pytest.mark.parametrize("where", ["list", "checkbox"])
def test_sigint_sent_as_a_signal_stops_at_a_list_and_keeps_the_answers(
    tmp_path: Path, rulebase: RuleBase, where: str
) -> None:
    """`kill -INT` (a supervisor, `timeout -s INT`) stops the session at a list question as
    Ctrl-C does: exit 130 and the answers so far in the partial file, not a swallowed signal."""
    import signal

    env = {**os.environ, "NO_COLOR": "1", "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"}
    child = pexpect.spawn(
        ADVISOR, ["ask"], cwd=str(tmp_path), env=env, dimensions=(24, 80), encoding="utf-8"
    )
    child.timeout = 30
    interview = Interview(rulebase)
    typed: dict[str, Any] = {}
    try:
        child.expect("Project name")
        child.send("\r")
        while (question := interview.next_question()) is not None:
            child.expect(_on_screen(question.text))
            wanted_kind = "set" if where == "checkbox" else "choice"
            if question.kind == wanted_kind and typed:
                break
            child.send(_keys(question, question.suggest))
            interview.answer(question, question.suggest)
            typed[question.id] = question.suggest
        assert question is not None
        child.kill(signal.SIGINT)
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130, child.before
    partial = tomllib.loads((tmp_path / "advisor-answers.partial.toml").read_text("utf-8"))
    assert partial == {
        qid: sorted(value) if isinstance(value, list) else value for qid, value in typed.items()
    }


def test_a_closed_terminal_keeps_the_answers_and_exits_130(
    tmp_path: Path, rulebase: RuleBase
) -> None:
    """The terminal goes away (a window closed, an ssh connection dropped): the next write to it
    fails with EIO, which may come before the SIGHUP. Either way the answers so far are saved
    to the partial file and the exit code is 130, not an output error."""
    env = {**os.environ, "NO_COLOR": "1", "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"}
    child = pexpect.spawn(
        ADVISOR, ["ask"], cwd=str(tmp_path), env=env, dimensions=(24, 80), encoding="utf-8"
    )
    child.timeout = 30
    interview = Interview(rulebase)
    child.expect("Project name")
    child.send("Closed window\r")
    question = interview.next_question()
    assert question is not None
    child.expect(_on_screen(question.text))
    child.send(_keys(question, question.suggest))
    interview.answer(question, question.suggest)
    second = interview.next_question()
    assert second is not None
    child.expect(_on_screen(second.text))
    os.close(child.child_fd)  # the terminal's side of the pseudo-terminal goes away
    _, status = os.waitpid(child.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 130
    partial = tomllib.loads((tmp_path / "advisor-answers.partial.toml").read_text("utf-8"))
    assert partial == {"project": "Closed window", question.id: question.suggest}


def test_answers_from_a_file_never_replace_an_earlier_sessions_partial_answers(
    tmp_path: Path,
) -> None:
    """With --answers no earlier partial file is offered for resuming, so a stop must not
    overwrite it: this session's answers go to a free name beside it, named in the hint."""
    earlier = tmp_path / "advisor-answers.partial.toml"
    earlier.write_text('project = "Earlier session"\nknowledge = "general"\n', encoding="utf-8")
    before = earlier.read_bytes()
    (tmp_path / "mine.toml").write_text('knowledge = "private_static"\n', encoding="utf-8")
    env = {**os.environ, "NO_COLOR": "1", "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm"}
    child = pexpect.spawn(
        ADVISOR,
        ["ask", "--answers", "mine.toml"],
        cwd=str(tmp_path),
        env=env,
        dimensions=(24, 100),
        encoding="utf-8",
        timeout=30,
    )
    try:
        child.expect("Project name")
        child.send("This session\r")
        child.expect(r"\?")  # the next question is on screen
        child.send("\x03")  # Ctrl-C
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 130, child.before
    assert earlier.read_bytes() == before
    mine = tmp_path / "advisor-answers-2.partial.toml"
    saved = tomllib.loads(mine.read_text("utf-8"))
    assert saved["project"] == "This session" and saved["knowledge"] == "private_static"
    assert "--resume advisor-answers-2.partial.toml" in " ".join(child.before.split())
