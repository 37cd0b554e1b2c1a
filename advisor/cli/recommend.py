"""`advisor recommend`: answers in, recommendation out (text, JSON or markdown)."""

from __future__ import annotations

import argparse

from advisor.cli.common import add_answer_arguments

FORMATS = ("text", "json", "markdown")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_answer_arguments(parser)
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")


def run(args: argparse.Namespace) -> int:
    from advisor.cli.common import gather_answers, load_rulebase_from, write_output
    from advisor.engine import advise
    from advisor.errors import AnswersError

    rulebase = load_rulebase_from(args)
    answers, label = gather_answers(args, rulebase)
    try:
        recommendation = advise(answers, rulebase)
    except AnswersError as exc:
        raise exc.with_source(label) from None
    write_output(render(recommendation, rulebase, args.format), args.output)
    return 0


def render(recommendation: object, rulebase: object, fmt: str) -> str:
    """Dispatch to the renderer of a format (each imported only when used)."""
    if fmt == "json":
        return recommendation.model_dump_json(indent=2)  # type: ignore[attr-defined,no-any-return]
    if fmt == "markdown":
        from advisor.render.markdown import render_markdown

        return render_markdown(recommendation, rulebase)  # type: ignore[arg-type]
    from advisor.render.text import render_text

    return render_text(recommendation, rulebase)  # type: ignore[arg-type]
