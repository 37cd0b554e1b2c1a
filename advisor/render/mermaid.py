"""A Mermaid flowchart of the decision path walked: answers -> fired rules -> conclusions.

GitHub and GitLab render a ```` ```mermaid ```` block as a diagram. Node ids are derived from
question, rule and conclusion ids but sanitised (ASCII word characters, a kind prefix, so no id can
be a Mermaid keyword such as `end`), and every label is quoted with Mermaid's entity codes for the
characters that could end or reinterpret it, so data from a custom rule base cannot break the chart.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from advisor.render.path import conclusion_label, conclusion_node

if TYPE_CHECKING:
    from advisor.engine.decision import Decision
    from advisor.engine.support import DecisionPath
    from advisor.services.record_data import RecordData

_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_]")
# Order matters: '#' first, because every replacement below starts with '#'.
_ENTITIES = (
    ("#", "#35;"),
    ('"', "#quot;"),
    ("<", "#lt;"),
    (">", "#gt;"),
    ("&", "#amp;"),
    ("`", "#96;"),
    ("%", "#37;"),
)


def mermaid_label(text: str) -> str:
    """A quoted label: one line, with quotes, markup and comment characters as entity codes."""
    flat = " ".join(text.split())
    for char, code in _ENTITIES:
        flat = flat.replace(char, code)
    return f'"{flat}"'


class _Ids:
    """Sanitised, unique node ids: `q_`, `r_`, `c_` prefix + the id's word characters."""

    def __init__(self) -> None:
        self._by_key: dict[str, str] = {}
        self._used: set[str] = set()

    def __call__(self, prefix: str, key: str) -> str:
        full = f"{prefix}:{key}"
        if full not in self._by_key:
            base = f"{prefix}_{_UNSAFE_ID.sub('_', key)}"
            candidate, n = base, 1
            while candidate in self._used:
                n += 1
                candidate = f"{base}_{n}"
            self._used.add(candidate)
            self._by_key[full] = candidate
        return self._by_key[full]


def render_mermaid(decision: Decision, path: DecisionPath, data: RecordData) -> str:
    """The flowchart source (without the code fence), ending with a newline. `path`: the
    decision path of `decision` (`advisor.engine.support.decision_path`); `data`: the record
    data, which words the conclusions."""
    rulebase = decision.rulebase
    vocabulary = rulebase.vocabulary
    ids = _Ids()
    lines = ["flowchart LR"]
    lines.append(
        f"  subgraph {ids('g', 'answers')}[{mermaid_label('Answers, in the order asked')}]"
    )
    lines.append("    direction TB")
    previous = None
    for answered in path.answered:
        question = rulebase.question_by_id.get(answered.id)
        words = question.format_value(answered.value) if question else str(answered.value)
        suffix = " (default)" if answered.defaulted else ""
        node = ids("q", answered.id)
        lines.append(f"    {node}[{mermaid_label(f'{answered.id}: {words}{suffix}')}]")
        if previous is not None:
            lines.append(f"    {previous} --> {node}")
        previous = node
    lines.append("  end")
    lines.append(f"  subgraph {ids('g', 'rules')}[{mermaid_label('Rules that fired')}]")
    lines.append("    direction TB")
    for fired in path.fired:
        lines.append(f"    {ids('r', fired.id)}([{mermaid_label(fired.id)}])")
    lines.append("  end")
    lines.append(f"  subgraph {ids('g', 'conclusions')}[{mermaid_label('Conclusions')}]")
    lines.append("    direction TB")
    severity = {f"finding:{f.id}": f" ({f.severity})" for f in decision.findings}
    for key in dict.fromkeys(conclusion_node(f.conclusion) for f in path.fired):
        node = ids("c", key)
        label = mermaid_label(conclusion_label(key, vocabulary, data) + severity.get(key, ""))
        shape = f"{{{{{label}}}}}" if key.startswith("finding:") else f"[[{label}]]"
        lines.append(f"    {node}{shape}")
    lines.append("  end")
    for fired in path.fired:
        rule = ids("r", fired.id)
        lines.extend(f"  {ids('q', q)} -.-> {rule}" for q in fired.relied_on)
        lines.append(f"  {rule} --> {ids('c', conclusion_node(fired.conclusion))}")
    return "\n".join(lines) + "\n"
