"""The JSON Schema of the answers (input) and the recommendation (output), for `advisor schema`.

Both schemas come from the pydantic models (the answers model is generated from the question
data), so pydantic is imported only when a schema is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase

TARGETS = ("all", "answers", "recommendation")
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_document(rulebase: RuleBase, target: str) -> dict[str, object]:
    """The schema for `target`: "answers", "recommendation", or "all" (one document whose root
    validates answers and whose $defs hold both)."""
    from pydantic.json_schema import models_json_schema

    from advisor.knowledge.answers import answers_model
    from advisor.models import Recommendation

    if target not in TARGETS:
        raise ValueError(f"unknown schema {target!r} (known: {', '.join(TARGETS)})")
    answers = answers_model(rulebase)
    required = always_required(rulebase)
    if target == "answers":
        return {"$schema": DIALECT, **answers.model_json_schema(), "required": required}
    if target == "recommendation":
        return {"$schema": DIALECT, **Recommendation.model_json_schema()}
    _, combined = models_json_schema(
        [(answers, "validation"), (Recommendation, "serialization")], title="llm-advisor"
    )
    combined["$defs"]["Answers"]["required"] = required
    return {
        "$schema": DIALECT,
        "title": "llm-advisor answers (root) and recommendation ($defs/Recommendation)",
        "$ref": "#/$defs/Answers",
        "$defs": combined["$defs"],
    }


def always_required(rulebase: RuleBase) -> list[str]:
    """Questions every complete answers file has: asked unconditionally and with no default.

    The library's `Answers` model accepts partial answers (front ends walk with them); this
    schema describes a complete answers file, and `x-asked-when` marks the conditional ones.
    """
    from advisor.knowledge import conditions

    return [
        q.id for q in rulebase.questions if q.asked_when == conditions.TRUE and not q.has_default
    ]


def schema_json(rulebase: RuleBase, target: str) -> str:
    """`schema_document` as the indented JSON `advisor schema` prints."""
    import json

    return json.dumps(schema_document(rulebase, target), indent=2)
