"""`advisor recommend`: answers in, recommendation out (text, JSON or markdown)."""

from __future__ import annotations

import argparse
from typing import Any

from advisor.cli.common import add_answer_arguments

FORMATS = ("text", "json", "markdown")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_answer_arguments(parser)
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument(
        "--from-record",
        metavar="FILE",
        help="take the answers embedded in a decision record (regenerates it with --format "
        "markdown, keeping its status and decision-makers); --set still overrides",
    )
    parser.add_argument(
        "--date",
        metavar="YYYY-MM-DD",
        help="date of the markdown record (default: $SOURCE_DATE_EPOCH, else today)",
    )
    parser.add_argument(
        "--kb-base-url",
        metavar="URL",
        help="link kb sections in the markdown record under URL, e.g. "
        "https://github.com/ORG/llm-advisor/blob/main/kb/ (default: plain section ids)",
    )


def run(args: argparse.Namespace) -> int:
    from advisor.cli.common import answer_layers, load_rulebase_from
    from advisor.engine.assemble import advise
    from advisor.services.files import write_output

    rulebase = load_rulebase_from(args)
    record = _read_record(args)
    layers = answer_layers(args, rulebase, record=record)
    with layers.attributed():
        recommendation = advise(layers.given(), rulebase)
    options: dict[str, Any] = {"date": args.date, "kb_base_url": args.kb_base_url}
    if record is not None:
        options["front_matter"] = record.front_matter
        options["kb_base_url"] = args.kb_base_url or record.kb_base_url
    write_output(render(recommendation, rulebase, args.format, **options), args.output)
    return 0


def _read_record(args: argparse.Namespace) -> Any:
    """The record named by --from-record (an error if it is not a record), or None."""
    if not args.from_record:
        return None
    from advisor.errors import AnswersError
    from advisor.services.records import MARKER, RecordError, read_record

    if args.answers:
        raise AnswersError(["use either --answers or --from-record, not both"])
    record = read_record(args.from_record)
    if record is None:
        raise RecordError(
            args.from_record,
            f"not an llm-advisor decision record (it has no '<!-- {MARKER}' block); use --answers",
        )
    return record


def render(recommendation: object, rulebase: object, fmt: str, **markdown_options: Any) -> str:
    """Dispatch to the renderer of a format (each imported only when used).

    `markdown_options` (date, kb_base_url, front_matter) go to the markdown renderer only.
    """
    if fmt == "json":
        from advisor.render.jsonout import to_json

        return to_json(recommendation)  # type: ignore[arg-type]
    if fmt == "markdown":
        from advisor.render.markdown import render_markdown

        return render_markdown(recommendation, rulebase, **markdown_options)  # type: ignore[arg-type]
    from advisor.render.text import render_text

    return render_text(recommendation, rulebase)  # type: ignore[arg-type]
