"""Answers in layers: one precedence for every front end, and where each answer came from.

An answer can come from several places at once. `AnswerLayers` holds them as named layers and
reads them like a `collections.ChainMap`, highest precedence first::

    command line     --set id=value
    answers file     --answers FILE (or '-', standard input)
    decision record  --from-record FILE
    questionnaire    typed in `advisor ask`
    partial file     a stopped questionnaire's answers (--resume)
    defaults         the questions' defaults in the rule base

`lookup(id)` gives the value and its `Provenance` (the layer and its source label, such as the
file path). `given()` is what the user gave (every layer but the defaults): what the engine
decides on, and what a saved answers file keeps, reached by the walk or not. The engine still
decides which defaults apply (only to reached questions); the defaults layer says what they are.

The object is immutable: changing an answer returns new layers. Nothing here imports pydantic
(validation imports it only when an answer needs the model to word an error).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

from advisor.errors import AnswersError, MissingAnswersError
from advisor.services.answer_files import read_answers_file

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase

COMMAND_LINE = "command line"
ANSWERS_FILE = "answers file"
RECORD = "decision record"
QUESTIONNAIRE = "questionnaire"
PARTIAL = "partial file"
DEFAULTS = "defaults"
LAYERS = (COMMAND_LINE, ANSWERS_FILE, RECORD, QUESTIONNAIRE, PARTIAL, DEFAULTS)
"""Layer names, highest precedence first."""
_FILES = (ANSWERS_FILE, RECORD, PARTIAL)  # layers read from a file: they name the source


@dataclass(frozen=True, slots=True)
class Provenance:
    """Which layer gave an answer, and the source it was read from (a path, "command line")."""

    layer: str
    source: str

    def __str__(self) -> str:
        return self.source if self.source == self.layer else f"{self.layer} {self.source}"


@dataclass(frozen=True, slots=True)
class Layer:
    """The answers of one source; `values` is read-only."""

    name: str
    source: str
    values: Mapping[str, Any]

    def __post_init__(self) -> None:
        if self.name not in LAYERS:
            raise ValueError(f"unknown answer layer {self.name!r} (known: {', '.join(LAYERS)})")
        object.__setattr__(self, "values", MappingProxyType(dict(self.values)))


class HasAnswers(Protocol):
    """What a decision record gives the layers: its file name and its embedded answers."""

    @property
    def source(self) -> str: ...

    @property
    def answers(self) -> Mapping[str, Any]: ...


class AnswerLayers(Mapping[str, Any]):
    """Named answer layers in precedence order, read as one mapping (the highest layer wins)."""

    __slots__ = ("_layers",)

    def __init__(self, layers: Iterable[Layer] = ()) -> None:
        by_name: dict[str, Layer] = {}
        for layer in layers:
            by_name[layer.name] = layer  # a later layer of the same name replaces an earlier one
        self._layers = tuple(sorted(by_name.values(), key=lambda layer: LAYERS.index(layer.name)))

    # -- reading ----------------------------------------------------------------------------

    def __getitem__(self, key: str) -> Any:
        for layer in self._layers:
            if key in layer.values:
                return layer.values[key]
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._merged(self._layers))

    def __len__(self) -> int:
        return len(self._merged(self._layers))

    def __repr__(self) -> str:
        inner = ", ".join(f"{layer.name}={dict(layer.values)!r}" for layer in self._layers)
        return f"AnswerLayers({inner})"

    @property
    def layers(self) -> tuple[Layer, ...]:
        """The layers, highest precedence first."""
        return self._layers

    def layer(self, name: str) -> Layer | None:
        return next((layer for layer in self._layers if layer.name == name), None)

    def lookup(self, key: str) -> tuple[Any, Provenance] | None:
        """The answer to `key` and which layer gave it; None when no layer has one."""
        for layer in self._layers:
            if key in layer.values:
                return layer.values[key], Provenance(layer.name, layer.source)
        return None

    def provenance(self, key: str) -> Provenance | None:
        found = self.lookup(key)
        return None if found is None else found[1]

    def given(self) -> dict[str, Any]:
        """Every answer the user gave (all layers but the defaults), reached by the walk or not.

        Keys keep the order of the lowest layer that has them (as `dict.update` from the lowest
        layer up would), values come from the highest.
        """
        return self._merged(tuple(layer for layer in self._layers if layer.name != DEFAULTS))

    @staticmethod
    def _merged(layers: Sequence[Layer]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for layer in reversed(layers):
            merged.update(layer.values)
        return merged

    @property
    def label(self) -> str:
        """The source to name in an error about the given answers: the file that gave them
        ("answers.toml", "<stdin>", a record, a partial file), "... with --set" when --set
        changed some, or "command line"."""
        files = [layer.source for layer in self._layers if layer.name in _FILES]
        if not files:
            return COMMAND_LINE
        return files[0] + (" with --set" if self.layer(COMMAND_LINE) is not None else "")

    # -- changing (each returns new layers) -------------------------------------------------

    def with_layer(
        self, name: str, values: Mapping[str, Any], source: str | None = None
    ) -> AnswerLayers:
        """These layers with layer `name` replaced by `values` (source: the layer's name)."""
        return AnswerLayers([*self._layers, Layer(name, source or name, values)])

    def with_answer(self, name: str, key: str, value: Any) -> AnswerLayers:
        """`key` answered in layer `name`; higher layers stop overriding it (the user's latest
        word wins: an answer given with --set and changed in the questionnaire is changed)."""
        rank = LAYERS.index(name)
        layers: list[Layer] = []
        for layer in self._layers:
            if LAYERS.index(layer.name) < rank and key in layer.values:
                layer = Layer(layer.name, layer.source, _drop(layer.values, key))
            layers.append(layer)
        current = self.layer(name)
        values = {**(current.values if current else {}), key: value}
        layers.append(Layer(name, current.source if current else name, values))
        return AnswerLayers(layers)

    def without(self, key: str) -> AnswerLayers:
        """`key` unanswered in every layer the user gave (its default, if any, stays)."""
        return AnswerLayers(
            layer
            if layer.name == DEFAULTS or key not in layer.values
            else Layer(layer.name, layer.source, _drop(layer.values, key))
            for layer in self._layers
        )

    # -- validation -------------------------------------------------------------------------

    @contextmanager
    def attributed(self) -> Iterator[None]:
        """Re-raise an `AnswersError` of the block as a problem of these answers' `label`."""
        try:
            yield
        except MissingAnswersError as exc:
            found = exc if self.given() else exc.given_nothing()
            raise found.with_source(self.label) from None
        except AnswersError as exc:
            raise exc.with_source(self.label) from None

    def validated(self, rulebase: RuleBase) -> AnswerLayers:
        """The winning answers validated (sets as frozensets), each still in the layer that
        gave it; answers a higher layer overrides are dropped. Errors name `label`."""
        from advisor.knowledge.answers import validate_answers

        given = self.given()
        with self.attributed():
            clean = validate_answers(given, rulebase) if given else {}
        layers = []
        for layer in self._layers:
            if layer.name != DEFAULTS:
                kept = {
                    key: clean[key]
                    for key in layer.values
                    if key in clean and self.provenance(key) == Provenance(layer.name, layer.source)
                }
                layer = Layer(layer.name, layer.source, kept)
            layers.append(layer)
        return AnswerLayers(layers)


def _drop(values: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != key}


# -- building the layers -------------------------------------------------------------------


def defaults_layer(rulebase: RuleBase) -> Layer:
    """The questions' defaults (a many-choice default as a frozenset, as answers are held)."""
    values = {
        q.id: frozenset(q.default) if q.kind == "set" else q.default
        for q in rulebase.questions
        if q.has_default
    }
    return Layer(DEFAULTS, f"rule base {rulebase.name}", values)


def command_line_layer(settings: Sequence[str], rulebase: RuleBase) -> Layer:
    """`--set id=value` settings, typed by their question (a later one for an id wins)."""
    from advisor.knowledge.answers import parse_setting

    values: dict[str, Any] = {}
    for setting in settings:
        key, value = parse_setting(setting, rulebase)
        values[key] = value
    return Layer(COMMAND_LINE, COMMAND_LINE, values)


def record_layer(record: HasAnswers) -> Layer:
    """The answers embedded in a decision record (`advisor.services.records`)."""
    return Layer(RECORD, record.source, record.answers)


def answers_file_layer(path: str, stdin_text: str | None = None) -> Layer:
    """The answers file of `--answers FILE` (or `-`) as an answer layer named by its source."""
    values = read_answers_file(path, stdin_text)
    return Layer(ANSWERS_FILE, "<stdin>" if path == "-" else path, values)


def partial_layer(path: str | Path) -> Layer:
    """The answers a stopped questionnaire saved (`--resume`); an error if there are none."""
    path = Path(path)
    if not path.is_file():
        raise AnswersError(
            ["no saved answers to resume (advisor ask saves them there when stopped)"], str(path)
        )
    return Layer(PARTIAL, str(path), read_answers_file(str(path)))


def gather(
    rulebase: RuleBase,
    *,
    settings: Sequence[str] = (),
    answers_file: str | None = None,
    record: HasAnswers | None = None,
    partial: str | Path | None = None,
    stdin_text: str | None = None,
) -> AnswerLayers:
    """The layers of a front end's sources (each read only when given), with the defaults.

    Read from the lowest layer up, so the first problem reported is the lowest source's.
    """
    layers = [defaults_layer(rulebase)]
    if partial is not None:
        layers.append(partial_layer(partial))
    if record is not None:
        layers.append(record_layer(record))
    if answers_file:
        layers.append(answers_file_layer(answers_file, stdin_text))
    if settings:
        layers.append(command_line_layer(settings, rulebase))
    return AnswerLayers(layers)
