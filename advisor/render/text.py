"""Plain-text rendering of a Decision (the `text` output format), readable at 80 columns.

The layout is read from the plain Recommendation data (`engine.assemble.plain`) and the
vocabulary, which says which sub-choices each technique's plan shows. Reasons carry numbered
citations ([1], [2]); the numbers point into a Sources list that quotes the knowledge-base
excerpt behind each, so the terminal shows the justification, not just links.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from advisor.engine import assemble
from advisor.engine.decision import Decision
from advisor.render.terminal import visible
from advisor.vocabulary import DEFAULT, Vocabulary

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase
    from advisor.models import Recommendation

WIDTH = 80
TECHNIQUE_NAMES = {
    "prompt_engineering": "Prompt engineering",
    "rag": "Retrieval-augmented generation (RAG)",
    "fine_tuning": "Fine-tuning",
}
_SEVERITY_STYLES = {"HIGH": "1;31", "MEDIUM": "1;33", "LOW": "36", "INFO": "2"}
_HEADING = re.compile(
    r"^(Recommendation: .*|\d+\. .*|Evaluation plan|Latency ledger .*|Findings|Sources)$"
)
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


def headline(subject: Any) -> str:
    """`prompt engineering + RAG`: the techniques of a Decision, Recommendation or plain data."""
    techniques = subject["techniques"] if isinstance(subject, Mapping) else subject.techniques
    return " + ".join(SHORT_NAMES[t] for t in techniques)


def render(decision: Decision, *, color: bool = False, width: int = WIDTH) -> str:
    """The Decision as text wrapped at `width` columns (the `text` output format).

    `color` adds ANSI styles (bold headings, severities in colour) after wrapping, so the layout
    is the same with and without it; the default is plain text.
    """
    plain = visible(_render(assemble.plain(decision), decision.rulebase.vocabulary, width))
    return _colorize(plain) if color else plain


def render_text(
    subject: Decision | Recommendation,
    rulebase: RuleBase | None = None,
    *,
    color: bool = False,
    width: int = WIDTH,
) -> str:
    """`render()` for a Decision, or for a Recommendation the caller already holds (its data is
    read as it is: nothing is decided again). `rulebase` gives the vocabulary of a
    Recommendation (default: the shipped one)."""
    if isinstance(subject, Decision):
        return render(subject, color=color, width=width)
    vocabulary = rulebase.vocabulary if rulebase is not None else DEFAULT
    plain = _render(subject.model_dump(mode="json"), vocabulary, width)
    return _colorize(plain) if color else plain


def plan_choices(plan: Mapping[str, Any], technique: str, vocabulary: Vocabulary) -> str:
    """A plan's sub-choices in words, from the vocabulary: `Retrievers: vector; re-ranker: no`."""
    parts = []
    for kind in vocabulary.sub_choices(technique):
        value = plan.get(kind.field or kind.name)
        if kind.merge == "flag":
            parts.append(f"{kind.label}: {'yes' if value else 'no'}")
        else:
            words = ", ".join(humanize(v) for v in value or ()) or "none"
            parts.append(f"{(kind.field or kind.name).replace('_', ' ')}: {words}")
    line = "; ".join(parts)
    return line[:1].upper() + line[1:]


def _render(data: Mapping[str, Any], vocabulary: Vocabulary, width: int) -> str:
    sources = data["sources"]
    numbers = {source["ref"]: n for n, source in enumerate(sources, start=1)}
    lines = [f"Recommendation: {headline(data)}", ""]
    adopted = [t for t in vocabulary.kind("technique").values or () if data.get(t) is not None]
    for index, technique in enumerate(adopted, start=1):
        plan = data[technique]
        lines.append(f"{index}. {TECHNIQUE_NAMES[technique]}")
        choices = plan_choices(plan, technique, vocabulary)
        if choices:
            lines.extend(_wrap(width, choices, "   "))
        for item in plan["rationale"]:
            lines.extend(_wrap(width, _cited(item, numbers), "   - ", "     "))
        lines.append("")
    lines += _evaluation_lines(data, vocabulary, numbers, width)
    lines += ledger_lines(data.get("latency"), width)
    if data["findings"]:
        lines.append("Findings")
        for finding in data["findings"]:
            refs = "".join(f"[{numbers[c]}]" for c in finding["citations"])
            lines.extend(
                _wrap(
                    width,
                    f"[{finding['severity'].upper()}] {finding['id']}: {finding['message']} {refs}",
                    "  ",
                    "    ",
                )
            )
        lines.append("")
    lines += _unused_lines(data["trace"], width)
    lines.append("Sources")
    for n, source in enumerate(sources, start=1):
        lines.extend(
            _wrap(
                width,
                f"[{n}] {source['ref']} ({source['page']} > {source['title']})",
                "  ",
                "      ",
            )
        )
        if source["excerpt"]:
            lines.extend(_wrap(width, source["excerpt"], "      "))
    lines.append("")
    lines.append(f"rules {data['rules_version']}, advisor {data['advisor_version']}")
    if data.get("packs"):
        packs = ", ".join(f"{p['name']} {p['version']}" for p in data["packs"])
        lines.append(f"rule packs: {packs}")
    return "\n".join(lines) + "\n"


def _unused_lines(trace: Any, width: int) -> list[str]:
    """The answers given to questions the walk did not reach, and why they were not used, so
    that an answer the user typed never vanishes without a word."""
    ignored = [step for step in trace if step["kind"] == "ignored"]
    if not ignored:
        return []
    lines = ["Answers not used"]
    for step in ignored:
        value = step["value"]
        shown = ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
        if isinstance(shown, bool):
            shown = "yes" if shown else "no"
        lines.extend(_wrap(width, f"{step['id']} = {shown}: {step['detail']}", "  ", "    "))
    lines.append("")
    return lines


def _evaluation_lines(
    data: Mapping[str, Any], vocabulary: Vocabulary, numbers: dict[str, int], width: int
) -> list[str]:
    """The evaluation plan: its methods in words, then the reason for each."""
    plan = data.get("evaluation")
    if not plan:
        return []
    kind = vocabulary.kind("evaluation")
    methods = ", ".join(kind.words(m) for m in plan["methods"]) or "none"
    lines = ["Evaluation plan"]
    lines.extend(_wrap(width, f"Methods: {methods}", "   "))
    for item in plan["rationale"]:
        lines.extend(_wrap(width, _cited(item, numbers), "   - ", "     "))
    lines.append("")
    return lines


MEASURES = {
    "full_response": "the complete answer",
    "first_token": "the first streamed token",
    "first_audio": "the first audio of the spoken reply",
}


def parallel_groups(stages: Any) -> set[str]:
    """The parallel groups with two or more of the kept stages (a lone member runs alone)."""
    seen: set[str] = set()
    shared: set[str] = set()
    for stage in stages:
        group = stage["parallel_group"]
        if group is not None:
            (shared if group in seen else seen).add(group)
    return shared


def ms_range(low: int, high: int) -> str:
    """A stage's range in words ("600 ms" when it has one figure, a floor)."""
    return f"{low:,} ms" if low == high else f"{low:,}-{high:,} ms"


def ledger_lines(ledger: Mapping[str, Any] | None, width: int) -> list[str]:
    """The latency ledger: each kept stage's typical ms and range, the total against the
    budget, and what was dropped to fit it."""
    if not ledger:
        return []
    lines = [
        f"Latency ledger (budget {ledger['budget_ms']:,} ms for "
        f"{MEASURES.get(ledger['measure'], ledger['measure'])})"
    ]
    shared = parallel_groups(ledger["stages"])
    for stage in ledger["stages"]:
        group = " (in parallel)" if stage["parallel_group"] in shared else ""
        lines.extend(
            _wrap(
                width,
                f"{stage['typical_ms']:>7,} ms  {stage['label']}{group}, "
                + ms_range(stage["low_ms"], stage["high_ms"]),
                "   ",
                "              ",
            )
        )
    verdict = "fits the budget" if ledger["fits"] else "exceeds the budget"
    lines.extend(
        _wrap(
            width,
            f"Total: about {ledger['total_typical_ms']:,} ms (range {ledger['total_low_ms']:,}-"
            f"{ledger['total_high_ms']:,} ms): {verdict}.",
            "   ",
        )
    )
    if ledger["dropped"]:
        dropped = ", ".join(f"{s['label']} ({s['typical_ms']:,} ms)" for s in ledger["dropped"])
        lines.extend(_wrap(width, f"Dropped to fit: {dropped}.", "   ", "     "))
    if ledger.get("swapped"):
        swapped = ", ".join(f"{s['label']} ({s['typical_ms']:,} ms)" for s in ledger["swapped"])
        lines.extend(_wrap(width, f"Swapped for a cheaper stage: {swapped}.", "   ", "     "))
    lines.append("")
    return lines


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


def _cited(item: Mapping[str, Any], numbers: dict[str, int]) -> str:
    return str(item["text"]) + " " + "".join(f"[{numbers[c]}]" for c in item["citations"])


def _wrap(width: int, text: str, first: str, rest: str | None = None) -> list[str]:
    return textwrap.wrap(
        text,
        width,
        initial_indent=first,
        subsequent_indent=rest if rest is not None else first,
        break_on_hyphens=False,
        break_long_words=False,
    )
