"""`advisor why QUESTION`: what a question can still change, and the advice for each answer."""

from __future__ import annotations

import argparse

from advisor.cli.common import add_answer_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "question", metavar="QUESTION_ID", help="the question, e.g. latency_budget_ms"
    )
    add_answer_arguments(parser)
    parser.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help="output format"
    )
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")


def run(args: argparse.Namespace) -> int:
    from advisor.analysis.why import why
    from advisor.cli.common import answer_layers, load_rulebase_from
    from advisor.render.why import render
    from advisor.services.files import write_output

    rulebase = load_rulebase_from(args)
    layers = answer_layers(args, rulebase)
    with layers.attributed():
        data = why(args.question, layers.given(), rulebase)
    question = rulebase.question_by_id[args.question]
    write_output(render(data, args.format, question), args.output)
    return 0
