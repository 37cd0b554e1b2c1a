"""Plain-text rendering of a recommendation, readable at 80 columns.

Reasons carry numbered citations ([1], [2]); the numbers point into a Sources list that quotes
the knowledge-base excerpt behind each, so the terminal shows the justification, not just links.
"""

from __future__ import annotations

import re
import textwrap
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase
    from advisor.models import RationaleItem, Recommendation

WIDTH = 80
TECHNIQUE_NAMES = {
    "prompt_engineering": "Prompt engineering",
    "rag": "Retrieval-augmented generation (RAG)",
    "fine_tuning": "Fine-tuning",
}
_SEVERITY_STYLES = {"HIGH": "1;31", "MEDIUM": "1;33", "LOW": "36", "INFO": "2"}
_HEADING = re.compile(r"^(Recommendation: .*|\d+\. .*|Findings|Sources)$")
_SEVERITY = re.compile(r"^(  )\[(HIGH|MEDIUM|LOW|INFO)\]")
_SOURCE = re.compile(r"^(  \[\d+\] )(kb/\S+)")
SHORT_NAMES = {
    "prompt_engineering": "prompt engineering",
    "rag": "RAG",
    "fine_tuning": "fine-tuning",
}


def humanize(value: str) -> str:
    """`chain_of_thought` -> `chain-of-thought`, `text_to_sql` -> `text-to-SQL`, ..."""
    special = {
        "chain_of_thought": "chain-of-thought",
        "text_to_sql": "text-to-SQL",
        "few_shot": "few-shot",
    }
    return special.get(value, value.replace("_", " "))


def headline(recommendation: Recommendation) -> str:
    return " + ".join(SHORT_NAMES[t] for t in recommendation.techniques)


def render_text(
    recommendation: Recommendation,
    rulebase: RuleBase | None = None,
    *,
    color: bool = False,
    width: int = WIDTH,
) -> str:
    """The recommendation as text wrapped at `width` columns.

    `color` adds ANSI styles (bold headings, severities in colour) after wrapping, so the layout
    is the same with and without it; the default is plain text.
    """
    plain = _render(recommendation, width)
    return _colorize(plain) if color else plain


def _render(recommendation: Recommendation, width: int) -> str:
    numbers = {source.ref: n for n, source in enumerate(recommendation.sources, start=1)}
    lines = [f"Recommendation: {headline(recommendation)}", ""]
    plans: list[tuple[str, Any, str, list[str]]] = [
        (
            "prompt_engineering",
            recommendation.prompt_engineering,
            "Tactics",
            [humanize(t) for t in recommendation.prompt_engineering.tactics],
        ),
    ]
    if recommendation.rag:
        choice = [humanize(r) for r in recommendation.rag.retrievers] or ["none"]
        plans.append(
            (
                "rag",
                recommendation.rag,
                "Retrievers",
                [
                    *choice[:-1],
                    choice[-1]
                    + ("; re-ranker: yes" if recommendation.rag.reranker else "; re-ranker: no"),
                ],
            )
        )
    if recommendation.fine_tuning:
        plans.append(
            (
                "fine_tuning",
                recommendation.fine_tuning,
                "Purposes",
                [humanize(p) for p in recommendation.fine_tuning.purposes],
            )
        )
    for index, (technique, plan, label, choices) in enumerate(plans, start=1):
        lines.append(f"{index}. {TECHNIQUE_NAMES[technique]}")
        lines.extend(_wrap(width, f"{label}: {', '.join(choices) or 'none'}", "   "))
        for item in plan.rationale:
            lines.extend(_wrap(width, _cited(item, numbers), "   - ", "     "))
        lines.append("")
    if recommendation.findings:
        lines.append("Findings")
        for finding in recommendation.findings:
            refs = "".join(f"[{numbers[c]}]" for c in finding.citations)
            lines.extend(
                _wrap(
                    width,
                    f"[{finding.severity.upper()}] {finding.id}: {finding.message} {refs}",
                    "  ",
                    "    ",
                )
            )
        lines.append("")
    lines.append("Sources")
    for n, source in enumerate(recommendation.sources, start=1):
        lines.extend(
            _wrap(width, f"[{n}] {source.ref} ({source.page} > {source.title})", "  ", "      ")
        )
        if source.excerpt:
            lines.extend(_wrap(width, source.excerpt, "      "))
    lines.append("")
    lines.append(f"rules {recommendation.rules_version}, advisor {recommendation.advisor_version}")
    return "\n".join(lines) + "\n"


def _colorize(text: str) -> str:
    """ANSI styles on the wrapped plain text: headings bold, severities coloured, refs cyan."""
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if _HEADING.match(line):
            lines[index] = f"\033[1m{line}\033[0m"
        elif match := _SEVERITY.match(line):
            tag = match.group(2)
            lines[index] = _SEVERITY.sub(
                f"\\1\033[{_SEVERITY_STYLES[tag]}m[{tag}]\033[0m", line, count=1
            )
        elif match := _SOURCE.match(line):
            lines[index] = _SOURCE.sub("\\1\033[36m\\2\033[0m", line, count=1)
        elif index == len(lines) - 2 and line.startswith("rules "):
            lines[index] = f"\033[2m{line}\033[0m"
    return "\n".join(lines)


def _cited(item: RationaleItem, numbers: dict[str, int]) -> str:
    return item.text + " " + "".join(f"[{numbers[c]}]" for c in item.citations)


def _wrap(width: int, text: str, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest if rest is not None else first,
        break_on_hyphens=False,
        break_long_words=False,
    )
