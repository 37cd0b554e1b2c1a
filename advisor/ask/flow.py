"""One questionnaire session: questions, review, recommendation, saving; stop-and-resume.

The loop asks `Interview.next_question()` (the engine's walk) what to ask, so going back or
changing an answer needs no bookkeeping of which questions apply. The project name (metadata,
not used by the rules) is asked once at the start, unless it is given already.

Stopping: Ctrl-C or Ctrl-D at any prompt, and SIGTERM or SIGHUP at any moment (a closed terminal
window, `kill`), save the answers so far to the partial file and stop with exit code 130, the
project's code for "interrupted" (not 128 + the signal number: every way of stopping a session
means the same to a script, "stopped, answers kept"). Once the full answers are saved, stopping
saves nothing more, and a finished session removes its partial file (never a file the user
named or that this session wrote).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.ask.widgets import (
    BACK,
    ask_question,
    describe,
    project_field,
    select,
    text_field,
    why_key,
)
from advisor.errors import OutputError
from advisor.services.answer_files import SessionFiles, answers_header, answers_text, partial_header
from advisor.services.files import write_file

if TYPE_CHECKING:
    from advisor.ask.interview import Interview
    from advisor.ask.terminal import Terminal
    from advisor.engine.decision import Decision
    from advisor.knowledge.questions import Question

SHOW = "\x00show"
_OTHER = "\x00other"
_SKIP = "\x00skip"
_OVERWRITE = "\x00overwrite"
PROJECT = "project"
"""The metadata answer asked at the start (`advisor.knowledge.answers.METADATA_FIELDS`)."""
_PROJECT_ROW = "\x00project"
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: stop the session as Ctrl-C does."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def stopping_on_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP raise `Interrupted` (once: a second signal while the answers are being
    saved is ignored) in the block; the previous handlers are restored after it."""
    raised: list[int] = []

    def handler(signum: int, frame: Any) -> None:
        if raised:
            return
        raised.append(signum)
        app = _running_prompt()
        if app is None:
            raise Interrupted(signum)
        # A prompt is on screen: raising here could land inside one of its event-loop tasks
        # (loading the history, say), which would print that task's traceback. Let the prompt
        # stop itself instead, from its own loop, as it does for Ctrl-C.
        app.loop.call_soon_threadsafe(
            lambda: app.exit(exception=Interrupted(signum), style="class:aborting")
        )

    previous: dict[int, Any] = {}
    try:
        for signum in STOP_SIGNALS:
            previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread (an embedding program): leave signals alone
        pass
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _running_prompt() -> Any:
    """The prompt_toolkit application running now, or None (none, or the library not loaded)."""
    current = sys.modules.get("prompt_toolkit.application.current")
    app = current.get_app_or_none() if current is not None else None
    return app if app is not None and app.is_running and app.loop is not None else None


class Session:
    """Drives the prompts for one interview and keeps the one-line transcript on screen."""

    def __init__(self, interview: Interview, term: Terminal, plan: SessionFiles) -> None:
        self.interview = interview
        self.term = term
        self.plan = plan
        self.on_screen: list[str] = []  # question ids whose transcript line is the last printed
        self.decision: Decision | None = None  # once the answers are complete

    def run(self) -> int:
        """The whole session; returns the exit code (0 done, 130 stopped)."""
        with stopping_on_signals():
            try:
                self.questions()
                decision = self.recommend()
                self.offer_files(decision)
            except (KeyboardInterrupt, EOFError):
                return self.stop()
            except OSError as exc:
                if exc.filename is not None:  # a file's error, not the terminal's: report it
                    raise
                # the terminal itself failed (closed window, dropped ssh: EIO before SIGHUP
                # arrives): that is a hang-up, so keep the answers as for any other stop
                return self.stop()
            self.forget_partial()
        return 0

    # -- questions and review -------------------------------------------------------------

    def questions(self) -> None:
        """Ask until the walk needs nothing more and the user accepts the review."""
        interview = self.interview
        if interview.next_question() is not None:
            self.intro()
        if PROJECT not in interview.given():
            self.ask_project()
        while True:
            question = interview.next_question()
            if question is None:
                choice = self.review()
                if choice == SHOW:
                    return
                if choice == BACK:
                    self.back()
                    continue
                if choice == _PROJECT_ROW:
                    self.ask_project()
                    continue
                question = self.rulebase_question(choice)
            number, total = interview.progress()
            if question.id in interview.answers:
                number = interview.answered().index(question) + 1
            with why_key(partial(self.show_why, question)):
                value = ask_question(
                    question,
                    interview.default_for(question),
                    number=number,
                    total=total,
                    can_back=interview.can_go_back or question.id in interview.answers,
                    term=self.term,
                )
            if value == BACK:
                if question.id not in interview.answers:  # at review, Back keeps the answer
                    self.back()
                continue
            interview.answer(question, value)
            self.transcript(question, value)

    def show_why(self, question: Question) -> None:
        """WHY for the open question (F1): what it can change and each answer's outcome, given
        the answers so far (`advisor.analysis.why`)."""
        from advisor.analysis.why import why
        from advisor.errors import AdvisorError
        from advisor.render.why import render

        try:
            text = render(
                why(question.id, self.interview.plain_answers(), self.interview.rulebase),
                "text",
                question,
            )
        except AdvisorError as exc:
            text = f"WHY is not available here: {exc}"
        for line in text.rstrip().splitlines():
            self.term.say(self.term.paint(line, "dim") if line.startswith("  ") else line)
        self.term.say()

    def intro(self) -> None:
        number, total = self.interview.progress()
        term = self.term
        given = number - 1
        left = total - given
        text = (
            f"{_count(given, 'answer')} given already; about {_count(left, 'question')} to go. "
            if given
            else f"About {total} questions about your LLM application; each says why it matters. "
        )
        text += (
            "Choose with the arrow keys and Enter; Esc or '← Back' goes back; F1 shows what the "
            "question can change; Ctrl-C stops and keeps your answers."
        )
        for line in term.wrap(text):
            term.say(term.paint(line, "dim"))

    def review(self) -> str:
        """The answers, each one selectable to change it; first choice: show the recommendation.

        Each row is the question (cut to fit, with an ellipsis) and the answer; the project name
        comes first."""
        term = self.term
        answered = self.interview.answered()
        room = term.width - 3  # the pointer and its space
        rows = [("Project name", self.project_words())] + [
            (q.text, describe(q, self.interview.answers[q.id])) for q in answered
        ]
        words_width = min(max(len(words) for _, words in rows), room // 2)
        text_width = room - words_width - 2
        choices: list[tuple[str, Any, str]] = [("Show the recommendation", SHOW, "")]
        values = [_PROJECT_ROW, *(q.id for q in answered)]
        for (text, words), value in zip(rows, values, strict=True):
            cut = term.fit(text, text_width + 1)
            title = term.fit(f"{cut:<{text_width}}  {term.fit(words, words_width + 1)}", room + 1)
            choices.append((title, value, text if cut != text else ""))
        result: str = select(
            "Review your answers",
            choices,
            SHOW,
            ["Choose an answer to change it; questions the change makes relevant are asked next."],
            self.interview.can_go_back,
            term,
        )
        return result

    def project_words(self) -> str:
        project = self.interview.given().get(PROJECT)
        return project if isinstance(project, str) and project.strip() else "(none)"

    def ask_project(self) -> None:
        """The project's name, for the records' titles: optional (Enter on the empty field skips
        it), pre-filled with the name given already; Esc keeps what there was."""
        current = self.interview.given().get(PROJECT)
        typed = project_field(current if isinstance(current, str) else "", self.term)
        if typed == BACK:
            return
        self.interview.set_metadata(PROJECT, typed.strip() or None)
        if typed.strip():
            self.term.say(f"{self.term.paint('✔', 'green')} {self.term.fit('Project: ' + typed)}")

    def back(self) -> None:
        question = self.interview.back()
        if question is not None and self.on_screen and self.on_screen[-1] == question.id:
            self.on_screen.pop()
            self.term.take_back(1)

    def transcript(self, question: Question, value: Any) -> None:
        """`✔ question  answer` on one row: the answer in full, the question cut to fit."""
        term = self.term
        words = term.fit(describe(question, value), term.width // 2)
        text = term.fit(question.text, term.width - len(words) - 3)
        term.say(f"{term.paint('✔', 'green')} {text} {term.paint(words, 'cyan')}")
        self.on_screen.append(question.id)

    def rulebase_question(self, qid: str) -> Question:
        return self.interview.rulebase.question_by_id[qid]

    # -- recommendation and files ---------------------------------------------------------

    def recommend(self) -> Decision:
        from advisor.engine.decide import decide
        from advisor.render import render
        from advisor.render.text import headline

        decision = self.decision = decide(self.interview.plain_answers(), self.interview.rulebase)
        self.on_screen.clear()
        self.term.say()
        text = render(decision, "text", color=self.term.color, width=self.term.width)
        self.term.out.write(text)
        self.term.say()
        if text.count("\n") > 20:  # the headline has scrolled away: repeat it by the prompts
            summary = f"Recommendation: {headline(decision)} (details above)"
            self.term.say(self.term.paint(summary, "bold"))
        return decision

    def offer_files(self, decision: Decision) -> None:
        plan = self.plan
        saved = self.offer(
            "Save your answers?",
            "To change them later (advisor ask --answers FILE) or to get this recommendation "
            "again (advisor recommend --answers FILE).",
            plan.answers_path,
            plan.answers_explicit,
            lambda path: self.answers_text(path, answers_header(path), complete=True),
        )
        if saved is not None:
            plan.answers_saved = saved
            self.term.say(self.done(f"Saved your answers to {saved}"))
        written = self.offer(
            "Write the decision record (markdown)?",
            "An architecture decision record of this recommendation, for the project's docs.",
            plan.record_path,
            plan.record_explicit,
            lambda path: record_text(decision),
        )
        if written is not None:
            self.term.say(self.done(f"Wrote the decision record to {written}"))

    def done(self, text: str) -> str:
        """`✔ text`, wrapped to the terminal's width."""
        lines = self.term.wrap(text, "  ", "  ")
        return "\n".join([self.term.paint("✔", "green") + lines[0][1:], *lines[1:]])

    def offer(
        self, message: str, why: str, default: Path, explicit: bool, text: Callable[[Path], str]
    ) -> Path | None:
        """Ask whether and where to write a file; never overwrites without asking."""
        term = self.term
        path: Path | None = default
        if not explicit:
            choices = [
                (f"Yes, to {default}", default, ""),
                ("Yes, to another file…", _OTHER, ""),
                ("No", _SKIP, ""),
            ]
            picked = select(message, choices, default, [why], False, term)
            path = (
                None if picked == _SKIP else self.ask_path(default) if picked == _OTHER else default
            )
        while path is not None:
            if path.is_dir():
                term.say(self.failed(f"{path} is a folder: name a file in it"))
                path = self.ask_path(path / default.name)
                continue
            if path.exists():
                choices = [
                    ("Overwrite it", _OVERWRITE, ""),
                    ("Write to another file…", _OTHER, ""),
                    ("Don't write it", _SKIP, ""),
                ]
                picked = select(f"{path} already exists.", choices, _OTHER, [], False, term)
                if picked != _OVERWRITE:
                    path = None if picked == _SKIP else self.ask_path(path)
                    continue
            try:
                write_file(path, text(path))
                self.plan.written.append(path)
            except OutputError as exc:
                term.say(self.failed(f"Could not write {path}: {exc.reason}"))
                choices = [("Write to another file…", _OTHER, ""), ("Don't write it", _SKIP, "")]
                picked = select("Try again?", choices, _OTHER, [], False, term)
                path = None if picked == _SKIP else self.ask_path(path)
                continue
            return path
        return None

    def failed(self, text: str) -> str:
        """`✘ text`, wrapped to the terminal's width."""
        lines = self.term.wrap(text, "  ", "  ")
        return "\n".join([self.term.paint("✘", "red") + lines[0][1:], *lines[1:]])

    def ask_path(self, near: Path) -> Path | None:
        """A file name, suggesting the first free one like `near` (name-2.toml, ...)."""
        suggestion = near
        number = 2
        while suggestion.exists():
            suggestion = near.with_name(f"{near.stem}-{number}{near.suffix}")
            number += 1
        typed = text_field("File name:", str(suggestion), "(esc: don't write it)", self.term)
        return None if typed in (BACK, "") else Path(typed).expanduser()

    def answers_text(self, path: Path, header: tuple[str, ...], complete: bool = False) -> str:
        """Every answer given, reached by the walk or not: the decision's when complete."""
        given = self.decision.given if complete and self.decision else self.interview.given()
        return answers_text(given, self.interview.rulebase, path, header)

    # -- stopping and resuming ------------------------------------------------------------

    def stop(self) -> int:
        """Save the answers so far (valid input, just incomplete) and say how to resume; once the
        full answers are saved, there is nothing more to keep."""
        plan = self.plan
        answers = self.interview.plain_answers()
        if plan.answers_saved is not None:
            self.forget_partial()
            self.message(f"advisor: stopped; your answers are saved in {plan.answers_saved}")
            return 130
        if not answers:
            self.message("advisor: stopped before any answer; nothing to save")
            return 130
        try:
            header = partial_header(plan.resume_command)
            write_file(plan.partial_path, self.answers_text(plan.partial_path, header))
        except OutputError as exc:
            self.message(f"advisor: stopped; could not save the answers: {exc}")
            return 130
        self.message(
            f"advisor: stopped; {_count(len(answers), 'answer')} saved in {plan.partial_path}. "
            "Resume with:"
        )
        self.message(f"  {plan.resume_command}", wrap=False)  # one line: to copy and paste
        return 130

    def message(self, text: str, wrap: bool = True) -> None:
        """A message on standard error, wrapped at word boundaries to the terminal's width; a
        terminal that went away (SIGHUP) is not an error any more."""
        with suppress(OSError, ValueError):
            self.term.err.write("\n".join(self.term.wrap(text) if wrap else [text]) + "\n")
            self.term.err.flush()

    def forget_partial(self) -> None:
        """A finished session (or one whose full answers are saved) makes its partial file
        redundant: the one it resumed from or chose to ignore, and the one it would save to.
        Only files named `*.partial.toml` are removed, never one the user named as the answers
        file or the record, nor one this session wrote."""
        plan = self.plan
        keep = [plan.answers_path, plan.record_path, *plan.written]
        for stale in dict.fromkeys(p for p in (plan.stale_partial, plan.partial_path) if p):
            if not stale.name.endswith(".partial.toml") or not stale.is_file():
                continue
            if any(_same_file(stale, other) for other in keep):
                continue
            with suppress(OSError):
                stale.unlink()


def offer_resume(partial: Path, term: Terminal) -> bool:
    """A stopped session left answers behind: pick them up, or start again?"""
    choices: list[tuple[str, Any, str]] = [
        ("Yes, resume", True, ""),
        ("No, start again", False, ""),
    ]
    message = f"Answers from an unfinished session are saved in {partial}. Resume?"
    note = "Starting again ignores them; that file is replaced if you stop again."
    return bool(select(message, choices, True, [note], False, term))


def offer_restart(partial: Path, problem: str, term: Terminal) -> bool:
    """A partial file that cannot be resumed (`problem`): start again, or stop to look at it?"""
    choices: list[tuple[str, Any, str]] = [
        ("Start again", True, ""),
        ("Stop (leave the file as it is)", False, ""),
    ]
    message = f"Answers from an unfinished session in {partial} cannot be resumed: {problem}"
    note = "Starting again ignores that file; it is replaced if you stop again."
    return bool(select(message, choices, True, [note], False, term))


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.resolve() == other.resolve() or (other.exists() and os.path.samefile(one, other))
    except OSError:
        return False


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def record_text(decision: Decision) -> str:
    from advisor.render import render

    return render(decision, "markdown")
