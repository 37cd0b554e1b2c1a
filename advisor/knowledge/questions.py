"""Question specs, loaded once from `rules/questions.toml`.

The same specs drive answer validation, the JSON Schema, the CLI's `--set` parsing, the
questionnaire and the docs, so a question is only ever described in that file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from advisor.errors import ConditionError, RuleFileError
from advisor.knowledge import conditions as cond
from advisor.knowledge.tomlfile import id_lines, place, read_toml, table_problem

KINDS: tuple[cond.QuestionKind, ...] = ("choice", "set", "bool", "int")
_QUESTION_KEYS = {
    "id", "type", "text", "why", "choices", "asked_when", "default", "suggest",
    "min", "max", "presets", "unit", "min_choices", "see", "changeable",
}  # fmt: skip
_CHOICE_KEYS = {"value", "label", "help", "word"}


@dataclass(frozen=True, slots=True)
class Choice:
    """One allowed value of a choice or set question, with words for people.

    `label` and `help` are shown in menus; `word` is how the value reads inside a sentence of a
    rule's reason (`{reasoning}` -> "multi-step").
    """

    value: str
    label: str
    help: str = ""
    word: str = ""


@dataclass(frozen=True, slots=True)
class Preset:
    """A familiar value offered for a number question (e.g. 300 ms for autocomplete)."""

    value: int
    label: str


@dataclass(frozen=True)
class Question:
    """A question of the decision graph. `asked_when` is parsed and type-checked."""

    id: str
    kind: cond.QuestionKind
    text: str
    why: str
    choices: tuple[Choice, ...] = ()
    asked_when: cond.Node = cond.TRUE
    asked_when_text: str = "true"
    default: Any = None
    has_default: bool = False
    suggest: Any = None
    minimum: int | None = None
    maximum: int | None = None
    presets: tuple[Preset, ...] = ()
    unit: str = ""
    min_choices: int = 0
    see: tuple[str, ...] = ()
    source: str = ""
    changeable: bool = False
    """Whether the team can choose this answer (a budget, a proposal) rather than a fact of the
    problem: what-if varies changeable answers only, unless the caller widens the set."""
    values: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(c.value for c in self.choices))

    @property
    def shape(self) -> cond.QuestionShape:
        return cond.QuestionShape(self.kind, self.values)

    def describe_type(self) -> str:
        """A short phrase for error messages: what a valid answer looks like."""
        if self.kind == "choice":
            return "one of: " + ", ".join(self.values)
        if self.kind == "set":
            return "a list of any of: " + ", ".join(self.values)
        if self.kind == "bool":
            return "true or false"
        bounds = []
        if self.minimum is not None:
            bounds.append(f">= {self.minimum}")
        if self.maximum is not None:
            bounds.append(f"<= {self.maximum}")
        return "a whole number" + (" " + " and ".join(bounds) if bounds else "")

    def format_value(self, value: Any) -> str:
        """An answer in words, for rationale templates, summaries and records."""
        if value is None:
            return "not answered"
        if self.kind == "bool":
            return "yes" if value else "no"
        if self.kind == "set":
            items = [c.word for c in self.choices if c.value in value]
            return ", ".join(items) if items else "none"
        if self.kind == "int":
            return f"{value:,} {self.unit}".strip()
        return next((c.word for c in self.choices if c.value == value), str(value))

    def label_of(self, value: str) -> str:
        for choice in self.choices:
            if choice.value == value:
                return choice.label
        return value


DefinitionsFactory = Callable[[Mapping[str, cond.QuestionShape]], Mapping[str, cond.Node]]


MAX_QUESTIONS = 200
"""The most questions a rule base may hold, packs included (the shipped rules have 33): the
exact analyses (lint, what-if, WHY, HOW, review) walk one level of their decision diagrams per
question, and each level costs a frame of Python's stack."""
RESERVED_IDS = {
    "project": "the answers file's project name",
    "notes": "the answers file's notes",
    **{
        word: "a word of the condition language"
        for word in ("and", "or", "not", "in", "has", "any", "all", "true", "false", "count")
    },
}
"""Ids a question cannot take: the metadata keys of an answers file, and the condition words."""


def too_many_questions(count: int) -> str:
    return (
        f"{count:,} questions, more than the limit of {MAX_QUESTIONS} for one rule base (the "
        "exact analyses walk one level per question); split the questions into smaller packs"
    )


def load_questions(
    path: Path, definitions: DefinitionsFactory | None = None
) -> tuple[Question, ...]:
    """Load and check `questions.toml`; every problem names the file and the question.

    Two passes: first the questions themselves (their shapes), then their `asked_when`
    conditions, which may use named definitions that in turn need every question's shape.
    """
    data, text = read_toml(path)
    entries = data.get("question")
    if not isinstance(entries, list) or not entries:
        raise RuleFileError(str(path), "", "expected one or more [[question]] tables")
    unknown_top = set(data) - {"question"}
    if unknown_top:
        raise RuleFileError(
            str(path), "", f"unknown top-level key(s): {', '.join(sorted(unknown_top))}"
        )
    if len(entries) > MAX_QUESTIONS:
        raise RuleFileError(str(path), "", too_many_questions(len(entries)))
    questions: list[Question] = []
    shapes: dict[str, cond.QuestionShape] = {}
    places = []
    lines = id_lines(text)
    for index, entry in enumerate(entries):
        where = place(
            "question", entry.get("id") if isinstance(entry, dict) else None, index, lines
        )
        question = _build_question(entry, where, str(path))
        if question.id in shapes:
            raise RuleFileError(str(path), where, f"duplicate question id '{question.id}'")
        shapes[question.id] = question.shape
        questions.append(question)
        places.append(where)
    named = definitions(shapes) if definitions else {}
    for index, question in enumerate(questions):
        asked = _parse_asked_when(question, shapes, named, str(path), places[index])
        questions[index] = replace(question, asked_when=asked)
    return tuple(questions)


def _parse_asked_when(
    question: Question,
    shapes: Mapping[str, cond.QuestionShape],
    definitions: Mapping[str, cond.Node],
    path: str,
    where: str,
) -> cond.Node:
    """Parse `asked_when`. It may read any other question: the decision graph orders the walk
    so that a question comes after the ones its gate reads (a cycle is refused at load)."""
    try:
        node = cond.parse(question.asked_when_text, shapes, definitions)
    except ConditionError as exc:
        raise RuleFileError(path, where, f"asked_when: {exc}") from None
    too_large = cond.size_problem(node)  # before questions_in walks the expanded tree
    if too_large:
        raise RuleFileError(path, where, f"asked_when: {too_large}")
    if question.id in cond.questions_in(node):
        raise RuleFileError(
            path,
            where,
            f"asked_when reads '{question.id}' itself: a gate reads other questions",
        )
    return node


def shapes_of(questions: tuple[Question, ...]) -> dict[str, cond.QuestionShape]:
    return {q.id: q.shape for q in questions}


def _build_question(entry: Any, where: str, path: str) -> Question:
    def fail(message: str) -> RuleFileError:
        return RuleFileError(path, where, message)

    problem = table_problem(entry, "question", _QUESTION_KEYS, ("id", "type", "text", "why"))
    if problem:
        raise fail(problem)
    qid: str = entry["id"]
    if not qid.isidentifier() or not qid.islower():
        raise fail(f"id '{qid}' must be lower_snake_case")
    if qid in RESERVED_IDS:
        raise fail(f"id '{qid}' is reserved ({RESERVED_IDS[qid]}); give the question another id")
    kind = entry["type"]
    if kind not in KINDS:
        raise fail(f"type '{kind}' is not one of {', '.join(KINDS)}")
    choices = _build_choices(entry.get("choices"), kind, fail)
    asked_text = entry.get("asked_when", "true")
    if not isinstance(asked_text, str):
        raise fail("'asked_when' must be a condition string")
    minimum, maximum = entry.get("min"), entry.get("max")
    for name, bound in (("min", minimum), ("max", maximum)):
        if bound is not None and (kind != "int" or not _is_int(bound)):
            raise fail(f"'{name}' applies to int questions and must be a whole number")
    presets = tuple(_build_presets(entry.get("presets", []), kind, fail))
    min_choices = entry.get("min_choices", 0)
    if "min_choices" in entry and (kind != "set" or not _is_int(min_choices) or min_choices < 0):
        raise fail("'min_choices' applies to set questions and must be a whole number >= 0")
    see = entry.get("see", [])
    if not isinstance(see, list) or not all(isinstance(ref, str) for ref in see):
        raise fail("'see' must be a list of 'kb/<file>.md#<anchor>' strings")
    changeable = entry.get("changeable", False)
    if not isinstance(changeable, bool):
        raise fail("'changeable' must be true or false")
    question = Question(
        id=qid,
        kind=kind,
        text=entry["text"].strip(),
        why=entry["why"].strip(),
        choices=choices,
        asked_when_text=asked_text,
        default=entry.get("default"),
        has_default="default" in entry,
        suggest=entry.get("suggest"),
        minimum=minimum,
        maximum=maximum,
        presets=presets,
        unit=str(entry.get("unit", "")),
        min_choices=min_choices,
        see=tuple(see),
        source=f"{path}: {where}",
        changeable=changeable,
    )
    for key in ("default", "suggest"):
        if key in entry and not _valid_value(question, entry[key]):
            raise fail(
                f"'{key}' = {entry[key]!r} is not a valid answer ({question.describe_type()})"
            )
    return question


def _build_choices(raw: Any, kind: str, fail: Any) -> tuple[Choice, ...]:
    if kind in ("bool", "int"):
        if raw is not None:
            raise fail(f"'choices' does not apply to {kind} questions")
        return ()
    if not isinstance(raw, list) or not raw:
        raise fail("choice and set questions need a non-empty 'choices' list")
    choices = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise fail("each choice must be a table with a string 'value' (and 'label', 'help')")
        extra = set(item) - _CHOICE_KEYS
        if extra:
            raise fail(f"choice '{item['value']}' has unknown key(s) {', '.join(sorted(extra))}")
        choices.append(
            Choice(
                item["value"],
                str(item.get("label", item["value"])),
                str(item.get("help", "")),
                str(item.get("word", item["value"].replace("_", " "))),
            )
        )
    values = [c.value for c in choices]
    if len(set(values)) != len(values):
        raise fail("duplicate choice values")
    return tuple(choices)


def _build_presets(raw: Any, kind: str, fail: Any) -> list[Preset]:
    if raw and kind != "int":
        raise fail("'presets' apply to int questions")
    presets = []
    for item in raw or []:
        if (
            not isinstance(item, dict)
            or not _is_int(item.get("value"))
            or not isinstance(item.get("label"), str)
        ):
            raise fail("each preset must be a table with an integer 'value' and a string 'label'")
        presets.append(Preset(item["value"], item["label"]))
    return presets


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _valid_value(question: Question, value: Any) -> bool:
    if question.kind == "bool":
        return isinstance(value, bool)
    if question.kind == "int":
        return (
            _is_int(value)
            and (question.minimum is None or value >= question.minimum)
            and (question.maximum is None or value <= question.maximum)
        )
    if question.kind == "choice":
        return value in question.values
    return (
        isinstance(value, list)
        and all(isinstance(v, str) and v in question.values for v in value)
        and len(set(value)) == len(value)  # each value once, as in an answer
        and len(value) >= question.min_choices
    )
