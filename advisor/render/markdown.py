"""Markdown rendering of a recommendation (first form; the full decision record grows here)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor.render.text import TECHNIQUE_NAMES, headline, humanize

if TYPE_CHECKING:
    from advisor.models import Recommendation
    from advisor.rulebase import RuleBase


def render_markdown(recommendation: Recommendation, rulebase: RuleBase | None = None) -> str:
    lines = [f"# LLM approach: {headline(recommendation)}", ""]
    sections: list[tuple[str, Any, str, list[str]]] = [("prompt_engineering", recommendation.prompt_engineering,
                 "Tactics", recommendation.prompt_engineering.tactics)]
    if recommendation.rag:
        sections.append(("rag", recommendation.rag, "Retrievers", recommendation.rag.retrievers))
    if recommendation.fine_tuning:
        sections.append(("fine_tuning", recommendation.fine_tuning, "Purposes",
                         recommendation.fine_tuning.purposes))
    for technique, plan, label, choices in sections:
        lines += [f"## {TECHNIQUE_NAMES[technique]}", ""]
        lines.append(f"{label}: {', '.join(humanize(c) for c in choices) or 'none'}.")
        if technique == "rag" and recommendation.rag:
            lines[-1] += f" Re-ranker: {'yes' if recommendation.rag.reranker else 'no'}."
        lines.append("")
        for item in plan.rationale:
            links = ", ".join(f"[{c}]({c})" for c in item.citations)
            lines.append(f"- {item.text} ({links})")
        lines.append("")
    if recommendation.findings:
        lines += ["## Findings", ""]
        for finding in recommendation.findings:
            links = ", ".join(f"[{c}]({c})" for c in finding.citations)
            lines.append(f"- **{finding.severity}** `{finding.id}`: {finding.message} ({links})")
        lines.append("")
    lines += ["## Sources", ""]
    for source in recommendation.sources:
        lines.append(f"- [{source.page}: {source.title}]({source.ref}): {source.excerpt}")
    return "\n".join(lines) + "\n"
