"""`advisor review`: check a proposed approach against the advice; exit 1 on a serious finding."""

from __future__ import annotations

import argparse
import sys

from advisor.cli.common import add_answer_arguments

FAIL_ON = ("high", "medium", "low")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_answer_arguments(parser)
    parser.add_argument(
        "--proposal",
        metavar="TECHNIQUES",
        help="the techniques the team proposes, comma-separated, e.g. rag,fine_tuning "
        "(default: the answers' 'proposed'); prompt engineering is always part of it",
    )
    parser.add_argument(
        "--retrievers",
        metavar="LIST",
        help="the retrievers proposed, comma-separated (e.g. vector,keyword)",
    )
    parser.add_argument(
        "--sub",
        metavar="KIND=LIST",
        action="append",
        default=[],
        help="the sub-choices of another kind proposed, e.g. --sub tactic=few_shot,output_format "
        "or --sub reranker=yes; repeatable",
    )
    parser.add_argument(
        "--fail-on",
        choices=FAIL_ON,
        default="high",
        help="exit 1 when a finding is at or above this severity (default: high)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "markdown", "sarif", "github"),
        default="text",
        help="output format (default: text)",
    )
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of standard output")
    parser.add_argument(
        "--kb-base-url",
        metavar="URL",
        help="link kb sections (SARIF helpUri) under this https:// URL (default: the installed "
        "kb files)",
    )


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from advisor.cli.answered import decision_from
    from advisor.errors import UsageError
    from advisor.render.markdown import check_base_url
    from advisor.render.review import render
    from advisor.services.files import write_output
    from advisor.services.review import PROPOSED, fails, review_decision

    kb_base_url = check_base_url(args.kb_base_url)
    decision = decision_from(args)
    subs: dict[str, list[str]] = {}
    if args.retrievers is not None:
        subs["retriever"] = args.retrievers.split(",")
    for item in args.sub:
        kind, sep, values = item.partition("=")
        if not sep or not kind.strip():
            raise UsageError(f"--sub '{item}': expected KIND=LIST, e.g. tactic=few_shot")
        subs.setdefault(kind.strip(), []).extend(values.split(","))  # repeated --sub: merged
    proposal = [t for t in (args.proposal or "").split(",") if t.strip()]
    if not proposal:  # no --proposal, or an empty one (an unset CI variable): the answers'
        if args.proposal is not None and not decision.given.get(PROPOSED):
            raise UsageError(
                "--proposal is empty: name the techniques the team proposes, "
                "e.g. --proposal rag,fine_tuning"
            )
        proposal = sorted(decision.given.get(PROPOSED) or ())
        nothing_proposed = decision.given.get(PROPOSED) is not None and args.proposal is None
        if not proposal and not nothing_proposed:
            raise UsageError(
                "no proposal: pass --proposal TECHNIQUES (e.g. --proposal rag,fine_tuning) or "
                "set 'proposed' in the answers"
            )
    result = review_decision(decision, proposal, subs)
    if not proposal:  # `proposed = []`, as the questionnaire saves it when nothing is ticked
        print(
            "advisor review: the answers propose no technique ('proposed' is empty): "
            "nothing to review",
            file=sys.stderr,
        )
        if args.format not in ("json", "sarif"):
            return 0
        result = result.model_copy(update={"findings": []})  # an empty report for tools
    text = ""
    if args.answers and args.answers != "-":
        try:
            text = Path(args.answers).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = ""
    path = args.answers if args.answers and args.answers != "-" else "stdin"
    rendered = render(
        result,
        args.format,
        answers_path=path,
        answers_text=text,
        kb_base_url=kb_base_url,
        kb_dir=decision.rulebase.kb_dir,
    )
    if rendered:
        write_output(rendered, args.output)
    return 1 if fails(result, args.fail_on) else 0
