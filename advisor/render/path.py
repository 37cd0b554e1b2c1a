"""The decision path in words: what each answer led to, and how a conclusion reads.

The path itself (which answers made each fired rule true) is computed by the engine
(`advisor.engine.support`); this module only orders and words it, from the vocabulary (kind
order) and the record data (how a conclusion of each kind reads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.engine.support import Answered, DecisionPath, Fired
from advisor.render.text import humanize

if TYPE_CHECKING:
    from advisor.services.record_data import RecordData
    from advisor.vocabulary import Vocabulary

__all__ = ["Answered", "DecisionPath", "Fired", "conclusion_label", "conclusion_node", "leads_to"]


def leads_to(path: DecisionPath, question_id: str, vocabulary: Vocabulary) -> list[str]:
    """Conclusions (as keys) of the fired rules that relied on this answer: in the vocabulary's
    kind order (techniques, then sub-choices, then findings), rule order within each kind. Notes
    only explain a technique that other rules chose, so they credit nothing."""
    found = [
        conclusion_node(f.conclusion)
        for f in path.fired
        if question_id in f.relied_on and not f.conclusion.startswith("note:")
    ]
    order = {kind.name: n for n, kind in enumerate(vocabulary.kinds)}
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda key: order.get(key.partition(":")[0], len(order)))


def conclusion_node(key: str) -> str:
    """Notes support their technique, so `note:rag` and `technique:rag` are one conclusion."""
    kind, _, value = key.partition(":")
    return f"technique:{value}" if kind == "note" else key


def conclusion_label(key: str, vocabulary: Vocabulary, data: RecordData) -> str:
    """A conclusion in words: `retriever:keyword` -> `keyword retriever`.

    A technique reads as its vocabulary label; another kind as the record data's `[conclusion]`
    wording for it (`{}`: the value in words, an id as it is), else `<value> <label>`, and a flag
    kind as its label.
    """
    name, _, value = conclusion_node(key).partition(":")
    kind = vocabulary.by_name.get(name)
    if kind is None:
        return humanize(key)
    if name == "technique":
        return kind.words(value)
    words = value if kind.merge == "by_id" else humanize(value)
    template = data.conclusion.get(name)
    if template is None:
        template = kind.label if kind.merge == "flag" else "{} " + kind.label
    return template.replace("{}", words)
