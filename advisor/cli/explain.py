"""`advisor explain`: HOW the advice for a file of answers was reached (text, JSON, markdown)."""

from __future__ import annotations

import argparse

from advisor.cli.common import add_answer_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_answer_arguments(parser)
    parser.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="output format (default: text)",
    )
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")


def run(args: argparse.Namespace) -> int:
    from advisor.analysis.explain import explain_decision
    from advisor.cli.answered import decision_from
    from advisor.render.explanation import render
    from advisor.services.files import write_output

    decision = decision_from(args)
    write_output(render(explain_decision(decision, with_strength=True), args.format), args.output)
    return 0
