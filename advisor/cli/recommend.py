"""`advisor recommend`: answers in, recommendation out (text, JSON or markdown)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from advisor.cli.common import add_answer_arguments
from advisor.render import FORMATS

if TYPE_CHECKING:
    from advisor.engine.decision import Decision


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_answer_arguments(parser)
    parser.add_argument(
        "--format",
        choices=tuple(FORMATS),
        default="text",
        help="output format (default: text)",
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
    from advisor.cli.common import answer_layers, load_rulebase_from, warn
    from advisor.engine.decide import decide
    from advisor.errors import UsageError
    from advisor.services.files import write_output

    if not args.answers and not args.settings and not args.from_record:
        raise UsageError(
            "no answers given: pass --answers FILE (JSON or TOML, '-' for standard input), "
            "or run 'advisor ask' to answer the questions one by one"
        )
    kb_base_url = None
    if args.kb_base_url is not None:  # a bad URL is refused whatever the format
        from advisor.render.markdown import check_base_url

        kb_base_url = check_base_url(args.kb_base_url)
    if args.format != "markdown":
        for option, value in (("--date", args.date), ("--kb-base-url", args.kb_base_url)):
            if value is not None:
                ignored = f"ignored with --format {args.format}"
                warn(f"{option} applies to --format markdown only; {ignored}")
    rulebase = load_rulebase_from(args)
    record = _read_record(args)
    if record is not None and record.packs:  # regenerated under the packs it was made with
        from advisor.services.record_check import record_packs

        rulebase = load_rulebase_from(args, record_packs(record, rulebase))
    layers = answer_layers(args, rulebase, record=record)
    with layers.attributed():
        decision = decide(layers.given(), rulebase)
    options: dict[str, Any] = {"date": args.date, "kb_base_url": kb_base_url}
    if record is not None:
        options["front_matter"] = record.front_matter
        if kb_base_url is None and record.kb_base_url and args.format == "markdown":
            options["kb_base_url"] = _recorded_base_url(record, warn)
    write_output(render(decision, args.format, **options), args.output)
    return 0


def _recorded_base_url(record: Any, warn: Any) -> str | None:
    """The kb base URL a record was written with; one that is not allowed is dropped, with a
    warning (the record is regenerated with plain section ids)."""
    from advisor.render.markdown import base_url_problem

    problem = base_url_problem(record.kb_base_url)
    if problem is None:
        return str(record.kb_base_url)
    warn(f"{record.source}: the recorded kb_base_url is ignored: {problem}")
    return None


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


def render(decision: Decision, fmt: str, **options: Any) -> str:
    """Render through the registry of output formats (`advisor.render.FORMATS`); each renderer
    is imported only when used, and gets only the options it takes (date, kb_base_url and
    front_matter go to the markdown record)."""
    from advisor import render as renderers

    return renderers.render(decision, fmt, **options)
