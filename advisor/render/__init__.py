"""Renderers: a Decision as text, JSON or a MADR decision record; the registry of output formats.

A renderer is a module with `render(decision, **options) -> str` (the `Renderer` protocol). It
receives data: the Decision and, where a format needs more, inputs computed once beforehand by
the service the format names (`Format.prepare`; the record's alternatives and record data come
from `advisor.services.records.record_inputs`). No renderer runs the engine.

`FORMATS` maps each format name to its module, imported only when that format is rendered, so
`advisor recommend --format json` never imports the markdown writer (nor pydantic).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

if TYPE_CHECKING:
    from advisor.engine.decision import Decision


class Renderer(Protocol):
    """What a renderer module provides."""

    def render(self, decision: Decision, /, **options: Any) -> str: ...


@dataclass(frozen=True, slots=True)
class Format:
    """One output format: the renderer module, the options it takes, what it needs prepared."""

    name: str
    module: str
    help: str
    options: frozenset[str] = frozenset()
    """Rendering options it accepts (others given to `render()` are not passed on)."""
    prepare: Callable[[Decision], dict[str, Any]] | None = None
    """Computes the inputs the renderer needs besides the Decision, once per rendering."""


def _record_inputs(decision: Decision) -> dict[str, Any]:
    from advisor.services.records import record_inputs

    return record_inputs(decision)


FORMATS: dict[str, Format] = {
    format.name: format
    for format in (
        Format("text", "advisor.render.text", "a readable summary", frozenset({"color", "width"})),
        Format("json", "advisor.render.jsonout", "the Recommendation as JSON"),
        Format(
            "markdown",
            "advisor.render.markdown",
            "a MADR decision record",
            frozenset({"date", "kb_base_url", "front_matter"}),
            _record_inputs,
        ),
    )
}


def renderer(name: str) -> Renderer:
    """The renderer module of a format (imported now). KeyError for an unknown format."""
    return cast("Renderer", importlib.import_module(FORMATS[name].module))


def render(decision: Decision, name: str, **options: Any) -> str:
    """Render `decision` in the format `name`: prepare its inputs, then call its renderer.

    Options the format does not take are left out (None values too, so a default applies).
    """
    entry = FORMATS[name]
    given = {k: v for k, v in options.items() if k in entry.options and v is not None}
    if entry.prepare is not None:
        given.update(entry.prepare(decision))
    return renderer(name).render(decision, **given)
