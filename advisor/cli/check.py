"""`advisor check PATH...`: re-evaluate decision records with the current rules, for CI.

Each record's embedded answers are run through the current rule base and the outcome
(techniques, sub-choices, findings: one entry per outcome kind of the vocabulary) is compared
with the one recorded; a kind the record does not hold counts as empty. Versions and wording are
not compared: a new rules version that gives the same advice leaves a record current.
Exit codes: 0 every record current, 1 at least one stale, 2 a record that cannot be read or a
path that does not exist (every other record is still checked and reported). Markdown files
without an embedded record, and deprecated, superseded or rejected decisions, are skipped with a
note; a file whose front matter is llm-advisor's but whose block is missing or cut short is a
truncated record, so it is unreadable, not skipped.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from advisor.knowledge.rulebase import RuleBase
    from advisor.services.records import Record

_SKIPPED_DIRS = ("node_modules",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="decision record files, or folders searched recursively for *.md records",
    )


def run(args: argparse.Namespace) -> int:
    import sys

    from advisor.cli.common import load_rulebase_from
    from advisor.errors import AdvisorError
    from advisor.render.terminal import visible
    from advisor.services.records import read_record

    def print(line: str, file: Any = None) -> None:  # every line made safe for a terminal
        (file or sys.stdout).write(visible(line) + "\n")

    from advisor.services.record_check import RecordBases

    rulebase = load_rulebase_from(args)
    under = RecordBases(rulebase, lambda packs: load_rulebase_from(args, packs))
    files, missing = _collect(args.paths)
    counts = {"current": 0, "stale": 0, "unreadable": 0, "skipped": 0}
    for name in missing:
        print(f"advisor: error: {name}: the path does not exist", file=sys.stderr)
    for path in files:
        try:
            record = read_record(path)
            if record is None:
                counts["skipped"] += 1
                print(f"{path}: skipped (not an llm-advisor record)")
                continue
            if record.closed:
                counts["skipped"] += 1
                print(f"{path}: skipped (status: {record.status})")
                continue
            verdict, lines = _check(record, under.rulebase_for(record), args)
        except AdvisorError as exc:  # this record only: every other one is still checked
            counts["unreadable"] += 1
            print(f"advisor: error: {exc}", file=sys.stderr)
            continue
        counts[verdict] += 1
        if rulebase.packs and not record.packs:
            names = ", ".join(f"{p.name} {p.version}" for p in rulebase.packs)
            lines.append(f"note: made without the rule packs in force ({names}): checked without")
        print(f"{path}: {lines[0]}")
        for line in lines[1:]:
            print(f"  {line}")
    checked = counts["current"] + counts["stale"] + counts["unreadable"]
    summary = (
        f"{checked} record{'s' if checked != 1 else ''}: {counts['current']} current, "
        f"{counts['stale']} stale, {counts['unreadable']} unreadable"
    )
    if counts["skipped"]:
        summary += f"; {counts['skipped']} file{'s' if counts['skipped'] != 1 else ''} skipped"
    if missing:
        summary += f"; {len(missing)} path{'s' if len(missing) != 1 else ''} missing"
    print(summary)
    if counts["unreadable"] or missing:
        return 2
    return 1 if counts["stale"] else 0


def _collect(paths: list[str]) -> tuple[list[Path], list[str]]:
    """Files named directly (any suffix), and `*.md` under folders (sorted, hidden ones
    skipped), and the names that do not exist. A FIFO, device or socket is kept, to be reported
    unreadable by the reader (which never waits on it)."""
    from pathlib import Path

    files: list[Path] = []
    missing: list[str] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            files += _markdown_under(path)
        elif path.exists():
            files.append(path)
        else:
            missing.append(name)
    return list(dict.fromkeys(files)), missing


def _markdown_under(folder: Path) -> list[Path]:
    """The `*.md` files under `folder`, sorted, skipping hidden and tool folders and not
    following links to folders. The walk keeps its own stack, so a folder tree of any depth is
    read without recursion (Path.rglob recursed past Python's stack at about 1,000 levels)."""
    import os
    from pathlib import Path

    found: list[Path] = []
    todo = [folder]
    while todo:
        current = todo.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:  # unreadable or vanished: nothing to check there
            continue
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not entry.name.startswith(".") and entry.name not in _SKIPPED_DIRS:
                        todo.append(Path(entry.path))
                elif entry.name.endswith(".md") and os.path.exists(entry.path):  # no dead link
                    found.append(Path(entry.path))
            except OSError:
                continue
    return sorted(found)


def _check(record: Record, rulebase: RuleBase, args: argparse.Namespace) -> tuple[str, list[str]]:
    """('current' | 'stale', report lines); a record whose answers no longer fit is unreadable."""
    from advisor.services.record_check import check_record

    checked = check_record(record, rulebase)
    versions = checked.rules_version
    if checked.verdict == "current":
        return "current", [f"current ({versions})", *checked.notes]
    regenerate = _regenerate_command(record.source, args, [p.path for p in rulebase.packs])
    return "stale", [
        f"stale ({versions})",
        *checked.changes,
        *checked.notes,
        f"regenerate: {regenerate}",
    ]


def _regenerate_command(source: str, args: argparse.Namespace, packs: list[str]) -> str:
    import shlex

    words = ["advisor"]
    for option in ("rules", "kb"):
        value = getattr(args, option, None)
        if value is not None:
            words += [f"--{option}", str(value)]
    for pack in packs:
        words += ["--pack", pack]
    words += ["recommend", "--from-record", source, "--format", "markdown", "--output", source]
    return shlex.join(words)
