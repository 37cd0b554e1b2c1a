"""Renders WHY results (`analysis.why`) as text, JSON or markdown."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.analysis.why import ValueOutcome, WhyData
    from advisor.knowledge.questions import Question

FORMATS = ("text", "json", "markdown")
WIDTH = 80


def render(data: WhyData, fmt: str, question: Question | None = None) -> str:
    """WHY as text, JSON or markdown. With the `question`, text and markdown show adjacent
    number ranges whose advice differs from the current answer's in the same way as one range
    (they differ only in which rules give it, which the JSON output keeps)."""
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
        + (
            f" and whether {_listed(data.opens)} {'are' if len(data.opens) > 1 else 'is'} asked"
            if data.opens
            else ""
        )
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
    base = next((o for o in data.values if o.current), None)
    for outcome, words in _shown(data.values, question):
        mark = " (current)" if outcome.current else ""
        changes = []
        if outcome.added:
            changes.append("adds " + ", ".join(outcome.added))
        if outcome.removed:
            changes.append("removes " + ", ".join(outcome.removed))
        if base is not None and not outcome.current:
            # notes are advice too, though not listed elements: named by the rules giving them
            gained = [r for r in outcome.notes_fired if r not in base.notes_fired]
            lost = [r for r in base.notes_fired if r not in outcome.notes_fired]
            if gained:
                changes.append("adds the notes of " + ", ".join(gained))
            if lost:
                changes.append("drops the notes of " + ", ".join(lost))
        effect = "; ".join(changes) if changes else "the same advice"
        lines += wrap(f"- {words}{mark}: {effect}", "" if markdown else "  ")
    if data.assumed:
        lines.append("")
        lines += wrap("Assumed where not answered: " + "; ".join(data.assumed) + ".")
    return "\n".join(lines).rstrip() + "\n"


def _shown(
    outcomes: tuple[ValueOutcome, ...], question: Question | None
) -> list[tuple[ValueOutcome, str]]:
    """Each outcome with the words of its range; with the question, adjacent number ranges with
    the same visible outcome are one row (current if either is)."""
    shown: list[tuple[ValueOutcome, str]] = []
    low = None
    for outcome in outcomes:
        if shown and question is not None:
            last, _ = shown[-1]
            if (
                low is not None
                and last.high is not None
                and outcome.low == last.high + 1
                and outcome.high is not None
                and (last.techniques, last.added, last.removed, last.notes_fired)
                == (outcome.techniques, outcome.added, outcome.removed, outcome.notes_fired)
            ):
                from advisor.analysis.whatif import range_words

                merged = outcome if outcome.current else last
                shown[-1] = (
                    dataclasses.replace(merged, low=low, high=outcome.high),
                    range_words(question, low, outcome.high),
                )
                continue
        low = outcome.low
        shown.append((outcome, outcome.words))
    return shown


def _listed(items: tuple[str, ...] | list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"
