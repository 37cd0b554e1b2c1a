"""`advisor schema`: JSON Schema of the answers (input) and the recommendation (output).

A thin adapter: the schemas are built by `advisor.services.schema`.
"""

from __future__ import annotations

import argparse

from advisor.services.answers_schema import DRAFTS
from advisor.services.schema import TARGETS


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--for",
        dest="target",
        choices=TARGETS,
        default="all",
        help="which schema: 'answers', 'recommendation', or 'all' (one document whose root "
        "validates answers and whose $defs hold both; default)",
    )
    parser.add_argument(
        "--draft",
        choices=tuple(DRAFTS),
        default="2020-12",
        help="JSON Schema draft of the answers schema (default 2020-12; 04 is the published "
        "schemas/answers.schema.json: its integers refuse 3000.0, and Taplo reads it)",
    )


def run(args: argparse.Namespace) -> int:
    from advisor.cli.common import load_rulebase_from
    from advisor.services.files import write_output
    from advisor.services.schema import schema_json

    write_output(schema_json(load_rulebase_from(args), args.target, args.draft), None)
    return 0
