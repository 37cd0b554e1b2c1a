"""Renders what-if results (`analysis.whatif`) as text, JSON or markdown.

Reads the plain `WhatIfData` only: the alternatives were decided in the analysis layer.
"""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.analysis.whatif import ElementWhatIf, WhatIfData

FORMATS = ("text", "json", "markdown")
WIDTH = 80


def render(data: WhatIfData, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data.as_dict(), indent=2, ensure_ascii=False)
    lines = _lines(data, markdown=fmt == "markdown")
    return "\n".join(lines).rstrip() + "\n"


def _heading(element: ElementWhatIf) -> str:
    state = "in the advice" if element.present else "not in the advice"
    return f"{element.label} ({element.key}; {state})"


def _wrap(text: str, indent: str, markdown: bool) -> list[str]:
    if markdown:
        return [indent + text]
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False
    )


def _lines(data: WhatIfData, *, markdown: bool) -> list[str]:
    bound = f"at most {data.max_changes} changed answer(s)"
    title = "What would change the advice"
    lines = [f"# {title}" if markdown else title, ""]
    lines += _wrap(f"Varied answers ({bound}): {', '.join(data.varied)}.", "", markdown)
    lines.append("")
    out_of_reach = []
    for element in data.elements:
        if element.fixed and not element.present:
            out_of_reach.append(element.label)
            continue
        lines.append(f"## {_heading(element)}" if markdown else _heading(element))
        if markdown:
            lines.append("")
        if element.fixed:
            lines += _wrap(f"- fixed: {element.words}", "" if markdown else "  ", markdown)
        for change_set in element.change_sets:
            verb = "removed" if element.present else "added"
            lines += _wrap(f"- {verb} with {change_set.words}", "" if markdown else "  ", markdown)
        for held in element.holds_within:
            lines += _wrap(f"- {held.words}", "" if markdown else "  ", markdown)
        lines.append("")
    if out_of_reach:
        lines += _wrap(f"Cannot be added with {bound}: {', '.join(out_of_reach)}.", "", markdown)
    return lines
