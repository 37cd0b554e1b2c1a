"""Renders an Explanation (HOW, `analysis.explain`) as text, JSON or markdown.

Reads the plain `ExplanationData` only: nothing here evaluates a rule.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.analysis.explain import Element, ExplanationData, FiredRule

FORMATS = ("text", "json", "markdown")
WIDTH = 80


def render(data: ExplanationData, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(data.as_dict(), indent=2, ensure_ascii=False)
    if fmt == "markdown":
        return _markdown(data)
    return _text(data)


def _title(element: Element) -> str:
    if element.kind == "finding":
        return f"Finding {element.value} ({element.severity})"
    kind = element.kind.replace("_", " ")
    return f"{kind.capitalize()}: {element.label}"


def _strength(element: Element) -> str:
    if element.strength is None:
        return ""
    return f"{element.strength}: {element.strength_reason}"


def _support_words(rule: FiredRule) -> str:
    if not rule.support:
        return "always (no answer needed)"
    parts = []
    for answer in rule.support:
        note = " (default)" if answer.status == "defaulted" else ""
        note += "" if answer.changeable else " [fact]"
        parts.append(f"{answer.question} = {answer.words}{note}")
    return "; ".join(parts)


def _wrap(text: str, indent: str) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ", break_on_hyphens=False
    )


def _text(data: ExplanationData) -> str:
    lines = [f"How the advice was reached: {', '.join(data.techniques)}", ""]
    for element in data.elements:
        lines.append(_title(element))
        strength = _strength(element)
        if strength:
            lines.extend(_wrap(f"strength: {strength}", "  "))
        if element.baseline:
            lines.append("  always: the baseline every recommendation starts from")
        for rule in element.rules:
            lines.extend(_rule_lines(rule, "rule"))
        for rule in element.notes:
            lines.extend(_rule_lines(rule, "reason"))
        lines.append("")
    if data.sources:
        lines.append("Sources")
        lines.extend(f"  {s.ref}: {s.title}" for s in data.sources)
    return "\n".join(lines).rstrip() + "\n"


def _rule_lines(rule: FiredRule, label: str) -> list[str]:
    lines = _wrap(f"{label} {rule.id}: {rule.because}", "  ")
    lines.extend(_wrap(f"because {_support_words(rule)}", "    "))
    lines.extend(_wrap(f"kb: {', '.join(rule.citations)}", "    "))
    return lines


def _md(text: str) -> str:
    """Plain text made inert in markdown (no heading, link, HTML or emphasis from answers)."""
    out = []
    for char in text:
        out.append("\\" + char if char in "\\`*_[]<>#|!" else char)
    return "".join(out)


def _markdown(data: ExplanationData) -> str:
    esc: Callable[[str], str] = _md
    lines = ["# How the advice was reached", ""]
    lines.append(f"Techniques: {', '.join(esc(t) for t in data.techniques)}.")
    lines.append("")
    for element in data.elements:
        lines.append(f"## {esc(_title(element))}")
        lines.append("")
        strength = _strength(element)
        if strength:
            lines.append(f"Strength: **{esc(strength)}**")
            lines.append("")
        if element.baseline:
            lines.append("- Always: the baseline every recommendation starts from.")
        for label, rules in (("Rule", element.rules), ("Reason", element.notes)):
            for rule in rules:
                cites = ", ".join(f"[{esc(c)}]({c})" for c in rule.citations)
                lines.append(f"- {label} `{rule.id}`: {esc(rule.because)}")
                lines.append(f"  - because {esc(_support_words(rule))}")
                lines.append(f"  - kb: {cites}")
        lines.append("")
    if data.sources:
        lines.append("## Sources")
        lines.append("")
        lines.extend(f"- [{esc(s.title)}]({s.ref})" for s in data.sources)
    return "\n".join(lines).rstrip() + "\n"
