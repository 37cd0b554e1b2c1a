"""The questionnaire driven through its real questionary prompts with prompt_toolkit pipe input.

A scripted `User` sees what each prompt shows (the question, its pre-selected default, the
choices), decides, and types the keys into the pipe before the prompt reads them: arrow-style
`j`/`k` moves, space, Enter, Esc, Ctrl-C, Ctrl-D. Expectations come from the engine (which
questions the walk reaches), not from a copy of the question list.
"""

from __future__ import annotations

import io
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

import advisor
from advisor.ask import flow, widgets
from advisor.ask.terminal import Terminal
from advisor.cli import ask as ask_command
from advisor.cli.main import build_parser
from advisor.engine.assemble import advise
from advisor.engine.decide import decide, walk
from advisor.knowledge.questions import Question
from advisor.knowledge.rulebase import RuleBase
from advisor.render.markdown import render_markdown
from advisor.render.text import render_text
from advisor.services.answer_files import toml_value
from advisor.services.record_names import first_record_path

ACCEPT = "<enter>"
BACK = "<back>"
ESC = "<esc>"
CTRL_C = "<ctrl-c>"
CTRL_D = "<ctrl-d>"

FIRST_RECORD = first_record_path()  # docs/decisions/0001-...md


@dataclass
class Shown:
    """What one prompt put on the screen."""

    kind: str  # "question", "review", "resume", "file" (save offers) or "text"
    subject: str  # the question id, or the prompt's message
    default: Any
    values: list[Any] = field(default_factory=list)
    index: int = 0  # position among all prompts of the run, from 0
    times: int = 1  # how many times this subject has been shown, this one included
    titles: list[str] = field(default_factory=list)  # a list's choices as titled


Decide = Callable[[Shown], Any]


@dataclass(frozen=True)
class Typed:
    """Keys typed into a text field as they are, without clearing it first."""

    keys: str


def _moves(pointer: int, target: int) -> str:
    return "j" * (target - pointer) if target >= pointer else "k" * (pointer - target)


def _choice_values(question: Question) -> list[Any]:
    if question.kind == "bool":
        return [True, False]
    if question.kind == "int":
        return [p.value for p in question.presets] + ["<custom>"]
    return list(question.values)


def _question_keys(question: Question, default: Any, action: Any) -> str:
    """The keys a person types to give `action` at this question."""
    if action == ACCEPT:
        return "\r"
    if action in (CTRL_C, CTRL_D):
        return "\x03" if action == CTRL_C else "\x04"
    listed = question.kind in ("choice", "bool") or (question.kind == "int" and question.presets)
    if action == ESC or (action == BACK and not listed):
        return "\x1b"
    if question.kind == "set":
        keys = ""
        for index, value in enumerate(question.values):
            if (value in (default or ())) != (value in action):
                keys += "j" * index + " " + "k" * index
        return keys + "\r"
    values = _choice_values(question)
    if question.kind == "int":
        pointer = values.index(default) if default in values else len(values) - 1
        if default is None:
            pointer = 0
        if action == BACK:
            return _moves(pointer, len(values)) + "\r"
        if action in values:
            return _moves(pointer, values.index(action)) + "\r"
        prefix = _moves(pointer, len(values) - 1) + "\r" if question.presets else ""
        return prefix + "\x15" + str(action) + "\r"
    pointer = values.index(default) if default in values else 0
    target = len(values) if action == BACK else values.index(action)
    return _moves(pointer, target) + "\r"


class User:
    """Answers the real prompts by typing into the pipe; records what it was shown."""

    def __init__(
        self, pipe: Any, monkeypatch: pytest.MonkeyPatch, decide: Decide, project: Any = ACCEPT
    ) -> None:
        self.pipe = pipe
        self.decide = decide
        self.seen: list[Shown] = []
        self.projects: list[str] = []  # what the project name field held, each time it was shown
        real_question, real_select, real_text, real_project = (
            widgets.ask_question,
            widgets.select,
            widgets.text_field,
            widgets.project_field,
        )
        answers = iter(project if isinstance(project, list) else [project])

        def question(q: Question, default: Any, **kw: Any) -> Any:
            action = self.look(Shown("question", q.id, default, _choice_values(q)))
            self.pipe.send_text(_question_keys(q, default, action))
            return real_question(q, default, **kw)

        def select(message: str, choices: Any, default: Any, *rest: Any) -> Any:
            values = [value for _, value, _ in choices]
            kind = "review" if flow.SHOW in values else "resume" if True in values else "file"
            titles = [title for title, _, _ in choices]
            action = self.look(Shown(kind, message, default, values, titles=titles))
            if action in (CTRL_C, CTRL_D):
                self.pipe.send_text("\x03" if action == CTRL_C else "\x04")
            elif action == ACCEPT:
                self.pipe.send_text("\r")
            else:
                pointer = values.index(default) if default in values else 0
                self.pipe.send_text(_moves(pointer, values.index(action)) + "\r")
            return real_select(message, choices, default, *rest)

        def text(message: str, default: str, *rest: Any) -> Any:
            action = self.look(Shown("text", message, default))
            if isinstance(action, Typed):
                self.pipe.send_text(action.keys + "\r")
            else:
                self.pipe.send_text("\r" if action == ACCEPT else "\x15" + str(action) + "\r")
            return real_text(message, default, *rest)

        def project_name(current: str, term: Any) -> Any:
            """The project name field, apart from `seen`: Enter (keep, or skip when empty), a
            name (typed over what the field holds), Esc or Ctrl-C, from `project` in turn."""
            self.projects.append(current)
            action = next(answers, ACCEPT)
            keys = {ACCEPT: "\r", ESC: "\x1b", CTRL_C: "\x03"}.get(action)
            self.pipe.send_text(keys or "\x15" + str(action) + "\r")
            return real_project(current, term)

        monkeypatch.setattr(flow, "project_field", project_name)
        monkeypatch.setattr(flow, "ask_question", question)
        monkeypatch.setattr(flow, "select", select)
        monkeypatch.setattr(flow, "text_field", text)

    def look(self, shown: Shown) -> Any:
        shown.index = len(self.seen)
        shown.times = 1 + sum(1 for s in self.seen if s.subject == shown.subject)
        self.seen.append(shown)
        if len(self.seen) > 200:
            raise AssertionError("the questionnaire does not end")
        return self.decide(shown)

    def asked(self) -> list[str]:
        return [s.subject for s in self.seen if s.kind == "question"]


def script(*steps: tuple[str | None, Any], then: Decide | None = None) -> Decide:
    """Play `steps` (expected question id or kind, action) in order, then `then` (Enter)."""
    queue = list(steps)

    def decide(shown: Shown) -> Any:
        if queue:
            expected, action = queue.pop(0)
            assert expected in (None, shown.subject, shown.kind), (expected, shown)
            return action
        return then(shown) if then else ACCEPT

    return decide


@dataclass
class Run:
    code: int
    out: str
    err: str
    user: User


@pytest.fixture
def ask(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[..., Run]]:
    """Run `advisor ask ARGS` in tmp_path with a scripted user at a (fake) terminal."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NO_COLOR", raising=False)

    with create_pipe_input() as pipe:

        def run(
            *argv: str,
            decide: Decide | None = None,
            color: bool = False,
            project: Any = ACCEPT,
            width: int = 80,
            screen: Any = None,
        ) -> Run:
            user = User(pipe, monkeypatch, decide or script(), project)
            args = build_parser().parse_args(["ask", *argv])
            out, err = io.StringIO(), io.StringIO()
            term = Terminal(
                out=out,
                err=err,
                color=color,
                width=width,
                keys_in=pipe,
                screen=screen or DummyOutput(),
            )
            code = ask_command.run(args, terminal=term)
            return Run(code, out.getvalue(), err.getvalue(), user)

        yield run


def reached(answers: dict[str, Any], rulebase: RuleBase) -> list[str]:
    """The questions the engine's walk reaches for complete answers, in walk order."""
    effective = walk(answers, rulebase).effective
    return [q.id for q in rulebase.questions if q.id in effective]


def other_value(question: Question, current: Any) -> Any:
    """A different valid answer to a question."""
    if question.kind == "bool":
        return not current
    if question.kind == "int":
        return (current or 0) + 7
    if question.kind == "set":
        rest = [v for v in question.values if v not in current]
        return [rest[0]] if rest else [question.values[0]]
    return next(v for v in question.values if v != current)


def test_full_run_saves_answers_and_record(ask: Callable[..., Run], rulebase: RuleBase) -> None:
    picks = {"knowledge": "private_dynamic", "citations": True, "latency_budget_ms": 450}
    wanted = {k: v for k, v in picks.items() if k in rulebase.question_by_id}
    run = ask(decide=script(then=lambda s: wanted.get(s.subject, ACCEPT)))
    assert run.code == 0, run.err
    saved = tomllib.loads(Path("advisor-answers.toml").read_text(encoding="utf-8"))
    expected = {
        qid: wanted.get(qid, rulebase.question_by_id[qid].suggest) for qid in run.user.asked()
    }
    assert saved == expected
    assert run.user.asked() == reached(saved, rulebase)
    recommendation = advise(saved, rulebase)
    assert render_text(recommendation, rulebase) in run.out
    record = FIRST_RECORD.read_text(encoding="utf-8")
    assert record == render_markdown(decide(saved, rulebase))
    assert "\x1b[" not in run.out


def test_going_back_two_questions_and_changing_an_answer(
    ask: Callable[..., Run], rulebase: RuleBase
) -> None:
    picked: list[Any] = []

    def decide(shown: Shown) -> Any:
        if shown.index in (1, 5):  # the 2nd question, first asked and then asked again
            picked.append(other_value(rulebase.question_by_id[shown.subject], shown.default))
            return picked[-1]
        return BACK if shown.index in (3, 4) else ACCEPT

    run = ask(decide=decide)
    assert run.code == 0, run.err
    asked = run.user.asked()
    # the 4th prompt went back to the 3rd, which went back to the 2nd
    assert asked[4] == asked[2] and asked[5] == asked[1]
    # going back re-asks with the earlier answer pre-selected
    assert _plain(run.user.seen[5].default) == _plain(picked[0])
    saved = tomllib.loads(Path("advisor-answers.toml").read_text(encoding="utf-8"))
    assert saved[asked[1]] == _plain(picked[1])
    assert asked[5:] == reached(saved, rulebase)[1:]


def test_irrelevant_questions_are_never_asked(ask: Callable[..., Run], rulebase: RuleBase) -> None:
    run = ask(decide=script(("knowledge", "general")))
    assert run.code == 0, run.err
    saved = tomllib.loads(Path("advisor-answers.toml").read_text(encoding="utf-8"))
    skipped = {s.id for s in walk(saved, rulebase).statuses if s.status == "skipped"}
    assert skipped, "knowledge = general should make some questions irrelevant"
    assert not skipped & set(run.user.asked())
    assert run.user.asked() == reached(saved, rulebase)


def test_changing_an_answer_at_the_review_redoes_the_walk(
    ask: Callable[..., Run], rulebase: RuleBase
) -> None:
    """private -> (review) general: the questions about the material disappear;
    general -> (review) private again: they are asked again, the earlier answers pre-selected."""
    shapes = rulebase.question_by_id["data_shapes"]
    pick = [shapes.values[-1]]

    def decide(shown: Shown) -> Any:
        if shown.subject == "knowledge":
            return {1: "private_dynamic", 2: "general"}.get(shown.times, "private_dynamic")
        if shown.subject == "data_shapes" and shown.times == 1:
            return pick
        if shown.kind == "review" and shown.times < 3:
            return "knowledge"
        return ACCEPT

    run = ask(decide=decide)
    assert run.code == 0, run.err
    saved = tomllib.loads(Path("advisor-answers.toml").read_text(encoding="utf-8"))
    assert saved["knowledge"] == "private_dynamic" and saved["data_shapes"] == pick
    general = {**saved, "knowledge": "general"}
    newly_needed = [q for q in reached(saved, rulebase) if q not in reached(general, rulebase)]
    assert "data_shapes" in newly_needed
    seen = run.user.seen
    reviews = [s.index for s in seen if s.kind == "review"]
    assert len(reviews) == 3
    assert [s.subject for s in seen[reviews[0] + 1 : reviews[1]]] == ["knowledge"]
    assert seen[reviews[1]].values[2:] == reached(general, rulebase)  # they disappeared
    again = seen[reviews[1] + 1 : reviews[2]]
    assert [s.subject for s in again] == ["knowledge", *newly_needed]  # and came back
    assert next(s for s in again if s.subject == "data_shapes").default == frozenset(pick)
    assert seen[reviews[2]].values[2:] == reached(saved, rulebase)


def test_ctrl_c_saves_partial_answers_and_resume_continues(
    ask: Callable[..., Run], run_cli: Callable[..., Any], tmp_path: Path, rulebase: RuleBase
) -> None:
    run = ask(decide=script((None, ACCEPT), (None, ACCEPT), (None, ACCEPT), (None, CTRL_C)))
    assert run.code == 130
    partial = Path("advisor-answers.partial.toml")
    assert "Traceback" not in run.err
    assert run.err.splitlines()[-1] == "  advisor ask --resume"  # the command, on its own line
    assert str(partial) in run.err and all(len(line) <= 80 for line in run.err.splitlines())
    first_three = run.user.asked()[:3]
    saved = tomllib.loads(partial.read_text(encoding="utf-8"))
    assert list(saved) == first_three
    # valid input: `recommend` reports the missing answers, not a broken file
    result = run_cli("recommend", "--answers", str(tmp_path / partial))
    assert result.returncode == 2
    needed = advisor.next_question(saved, rulebase)  # the first one without a default
    assert needed is not None
    assert "missing answer" in result.stderr and f"'{needed.id}'" in result.stderr

    resumed = ask("--resume")
    assert resumed.code == 0, resumed.err
    assert resumed.user.asked()[0] == run.user.asked()[3]
    final = tomllib.loads(Path("advisor-answers.toml").read_text(encoding="utf-8"))
    assert {k: final[k] for k in first_three} == saved
    assert not partial.exists()  # the answers are saved in full: the partial file is gone


@pytest.mark.parametrize("resume", [True, False])
def test_a_plain_ask_offers_to_resume(ask: Callable[..., Run], resume: bool) -> None:
    stopped = ask(decide=script((None, ACCEPT), (None, ACCEPT), (None, CTRL_C)))
    assert stopped.code == 130
    first_two = stopped.user.asked()[:2]
    run = ask(decide=script(("resume", resume)))
    assert run.code == 0, run.err
    asked = run.user.asked()
    assert asked[0] == (stopped.user.asked()[2] if resume else first_two[0])
    assert not Path("advisor-answers.partial.toml").exists()  # saved in full: not needed


def test_escape_goes_back_and_ctrl_d_stops(ask: Callable[..., Run], rulebase: RuleBase) -> None:
    """Esc at a many-choice question goes back one question; Ctrl-D stops like Ctrl-C."""
    target = next(q.id for q in rulebase.questions if q.kind == "set" and not q.has_default)

    def decide(shown: Shown) -> Any:
        if shown.subject == target:
            return ESC if shown.times == 1 else CTRL_D
        return ACCEPT

    run = ask(decide=decide)
    assert run.code == 130
    asked = run.user.asked()
    i = asked.index(target)
    assert asked[i + 1] == asked[i - 1] and asked[i + 2] == target
    assert "--resume" in run.err and run.err.startswith("advisor: stopped; ")


def test_prefilled_answers_ask_only_the_missing_ones(
    ask: Callable[..., Run], rulebase: RuleBase, answers: dict[str, Any]
) -> None:
    in_file = [q for q in reached(answers, rulebase) if q in answers]
    left_out, by_set = in_file[-1], in_file[-2]
    given = {k: v for k, v in answers.items() if k not in (left_out, by_set)}
    Path("given.toml").write_text(
        "\n".join(f"{k} = {toml_value(v)}" for k, v in given.items()), encoding="utf-8"
    )
    run = ask("--answers", "given.toml", "--set", f"{by_set}={_set_value(answers[by_set])}")
    assert run.code == 0, run.err
    saved = tomllib.loads(Path("advisor-answers.toml").read_text(encoding="utf-8"))
    assert run.user.asked() == [q for q in reached(saved, rulebase) if q not in {*given, by_set}]
    assert left_out in run.user.asked()
    assert saved[by_set] == answers[by_set]


def test_never_overwrites_without_asking(ask: Callable[..., Run]) -> None:
    Path("advisor-answers.toml").write_text("# mine\n", encoding="utf-8")
    # Enter everywhere: the default at "already exists" is to write another file
    run = ask(decide=lambda shown: "other.toml" if shown.kind == "text" else ACCEPT)
    assert run.code == 0, run.err
    assert Path("advisor-answers.toml").read_text(encoding="utf-8") == "# mine\n"
    assert tomllib.loads(Path("other.toml").read_text(encoding="utf-8"))
    assert any(s.kind == "file" and "already exists" in s.subject for s in run.user.seen)


def test_typed_file_name_replaces_the_suggestion_and_a_folder_is_refused(
    ask: Callable[..., Run],
) -> None:
    Path("docs").mkdir()
    typed = iter([Typed("docs"), ACCEPT, Typed("records/0001.md")])

    def decide(shown: Shown) -> Any:
        if shown.kind == "file" and shown.subject.startswith(("Save", "Write")):
            return flow._OTHER
        return next(typed) if shown.kind == "text" else ACCEPT

    run = ask(decide=decide)
    assert run.code == 0, run.err
    # the folder was refused, then its suggested file name (the default inside it) accepted
    assert "docs is a folder" in run.out
    assert tomllib.loads(Path("docs", "advisor-answers.toml").read_text(encoding="utf-8"))
    # typing replaces the greyed suggestion instead of being appended to it
    assert Path("records", "0001.md").read_text(encoding="utf-8").startswith("---\n")
    texts = [s for s in run.user.seen if s.kind == "text"]
    assert [s.default for s in texts] == [
        "advisor-answers.toml",
        str(Path("docs", "advisor-answers.toml")),
        str(FIRST_RECORD),
    ]


def test_a_failed_save_says_why_and_asks_again(ask: Callable[..., Run]) -> None:
    Path("blocker").write_text("a file, not a folder\n", encoding="utf-8")
    typed = iter([Typed("blocker/answers.toml"), Typed("answers.toml")])

    def decide(shown: Shown) -> Any:
        if shown.kind == "file" and shown.subject.startswith("Save"):
            return flow._OTHER
        if shown.kind == "text":
            return next(typed)
        return ACCEPT  # "Try again?" defaults to another file; the record goes to its default

    run = ask(decide=decide)
    assert run.code == 0, run.err
    assert "Could not write blocker/answers.toml" in run.out
    assert any(s.subject == "Try again?" for s in run.user.seen)
    assert tomllib.loads(Path("answers.toml").read_text(encoding="utf-8"))


def test_colour_only_when_wanted(ask: Callable[..., Run]) -> None:
    coloured = ask("--save-answers", "a.toml", "--output", "a.md", color=True)
    assert coloured.code == 0 and "\x1b[" in coloured.out
    plain = ask("--no-color", "--save-answers", "b.toml", "--output", "b.md", color=True)
    assert plain.code == 0 and "\x1b[" not in plain.out
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured.out) == plain.out.replace("b.", "a.")


def _plain(value: Any) -> Any:
    return sorted(value) if isinstance(value, (frozenset, list)) else value


def _set_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return ",".join(value) if isinstance(value, list) else str(value)


def test_answers_the_walk_stops_reaching_are_kept_in_the_saved_file(
    ask: Callable[..., Run], rulebase: RuleBase
) -> None:
    """private -> (review) general: data_shapes is no longer asked, but the answer the user gave
    stays in the saved answers (it was dropped before), unused by the recommendation."""
    shapes = rulebase.question_by_id["data_shapes"]
    pick = [shapes.values[-1]]

    def decide(shown: Shown) -> Any:
        if shown.subject == "knowledge":
            return "private_dynamic" if shown.times == 1 else "general"
        if shown.subject == "data_shapes":
            return pick
        if shown.kind == "review" and shown.times == 1:
            return "knowledge"
        return ACCEPT

    run = ask(decide=decide)
    assert run.code == 0, run.err
    saved = tomllib.loads(Path("advisor-answers.toml").read_text(encoding="utf-8"))
    assert saved["knowledge"] == "general" and saved["data_shapes"] == pick
    ignored = {s.id for s in walk(saved, rulebase).statuses if s.status == "ignored"}
    assert "data_shapes" in ignored
    reviews = [s for s in run.user.seen if s.kind == "review"]
    assert "data_shapes" not in reviews[-1].values  # not shown: the walk does not reach it
    record = FIRST_RECORD.read_text(encoding="utf-8")
    assert record == render_markdown(advisor.decide(saved, rulebase))


def test_given_answers_the_walk_does_not_reach_are_kept_in_the_saved_file(
    ask: Callable[..., Run], rulebase: RuleBase, answers: dict[str, Any]
) -> None:
    unreached = {s.id for s in walk(answers, rulebase).statuses if s.status == "ignored"}
    assert unreached  # model_access: asked only with a behaviour gap
    Path("given.toml").write_text(
        "\n".join(f"{k} = {toml_value(v)}" for k, v in answers.items()), encoding="utf-8"
    )
    run = ask("--answers", "given.toml")
    assert run.code == 0, run.err
    assert not unreached & set(run.user.asked())
    saved = tomllib.loads(Path("advisor-answers.toml").read_text(encoding="utf-8"))
    assert {k: saved[k] for k in answers} == answers


def test_each_question_kind_has_one_registered_widget(
    monkeypatch: pytest.MonkeyPatch, rulebase: RuleBase
) -> None:
    from dataclasses import replace

    from advisor.knowledge.questions import KINDS

    assert set(widgets.WIDGETS) == set(KINDS)
    question = rulebase.question_by_id["knowledge"]
    assert flow.describe(question, question.values[0]) == question.label_of(question.values[0])
    # a new kind is one registry entry: the prompt and its words
    monkeypatch.setitem(
        widgets.WIDGETS,
        "text",
        widgets.Widget(lambda q, default, why, back, term: why, lambda q, value: f"«{value}»"),
    )
    new = replace(question, kind="text")  # type: ignore[arg-type]
    asked = widgets.ask_question(new, None, number=1, total=2, can_back=False, term=Terminal())
    assert asked.startswith("(1/2) Why we ask:")
    assert widgets.describe(new, "hi") == "«hi»"
    with pytest.raises(LookupError, match="no questionnaire widget"):
        widgets.describe(replace(question, kind="date"), "x")  # type: ignore[arg-type]
