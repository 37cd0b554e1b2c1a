"""`advisor whatif`: the minimal answer changes that add or remove each piece of advice."""

from __future__ import annotations

import argparse

from advisor.cli.common import add_answer_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_answer_arguments(parser)
    parser.add_argument(
        "--target",
        metavar="ELEMENT",
        action="append",
        help="only this element: a technique (fine_tuning), kind:value (retriever:keyword), "
        "reranker or finding:ID; repeatable (default: every element)",
    )
    parser.add_argument(
        "--vary",
        metavar="QUESTION",
        action="append",
        default=[],
        help="also vary this question (by default only answers marked changeable); repeatable",
    )
    parser.add_argument(
        "--max-changes",
        type=int,
        choices=(1, 2, 3),
        default=2,
        help="largest number of answers changed together (default: 2)",
    )
    parser.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help="output format"
    )
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")


def run(args: argparse.Namespace) -> int:
    from advisor.analysis.whatif import what_if_decision
    from advisor.cli.answered import decision_from
    from advisor.render.whatif import render
    from advisor.services.files import write_output

    decision = decision_from(args)
    data = what_if_decision(decision, args.target, args.vary, args.max_changes)
    write_output(render(data, args.format), args.output)
    return 0
