"""Helpers shared by subcommands: loading the rule base, reading answers, writing output."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase


def load_rulebase_from(args: argparse.Namespace) -> RuleBase:
    """The rule base named by --rules/--kb, or the shipped one."""
    from advisor.knowledge.loader import default_rulebase, load_rulebase

    if args.rules is None and args.kb is None:
        return default_rulebase()
    return load_rulebase(args.rules, args.kb)


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


def gather_answers(args: argparse.Namespace, rulebase: RuleBase) -> tuple[dict[str, Any], str]:
    """Answers from --answers then --set (later wins), and a label naming where they came from."""
    from advisor.knowledge.answers import parse_setting, read_answers_file

    answers: dict[str, Any] = {}
    label = "command line"
    if args.answers:
        stdin_text = sys.stdin.read() if args.answers == "-" else None
        answers.update(read_answers_file(args.answers, stdin_text))
        label = "<stdin>" if args.answers == "-" else args.answers
    for setting in args.settings:
        key, value = parse_setting(setting, rulebase)
        answers[key] = value
    if args.settings and args.answers:
        label += " with --set"
    return answers, label


def write_output(text: str, output: str | None) -> None:
    """Print to stdout, or write the file (its folder is created) and say where."""
    text = text if text.endswith("\n") else text + "\n"
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    write_file(Path(output), text)
    print(f"advisor: wrote {output}", file=sys.stderr)


def write_file(path: Path, text: str) -> None:
    """Write a file the user named (creating its folder); a failure is their input to fix."""
    from advisor.errors import OutputError

    if path.is_dir():
        raise OutputError(str(path), "it is a folder")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(str(path), exc.strerror or str(exc)) from None
