"""`advisor schema`: JSON Schema of the answers (input) and the recommendation (output)."""

from __future__ import annotations

import argparse

TARGETS = ("all", "answers", "recommendation")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--for",
        dest="target",
        choices=TARGETS,
        default="all",
        help="which schema: 'answers', 'recommendation', or 'all' (one document whose root "
        "validates answers and whose $defs hold both; default)",
    )


def run(args: argparse.Namespace) -> int:
    import json

    from advisor.cli.common import load_rulebase_from, write_output

    write_output(json.dumps(schema_document(load_rulebase_from(args), args.target), indent=2), None)
    return 0


def schema_document(rulebase: object, target: str) -> dict[str, object]:
    from pydantic.json_schema import models_json_schema

    from advisor.knowledge.answers import answers_model
    from advisor.models import Recommendation

    answers = answers_model(rulebase)  # type: ignore[arg-type]
    dialect = "https://json-schema.org/draft/2020-12/schema"
    required = _always_required(rulebase)
    if target == "answers":
        return {"$schema": dialect, **answers.model_json_schema(), "required": required}
    if target == "recommendation":
        return {"$schema": dialect, **Recommendation.model_json_schema()}
    _, combined = models_json_schema(
        [(answers, "validation"), (Recommendation, "serialization")], title="llm-advisor"
    )
    combined["$defs"]["Answers"]["required"] = required
    return {
        "$schema": dialect,
        "title": "llm-advisor answers (root) and recommendation ($defs/Recommendation)",
        "$ref": "#/$defs/Answers",
        "$defs": combined["$defs"],
    }


def _always_required(rulebase: object) -> list[str]:
    """Questions every complete answers file has: asked unconditionally and with no default.

    The library's `Answers` model accepts partial answers (front ends walk with them); this
    schema describes a complete answers file, and `x-asked-when` marks the conditional ones.
    """
    from advisor.knowledge import conditions

    return [
        q.id
        for q in rulebase.questions  # type: ignore[attr-defined]
        if q.asked_when == conditions.TRUE and not q.has_default
    ]
