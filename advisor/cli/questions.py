"""`advisor questions`: list the questions (markdown table or JSON) from the question data."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=("markdown", "json"), default="markdown", help="default: markdown"
    )


def run(args: argparse.Namespace) -> int:
    import json

    from advisor.cli.common import load_rulebase_from
    from advisor.render.questions import questions_data, questions_markdown
    from advisor.services.files import write_output

    rulebase = load_rulebase_from(args)
    if args.format == "json":
        write_output(json.dumps(questions_data(rulebase), indent=2), None)
    else:
        write_output(questions_markdown(rulebase), None)
    return 0
