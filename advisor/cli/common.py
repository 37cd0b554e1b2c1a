"""Helpers shared by subcommands: the rule base and the answers their arguments name."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

    from advisor.knowledge.rulebase import RuleBase
    from advisor.services.answers import AnswerLayers, HasAnswers


def load_rulebase_from(args: argparse.Namespace, packs: list[str] | None = None) -> RuleBase:
    """The rule base named by --rules/--kb (or the shipped one), with the packs in force
    (`packs`, else `selected_packs(args)`) layered over it."""
    from pathlib import Path

    from advisor.knowledge import resources
    from advisor.knowledge.loader import default_rulebase, load_rulebase

    folders = selected_packs(args) if packs is None else packs
    shipped = args.rules is None and args.kb is None
    if not folders:
        return default_rulebase() if shipped else load_rulebase(args.rules, args.kb)
    from advisor.knowledge.packs import load_layered

    return load_layered(
        Path(args.rules) if args.rules is not None else resources.rules_dir(),
        Path(args.kb) if args.kb is not None else resources.kb_dir(),
        folders,
        load_base=lambda: default_rulebase() if shipped else load_rulebase(args.rules, args.kb),
    )


def selected_packs(args: argparse.Namespace) -> list[str]:
    """The packs in force: --pack (repeatable) > $ADVISOR_PACKS > ./pyproject.toml."""
    from advisor.services.pack_config import packs_in_force

    return packs_in_force(getattr(args, "packs", None)).folders


def add_answer_arguments(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    parser.add_argument(
        "--answers",
        metavar="FILE",
        required=required,
        help="answers as a JSON or TOML file ('-' reads standard input)",
    )
    parser.add_argument(
        "--set",
        metavar="ID=VALUE",
        action="append",
        default=[],
        dest="settings",
        help="set or override one answer, e.g. --set latency_budget_ms=300 "
        "(many-choice: --set data_shapes=documents,tables); repeatable",
    )


def answer_layers(
    args: argparse.Namespace,
    rulebase: RuleBase,
    *,
    record: HasAnswers | None = None,
    partial: Path | None = None,
) -> AnswerLayers:
    """The answer layers of --set and --answers, plus a record or a partial file when given
    (precedence and error labels: `advisor.services.answers`)."""
    import sys

    from advisor.services.answers import gather

    if args.answers == "-" and _is_terminal(sys.stdin):
        print(
            "advisor: reading answers from standard input (JSON or TOML); end with Ctrl-D",
            file=sys.stderr,
        )
    return gather(
        rulebase, settings=args.settings, answers_file=args.answers, record=record, partial=partial
    )


def _is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if callable(isatty) else False
    except (OSError, ValueError):
        return False


def warn(message: str) -> None:
    """A warning on standard error (the command goes on)."""
    import sys

    from advisor.render.terminal import visible

    print(visible(f"advisor: warning: {message}"), file=sys.stderr)
