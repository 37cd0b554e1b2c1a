"""One question on screen: questionary prompts built from the question data.

Each prompt shows the question, its progress and its "why we ask" line, and pre-selects a
sensible default; prompts erase themselves when done (the flow prints a one-line transcript of
the answer instead, and can take it back off the screen when the user goes back). Every prompt
returns the answer, or `BACK` (the "Back" choice or the Esc key); Ctrl-C raises
KeyboardInterrupt and Ctrl-D EOFError, at any prompt, so the caller can save and stop. F1 shows
WHY for the open question (`why_key`) above the prompt, which keeps what is being typed.

`WIDGETS` maps each question kind to its `Widget` (the prompt, and the answer in words); a new
question kind is one more entry there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.knowledge.numbers import parse_number

if TYPE_CHECKING:
    from questionary import Question as Prompt

    from advisor.ask.terminal import Terminal
    from advisor.knowledge.questions import Question

BACK = "\x00back"
_WHY: list[Callable[[], None]] = []
"""What F1 shows for the open question (innermost last), set by the flow with `why_key`."""
_CUSTOM = "\x00custom"
BACK_TITLE = "← Back"
STYLE = {
    "qmark": "fg:ansicyan bold",
    "question": "bold",
    "answer": "fg:ansicyan bold",
    "pointer": "fg:ansicyan bold",
    "highlighted": "fg:ansicyan bold",
    "selected": "fg:ansicyan",
    "separator": "fg:ansibrightblack",
    "instruction": "",
    "text": "fg:ansibrightblack",
    "placeholder": "fg:ansibrightblack italic",
}


@dataclass(frozen=True, slots=True)
class Widget:
    """How the questionnaire handles one question kind: the prompt, and the answer in words."""

    ask: Callable[[Question, Any, str, bool, Terminal], Any]
    """(question, default, why line, can go back, terminal) -> the answer, or BACK."""
    words: Callable[[Question, Any], str]
    """An answer in words, for the transcript and the review."""


@contextmanager
def why_key(show: Callable[[], None]) -> Iterator[None]:
    """While open, F1 at any prompt runs `show` (it prints WHY for the question being asked)
    above the prompt, then the prompt is drawn again with its answer as typed."""
    _WHY.append(show)
    try:
        yield
    finally:
        _WHY.pop()


def ask_question(
    question: Question, default: Any, *, number: int, total: int, can_back: bool, term: Terminal
) -> Any:
    """Ask one question of any kind; returns its answer (sets as frozensets) or BACK."""
    why = f"({number}/{total}) Why we ask: {question.why}"
    return widget_for(question).ask(question, default, why, can_back, term)


def describe(question: Question, value: Any) -> str:
    """An answer in words: choice labels, Yes/No, numbers with their unit."""
    return widget_for(question).words(question, value)


def widget_for(question: Question) -> Widget:
    """The registered widget of the question's kind (`WIDGETS`)."""
    widget = WIDGETS.get(question.kind)
    if widget is None:
        raise LookupError(f"no questionnaire widget for question kind '{question.kind}'")
    return widget


def _one_choice(question: Question, default: Any, why: str, can_back: bool, term: Terminal) -> Any:
    choices = [(c.label, c.value, c.help) for c in question.choices]
    return select(question.text, choices, default, [why], can_back, term)


def _yes_no(question: Question, default: Any, why: str, can_back: bool, term: Terminal) -> Any:
    choices: list[tuple[str, Any, str]] = [("Yes", True, ""), ("No", False, "")]
    return select(question.text, choices, default, [why], can_back, term)


def _choice_words(question: Question, value: Any) -> str:
    return question.label_of(value)


def _yes_no_words(question: Question, value: Any) -> str:
    return "Yes" if value else "No"


def _set_words(question: Question, value: Any) -> str:
    labels = [c.label for c in question.choices if c.value in value]
    return ", ".join(labels) if labels else "None"


def _number_words(question: Question, value: Any) -> str:
    return question.format_value(value)


def select(
    message: str,
    choices: Sequence[tuple[str, Any, str]],
    default: Any,
    notes: Sequence[str],
    can_back: bool,
    term: Terminal,
) -> Any:
    """A one-choice list of (title, value, description), with a Back choice when allowed.

    `notes` are paragraphs shown under the question while it is open.
    """
    import questionary

    items: list[Any] = [
        questionary.Choice(_fit_title(title, term), value, description=help_text or None)
        for title, value, help_text in choices
    ]
    if can_back:
        items += [questionary.Separator(" "), questionary.Choice(BACK_TITLE, BACK)]
    values = [value for _, value, _ in choices]
    prompt = questionary.select(
        _title(message, term),
        items,
        default=default if default in values else None,
        instruction=_notes(notes, term),
        style=_style(),
        **term.prompt_options(),
    )
    return _run(prompt, can_back)


def _fit_title(title: str, term: Terminal) -> str:
    """A choice on one row after the pointer: cut with an ellipsis, not by the screen's edge."""
    return term.fit(title, term.width - 2)


def _title(text: str, term: Terminal) -> str:
    """The question wrapped to the screen (questionary cuts long lines instead)."""
    return "\n".join(term.wrap(text, "  ", "  ")).lstrip()


def _notes(notes: Sequence[str], term: Terminal) -> str:
    lines = [line for note in notes for line in term.wrap(note, "  ")]
    return "\n" + "\n".join(lines) if lines else " "


def _checkbox(question: Question, default: Any, why: str, can_back: bool, term: Terminal) -> Any:
    import questionary

    chosen = default or frozenset()
    items = [
        questionary.Choice(
            term.fit(c.label, term.width - 6),  # after the pointer and the tick box
            c.value,
            checked=c.value in chosen,
            description=c.help or None,
        )
        for c in question.choices
    ]
    keys = "space: tick or untick · enter: confirm" + (" · esc: back" if can_back else "")
    need = question.min_choices

    def enough(selected: list[str]) -> bool | str:
        return len(selected) >= need or f"Tick at least {need} with space, then press enter"

    prompt = questionary.checkbox(
        _title(question.text, term),
        items,
        validate=enough,
        instruction=_notes([why, keys], term),
        style=_style(),
        **term.prompt_options(),
    )
    result = _run(prompt, can_back)
    return result if result == BACK else frozenset(result)


def _number(question: Question, default: Any, why: str, can_back: bool, term: Terminal) -> Any:
    """Presets (autocomplete, chat, ...) plus "another value", or a validated number field."""
    while True:
        if question.presets:
            choices: list[tuple[str, Any, str]] = [(p.label, p.value, "") for p in question.presets]
            choices.append(("Another value…", _CUSTOM, f"type a whole number of {question.unit}"))
            preset_values = [p.value for p in question.presets]
            pointed = default if default is None or default in preset_values else _CUSTOM
            picked = select(question.text, choices, pointed, [why], can_back, term)
            if picked != _CUSTOM:
                return picked
            typed = _number_field(question, default, why, True, term)
            if typed == BACK:
                continue  # back to the presets
            return typed
        return _number_field(question, default, why, can_back, term)


def _number_field(
    question: Question, default: Any, why: str, can_back: bool, term: Terminal
) -> Any:
    from prompt_toolkit import PromptSession
    from prompt_toolkit.formatted_text import FormattedText
    from prompt_toolkit.validation import ValidationError, Validator

    suggestion = "" if default is None else str(default)

    class NumberValidator(Validator):
        def validate(self, document: Any) -> None:
            if not document.text.strip() and suggestion:
                return  # Enter on an empty field takes the greyed suggestion
            _, problem = parse_number(document.text, question)
            if problem:
                message = _validation_message(problem, question, term)
                raise ValidationError(cursor_position=len(document.text), message=message)

    keys = "enter: confirm" + (" · esc: back" if can_back else "")
    unit = f" ({question.unit})" if question.unit else ""
    message = FormattedText(
        [
            ("class:qmark", "?"),
            ("class:question", f" {_title(question.text, term)}"),
            ("class:instruction", f"{_notes([why, keys], term)}\n  Your answer{unit}: "),
        ]
    )
    session: PromptSession[Any] = PromptSession(
        message,
        validator=NumberValidator(),
        validate_while_typing=True,
        style=_style(),
        key_bindings=_keys(can_back),
        **term.prompt_options(),
    )
    typed = session.prompt(placeholder=_placeholder(suggestion))
    if typed == BACK:
        return BACK
    value, _ = parse_number(typed if typed.strip() else suggestion, question)
    return value


def _validation_message(problem: str, question: Question, term: Terminal) -> str:
    """A refused number's message on the one row the validation bar has: what is wrong first
    (`5000 characters is too long for a number. Enter a whole number ...`), cut with an
    ellipsis rather than by the screen's edge."""
    _, expected = parse_number("", question)
    if problem.startswith(expected + ": "):
        reason = problem[len(expected) + 2 :]
        problem = f"{reason[:1].upper()}{reason[1:]}. {expected}"
    return term.fit(problem, term.width)


def _run(prompt: Prompt, can_back: bool) -> Any:
    """Run a questionary prompt with the shared keys (Esc: back, Ctrl-D: stop)."""
    from prompt_toolkit.key_binding import merge_key_bindings

    app = prompt.application
    app.key_bindings = merge_key_bindings([app.key_bindings or _keys(False), _keys(can_back)])
    return prompt.unsafe_ask()


def _keys(can_back: bool) -> Any:
    from prompt_toolkit.key_binding import KeyBindings

    keys = KeyBindings()

    @keys.add("c-d", eager=True)
    def _stop(event: Any) -> None:
        event.app.exit(exception=EOFError, style="class:aborting")

    @keys.add("<sigint>")  # SIGINT sent as a signal (kill -INT): prompt_toolkit feeds it as a key
    def _interrupt(event: Any) -> None:
        event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

    @keys.add("escape", eager=True)
    def _back(event: Any) -> None:
        if can_back:
            event.app.exit(result=BACK)

    @keys.add("f1")
    def _why(event: Any) -> None:
        if _WHY:
            from prompt_toolkit.application import run_in_terminal

            run_in_terminal(_WHY[-1])

    return keys


# One entry per question kind (`advisor.knowledge.questions.KINDS`): a new kind adds its widget
# here; the flow, the transcript and the review need no change.
WIDGETS: dict[str, Widget] = {
    "choice": Widget(_one_choice, _choice_words),
    "set": Widget(_checkbox, _set_words),
    "bool": Widget(_yes_no, _yes_no_words),
    "int": Widget(_number, _number_words),
}


def _style() -> Any:
    from questionary import Style

    return Style.from_dict(STYLE)


def _placeholder(suggestion: str) -> Any:
    """The suggestion shown greyed in an empty field: typing replaces it, Enter accepts it."""
    from prompt_toolkit.formatted_text import FormattedText

    return FormattedText([("class:placeholder", suggestion)]) if suggestion else None


def text_field(message: str, default: str, instruction: str, term: Terminal) -> Any:
    """A free-text answer (a file name); Enter on the empty field takes `default`; Esc: BACK."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.formatted_text import FormattedText

    tokens = FormattedText(
        [
            ("class:qmark", "?"),
            ("class:question", f" {message} "),
            ("class:instruction", f"{instruction} " if instruction else ""),
        ]
    )
    session: PromptSession[Any] = PromptSession(
        tokens, style=_style(), key_bindings=_keys(True), **term.prompt_options()
    )
    typed = session.prompt(placeholder=_placeholder(default))
    return typed if typed == BACK else (typed.strip() or default)


def project_field(current: str, term: Terminal) -> Any:
    """The project's name, optional: the field holds `current` to edit; Enter on the empty
    field skips it (returns ""); Esc returns BACK (keep what there was)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.formatted_text import FormattedText

    note = "Optional: it titles the decision record. Enter on an empty field skips it."
    tokens = FormattedText(
        [
            ("class:qmark", "?"),
            ("class:question", " Project name "),
            ("class:instruction", f"{_notes([note], term)}\n  Name: "),
        ]
    )
    session: PromptSession[Any] = PromptSession(
        tokens, style=_style(), key_bindings=_keys(True), **term.prompt_options()
    )
    typed = session.prompt(default=current)
    return typed if typed == BACK else " ".join(str(typed).split())
