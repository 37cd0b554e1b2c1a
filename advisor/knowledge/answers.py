"""Answers: the pydantic model generated from the questions, and validation with clear errors.

The model is derived from `rules/questions.toml`, so the question data is the one source of truth
for validation and for the JSON Schema. Every field is optional at this level: which answers are
required depends on the walk (see `advisor.engine.decide`).
Pydantic's errors are translated into one
line per problem that names the answer id and the allowed values.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Optional

from advisor.errors import SHOWN_PROBLEMS, AnswersError

if TYPE_CHECKING:
    from advisor.knowledge.answers_base import AnswersBase
    from advisor.knowledge.questions import Question
    from advisor.knowledge.rulebase import RuleBase

SCHEMA_KEY = "$schema"
METADATA_FIELDS = {
    "project": "Name of the project (metadata, not used by the rules).",
    "notes": "Free-text notes (metadata, not used by the rules).",
}
SHOWN_CHARACTERS = 60
"""The most characters of a refused value an error message repeats (a value can be megabytes)."""
SHOWN_PATH = 120
"""The most characters of a path an error message repeats."""
_MODELS: dict[str, type[AnswersBase]] = {}
# A lone surrogate (U+D800..U+DFFF) is not Unicode text: JSON's "\ud800" escapes and undecodable
# bytes (Python's surrogateescape, e.g. in a command-line argument) can put one in a string, and
# it cannot be written out as UTF-8, so an answer holding one is refused up front.
_SURROGATE = re.compile("[\ud800-\udfff]")


def answers_model(rulebase: RuleBase) -> type[AnswersBase]:
    """The `Answers` pydantic model of a rule base (built once per rule base)."""
    model = _MODELS.get(rulebase.digest)
    if model is None:
        model = _build_model(rulebase.questions)
        _MODELS[rulebase.digest] = model
    return model


def _build_model(questions: tuple[Question, ...]) -> type[AnswersBase]:
    from pydantic import Field, StrictBool, StrictInt, create_model

    from advisor.knowledge.answers_base import AnswersBase

    fields: dict[str, Any] = {}
    for q in questions:
        annotation: Any
        if q.kind == "choice":
            annotation = _literal(q.values)
        elif q.kind == "set":
            annotation = list[_literal(q.values)]  # type: ignore[misc]
        elif q.kind == "bool":
            annotation = StrictBool
        else:
            annotation = StrictInt
        extra: dict[str, Any] = {"x-asked-when": q.asked_when_text}
        if q.choices:
            extra["x-choices"] = {c.value: c.help or c.label for c in q.choices}
        constraints = {"ge": q.minimum, "le": q.maximum} if q.kind == "int" else {}
        if q.kind == "set":
            # Checked after validation (with their own messages); stated in the schema here.
            extra.update(minItems=q.min_choices, uniqueItems=True)
        description = f"{q.text} Why we ask: {q.why}"
        if q.choices:
            description += " Values: " + "; ".join(
                f"{c.value} = {c.help or c.label}" for c in q.choices
            )
        field_options: dict[str, Any] = {
            "default": q.default if q.has_default else None,
            "description": description,
            "json_schema_extra": extra,
            **{k: v for k, v in constraints.items() if v is not None},
        }
        fields[q.id] = (Optional[annotation], Field(**field_options))  # noqa: UP045
    for name, text in METADATA_FIELDS.items():
        fields[name] = (Optional[str], Field(default=None, description=text))  # noqa: UP045
    model: type[AnswersBase] = create_model(
        "Answers",
        __base__=AnswersBase,
        __doc__="Answers about the LLM application; generated from rules/questions.toml.",
        **fields,
    )
    return model


def _literal(values: tuple[str, ...]) -> Any:
    """`Literal["a", "b"]` built at run time from the question's values."""
    return Literal.__getitem__(values)


def validate_answers(data: Any, rulebase: RuleBase, source: str | None = None) -> dict[str, Any]:
    """Check a mapping (or an Answers model) and return the answers as a plain dict.

    Set answers come back as frozensets for the engine. Raises AnswersError listing every problem.
    Answers of exactly the expected types take a fast path (`_plain_valid`); anything else, and
    every invalid answer, goes through the pydantic model, which words the errors.
    """
    if type(data) is not dict and not isinstance(data, Mapping):  # a dict: no ABC check
        from pydantic import BaseModel

        if isinstance(data, BaseModel):
            data = data.model_dump(exclude_unset=True)
    if type(data) is not dict and not isinstance(data, Mapping):
        raise AnswersError(
            [f"answers must be a mapping of question id to answer, got {type(data).__name__}"],
            source,
        )
    if SCHEMA_KEY in data:
        # A JSON answers file may name its JSON Schema (for editors); it is not an answer.
        if not isinstance(data[SCHEMA_KEY], str):
            raise AnswersError(
                [
                    f"'{SCHEMA_KEY}' names where the file's JSON Schema is, so it must be a "
                    f"string, not {shown_value(data[SCHEMA_KEY])}"
                ],
                source,
            )
        data = {k: v for k, v in data.items() if k != SCHEMA_KEY}
    fast = _plain_valid(data, rulebase)
    if fast is not None:
        return fast
    unknown = [k for k in data if k not in rulebase.question_by_id and k not in METADATA_FIELDS]
    if len(unknown) > SHOWN_PROBLEMS:
        # more unknown ids than an error spells out: a suggestion for each of 400,000 keys
        # took 25 s, so only the shown ones get one (the rest are counted)
        raise AnswersError(_unknown_ids(unknown, rulebase), source)
    surrogates = surrogate_problems(data)
    if surrogates:
        raise AnswersError(surrogates, source)
    from pydantic import ValidationError

    model = answers_model(rulebase)
    try:
        validated = model.model_validate(dict(data))
    except ValidationError as exc:
        raise AnswersError(_translate(exc, rulebase), source) from None
    dumped = validated.model_dump(exclude_unset=True)
    problems = []
    clean: dict[str, Any] = {}
    for key, value in dumped.items():
        question = rulebase.question_by_id.get(key)
        if question is not None and question.kind == "set" and value is not None:
            if len(set(value)) != len(value):
                twice = sorted(v for v, n in Counter(value).items() if n > 1)
                problems.append(f"'{key}' lists a value twice: {cut(', '.join(twice))}")
            if len(value) < question.min_choices:
                problems.append(
                    f"'{key}' needs at least {question.min_choices} value(s) "
                    f"({question.describe_type()})"
                )
            value = frozenset(value)
        clean[key] = value
    if problems:
        raise AnswersError(problems, source)
    return clean


def has_surrogate(text: str) -> bool:
    """True when `text` holds a lone surrogate (see `_SURROGATE`)."""
    return _SURROGATE.search(text) is not None


def surrogate_problems(data: Mapping[Any, Any]) -> list[str]:
    """One line per answer (id or text, list items too) that holds a lone surrogate."""
    problems: list[str] = []
    for key, value in data.items():
        if isinstance(key, str) and has_surrogate(key):
            found, what = key, f"the answer id {json.dumps(key)}"
        else:
            texts = value if isinstance(value, list | tuple) else [value]
            found = next((t for t in texts if isinstance(t, str) and has_surrogate(t)), "")
            what = f"'{key}'"
        match = _SURROGATE.search(found)
        if match:
            problems.append(
                f"{what} holds {json.dumps(match.group())[1:-1]}, a lone surrogate, which is "
                "not Unicode text: remove it or write the character itself (a JSON "
                "'\\ud83d'-style escape needs its other half, as in '\\ud83d\\ude00')"
            )
    return problems


@dataclass(frozen=True, slots=True)
class _AnswerSpec:
    """What a plainly valid answer to one id looks like."""

    kind: str
    """A question kind (choice, set, bool, int), or "str" for a metadata answer."""
    exact: type
    """The one type a valid answer has (`_Sequence` for a many-choice answer: several)."""
    allowed: frozenset[str]
    """The allowed values of a choice or set question."""
    low: int | None
    """The minimum of a number, or the fewest choices of a set."""
    high: int | None
    rank: int
    """The position of the id in the Answers model's field order."""


class _Sequence:
    """Stands for the types a many-choice answer may have (`_SEQUENCES`)."""


# Per rule base: the spec of each answer id, in the Answers model's field order.
_SPECS: dict[str, dict[str, _AnswerSpec]] = {}
_SEQUENCES = (list, tuple, frozenset, set)
"""What a many-choice answer may be (the Answers model takes sets too: no value twice)."""


def _plain_valid(data: Mapping[Any, Any], rulebase: RuleBase) -> dict[str, Any] | None:
    """What `validate_answers` returns, for plainly valid data; None for anything else.

    Accepts only what the Answers model accepts unchanged (exact str, bool and int types; lists,
    tuples or sets of distinct allowed values), in the model's field order; anything else goes
    to the pydantic model, which decides and words the errors. The happy path never builds the
    model: it is what `advise()` runs on every call (issue 6).
    """
    specs = _SPECS.get(rulebase.digest)
    if specs is None:
        specs = _SPECS[rulebase.digest] = _answer_specs(rulebase)
    if not specs.keys() >= data.keys():
        return None
    out: dict[str, Any] = {}
    last = -1
    ordered = True
    for key, value in data.items():
        spec = specs[key]
        if value is not None:
            kind = spec.kind
            if type(value) is not spec.exact:
                value = _plain_set(value, spec)
                if value is None:
                    return None
            elif kind == "choice":
                if value not in spec.allowed:
                    return None
            elif kind != "bool" and not _plain_value(value, spec):
                return None
        out[key] = value
        if spec.rank < last:
            ordered = False
        last = spec.rank
    return out if ordered else {key: out[key] for key in specs if key in out}


def _plain_value(value: Any, spec: _AnswerSpec) -> bool:
    """Whether a number or a metadata text of the spec's exact type is valid."""
    if spec.kind == "int":
        low, high = spec.low, spec.high
        return (low is None or value >= low) and (high is None or value <= high)
    return _SURROGATE.search(value) is None


def _plain_set(value: Any, spec: _AnswerSpec) -> frozenset[str] | None:
    """A valid many-choice answer as a frozenset; None for anything else."""
    kind_of = type(value)
    if spec.kind != "set" or kind_of not in _SEQUENCES:
        return None
    allowed = spec.allowed
    for item in value:
        if type(item) is not str or item not in allowed:
            return None
    chosen = value if kind_of is frozenset else frozenset(value)
    if len(chosen) != len(value) or len(chosen) < (spec.low or 0):
        return None
    return chosen


def _answer_specs(rulebase: RuleBase) -> dict[str, _AnswerSpec]:
    """The spec of every answer id, questions first, as the Answers model orders its fields."""
    exact = {"choice": str, "bool": bool, "int": int, "set": _Sequence}
    specs: dict[str, _AnswerSpec] = {}
    for q in rulebase.questions:
        low = q.min_choices if q.kind == "set" else q.minimum
        specs[q.id] = _AnswerSpec(
            q.kind, exact[q.kind], frozenset(q.values), low, q.maximum, len(specs)
        )
    for name in METADATA_FIELDS:
        specs[name] = _AnswerSpec("str", str, frozenset(), None, None, len(specs))
    return specs


def plain_answer(value: Any, question: Question) -> Any:
    """An answer as plain data: a set answer (a frozenset) becomes a list in the question's own
    value order, which JSON can hold and which is deterministic; other answers are unchanged."""
    if isinstance(value, frozenset):
        return [v for v in question.values if v in value]
    return value


def plain_answers(given: Mapping[str, Any], rulebase: RuleBase) -> dict[str, Any]:
    """Given answers as plain data, as answers files and records hold them: question order
    (reached by the walk or not), a many-choice answer as a list in the question's value order,
    then the metadata (project, notes) that has a value."""
    out: dict[str, Any] = {}
    for question in rulebase.questions:
        value = given.get(question.id)
        if value is not None:
            out[question.id] = plain_answer(
                frozenset(value) if isinstance(value, set) else value, question
            )
    for key in METADATA_FIELDS:
        if given.get(key) is not None:
            out[key] = given[key]
    by_id = rulebase.question_by_id
    out.update(
        {k: v for k, v in given.items() if k not in out and k not in by_id and v is not None}
    )
    return out


def _unknown_ids(unknown: list[str], rulebase: RuleBase) -> list[str]:
    """One problem per unknown id; only those an error spells out get a suggestion."""
    known = [q.id for q in rulebase.questions] + list(METADATA_FIELDS)
    problems = []
    for n, key in enumerate(unknown[:SHOWN_PROBLEMS]):
        close = _closest(shown_id(key), known)
        hint = f"did you mean '{close}'? " if close else ""
        ids = f"known ids: {', '.join(known)}" if n == 0 else "known ids listed above"
        problems.append(f"unknown answer id '{shown_id(key)}' ({hint}{ids})")
    problems += [f"unknown answer id '{shown_id(key)}'" for key in unknown[SHOWN_PROBLEMS:]]
    return problems


def shown_id(key: Any) -> str:
    """An answer id as an error message shows it (cut like a refused value)."""
    return cut(str(key))


def cut(text: str, most: int = SHOWN_CHARACTERS) -> str:
    """`text` as an error message repeats it: at most `most` characters, with the length said
    when it was longer (a value, an id or a path can be megabytes)."""
    return text if len(text) <= most else f"{text[: most - 10]}... ({len(text):,} characters)"


def _translate(exc: Any, rulebase: RuleBase) -> list[str]:
    problems = []
    known = [q.id for q in rulebase.questions] + list(METADATA_FIELDS)
    listed = False  # the known ids are listed with the first unknown id only
    for error in exc.errors():
        loc = error["loc"]
        key = str(loc[0]) if loc else ""
        question = rulebase.question_by_id.get(key)
        got = error.get("input")
        if error["type"] == "extra_forbidden":
            close = _closest(key, known)
            hint = f"did you mean '{close}'? " if close else ""
            ids = "known ids listed above" if listed else f"known ids: {', '.join(known)}"
            problems.append(f"unknown answer id '{shown_id(key)}' ({hint}{ids})")
            listed = True
        elif question is not None:
            shown = shown_value(got)
            item = f" item {loc[1] + 1}" if len(loc) > 1 and isinstance(loc[1], int) else ""
            problems.append(
                f"'{key}'{item}: {shown} is not valid; expected {expected(question, got)}"
            )
        else:
            problems.append(f"'{key}': {error['msg']}")
    return problems


class Typed(str):
    """A `--set` value that did not read as its question's type (kept as text, so the validation
    error can name the forms the command line accepts)."""

    __slots__ = ()


def expected(question: Question, got: Any = None) -> str:
    """What a valid answer looks like, for an error message. On the command line a yes/no
    question takes `yes`/`no` as well as `true`/`false`, and a number the questionnaire's forms
    (digit groups, the unit, durations for a question in milliseconds); a file takes JSON/TOML
    values."""
    typed = isinstance(got, Typed)
    if question.kind == "bool":
        return "yes or no (true/false)" if typed else "true or false (unquoted)"
    words = question.describe_type()
    if question.kind == "int" and typed:
        forms = ["3000", "3 000"]
        if question.unit:
            forms.append(f"3000 {question.unit}")
        if question.unit == "ms":
            forms += ["2 s", "1.5 min"]
        words += f" (typed as e.g. {', '.join(forms[:-1])} or {forms[-1]})"
    return words


def _closest(key: str, known: list[str]) -> str | None:
    """The known id a typo most likely meant (a prefix such as `latency` counts too)."""
    if len(key) > SHOWN_CHARACTERS:
        return None  # no typo: and comparing megabytes costs seconds
    prefixed = [k for k in known if k.startswith(key) or key.startswith(k)]
    if prefixed:
        return prefixed[0]
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return close[0] if close else None


def shown_value(value: Any) -> str:
    """A refused answer as an error message shows it: JSON where it is JSON (non-ASCII letters
    as they are, control characters escaped), a date or time by its TOML text, anything else by
    its type; cut to `SHOWN_CHARACTERS` with its length said."""
    import datetime

    if isinstance(value, datetime.date | datetime.time):
        text = f"the date or time {value.isoformat()}"
    elif _jsonable(value):
        text = "".join(
            char if char.isprintable() else f"\\u{ord(char):04x}"
            for char in json.dumps(value, ensure_ascii=False)
        )  # letters as typed; controls, C1 codes and direction marks escaped
    else:
        text = f"a value of type {type(value).__name__}"
    return cut(text)


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def parse_setting(text: str, rulebase: RuleBase) -> tuple[str, Any]:
    """`id=value` from the command line, typed by the question (`a,b` for many-choice)."""
    key, sep, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not sep or not key:
        raise AnswersError([f"--set '{text}': expected id=value, e.g. --set latency_budget_ms=800"])
    question = rulebase.question_by_id.get(key)
    if question is None:  # metadata, or an unknown id that validation reports with the known ones
        return key, raw
    if question.kind == "int":
        from advisor.knowledge.numbers import parse_number

        value, _ = parse_number(raw, question)  # `3000`, `3 000`, `2 s` as in the questionnaire
        return key, Typed(raw) if value is None else value
    if question.kind == "bool":
        lowered = raw.lower()
        if lowered in ("true", "yes", "y", "1", "on"):
            return key, True
        if lowered in ("false", "no", "n", "0", "off"):
            return key, False
        return key, Typed(raw)
    if question.kind == "set":
        return key, [part.strip() for part in raw.split(",") if part.strip()]
    return key, raw


def decode_utf8(data: bytes, source: str) -> str:
    """Strictly decoded UTF-8 (answers files and standard input); AnswersError otherwise."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not valid UTF-8 at byte {exc.start} (save the answers as UTF-8 text)"
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            problem = "UTF-16 text (it starts with a UTF-16 byte-order mark); save it as UTF-8"
        raise AnswersError([problem], source) from None
