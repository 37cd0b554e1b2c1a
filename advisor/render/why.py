"""Renders WHY results (`analysis.why`) as text, JSON or markdown."""

from __future__ import annotations

import json
import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.analysis.why import WhyData

FORMATS = ("text", "json", "markdown")
WIDTH = 80


def render(data: WhyData, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data.as_dict(), indent=2, ensure_ascii=False)
    markdown = fmt == "markdown"

    def wrap(text: str, indent: str = "") -> list[str]:
        if markdown:
            return [indent + text]
        return textwrap.wrap(
            text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ",
            break_on_hyphens=False,
        )  # fmt: skip

    title = f"Why we ask {data.question}: {data.text}"
    lines = [f"# {title}" if markdown else title, ""]
    lines += wrap(data.why)
    lines.append("")
    asked = "always" if data.asked_when == "true" else f"when {data.asked_when}"
    state = "asked" if data.reached else "not asked"
    lines += wrap(f"Asked {asked}; with these answers it is {state} (now: {data.current_words}).")
    lines += wrap(
        f"It can change {len(data.rules)} rule(s)"
        + (f" and whether {', '.join(data.opens)} is asked" if data.opens else "")
        + f"; conclusions: {', '.join(data.conclusions) or 'none'}."
    )
    if data.live_rules:
        lines += wrap(f"Given the other answers, it decides: {', '.join(data.live_rules)}.")
        if data.live_conclusions:
            lines += wrap(f"Its answer can change: {', '.join(data.live_conclusions)}.")
    else:
        lines += wrap("Given the other answers, no rule depends on it.")
    lines.append("")
    lines.append("## Each answer" if markdown else "Each answer:")
    for outcome in data.values:
        mark = " (current)" if outcome.current else ""
        if outcome.added or outcome.removed:
            changes = []
            if outcome.added:
                changes.append("adds " + ", ".join(outcome.added))
            if outcome.removed:
                changes.append("removes " + ", ".join(outcome.removed))
            effect = "; ".join(changes)
        else:
            effect = "the same advice"
        lines += wrap(f"- {outcome.words}{mark}: {effect}", "" if markdown else "  ")
    if data.assumed:
        lines.append("")
        lines += wrap("Assumed where not answered: " + "; ".join(data.assumed) + ".")
    return "\n".join(lines).rstrip() + "\n"
