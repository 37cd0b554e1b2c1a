"""The JSON Schema of the answers (input) and the recommendation (output), for `advisor schema`.

The answers schema is written from the questions (`advisor.services.answers_schema`, which
agrees with the validator); the recommendation's comes from its pydantic model, so pydantic is
imported only when that schema is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase

TARGETS = ("all", "answers", "recommendation")
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_document(rulebase: RuleBase, target: str, draft: str = "2020-12") -> dict[str, object]:
    """The schema for `target`: "answers", "recommendation", or "all" (one document whose root
    validates answers and whose $defs hold both). The answers schema is written from the
    questions (`answers_schema`, in `draft`); the recommendation's comes from its pydantic model
    (draft 2020-12 only)."""
    from advisor.services.answers_schema import answers_file_schema

    if target not in TARGETS:
        raise ValueError(f"unknown schema {target!r} (known: {', '.join(TARGETS)})")
    if target == "answers":
        return answers_file_schema(rulebase, draft)
    if draft != "2020-12":
        from advisor.errors import UsageError

        raise UsageError(f"--draft {draft} is for --for answers only (the others are 2020-12)")
    from pydantic.json_schema import models_json_schema

    from advisor.knowledge.answers import answers_model
    from advisor.models import Recommendation

    answers = answers_model(rulebase)
    if target == "recommendation":
        return {"$schema": DIALECT, **Recommendation.model_json_schema()}
    _, combined = models_json_schema(
        [(answers, "validation"), (Recommendation, "serialization")], title="llm-advisor"
    )
    file_schema = answers_file_schema(rulebase)
    combined["$defs"]["Answers"] = {
        k: v for k, v in file_schema.items() if k not in ("$schema", "$id")
    }
    return {
        "$schema": DIALECT,
        "title": "llm-advisor answers (root) and recommendation ($defs/Recommendation)",
        "$ref": "#/$defs/Answers",
        "$defs": combined["$defs"],
    }


def schema_json(rulebase: RuleBase, target: str, draft: str = "2020-12") -> str:
    """`schema_document` as the indented JSON `advisor schema` prints."""
    import json

    return json.dumps(schema_document(rulebase, target, draft), indent=2)
