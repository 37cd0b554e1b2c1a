"""`advisor test [PATH...]`: run scenario files against the rules in force (packs included).

Each scenario's answers go through the rules (with `--pack`, `$ADVISOR_PACKS` or the
pyproject.toml packs layered over them) and the outcome is compared with its `[expect]` table
(`advisor.services.scenarios`); a mismatch prints as a diff, `-` expected and `+` got. Without a
PATH, the `scenarios/` folders of the packs in force are run. Exit codes: 0 every scenario
passes, 1 at least one mismatch, 2 a malformed scenario or a path that does not exist (every
other scenario is still run and reported).
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="scenario files, or folders searched recursively for *.toml "
        "(default: the scenarios/ folder of each pack in force)",
    )
    parser.add_argument(
        "--verbose", "-v", action="store_true", help="also name every scenario that passes"
    )


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from advisor.cli.common import load_rulebase_from
    from advisor.errors import AdvisorError, UsageError
    from advisor.render.terminal import visible
    from advisor.services.scenarios import check_scenario, load_scenario, report, scenario_files

    rulebase = load_rulebase_from(args)
    paths = list(args.paths)
    if not paths:
        paths = [str(Path(p.path) / "scenarios") for p in rulebase.packs]
        paths = [p for p in paths if Path(p).is_dir()]
        if not paths:
            raise UsageError(
                "no scenarios given: name scenario files or folders (advisor test "
                "tests/scenarios/), or choose a pack that has a scenarios/ folder (--pack DIR)"
            )
    missing = [p for p in paths if not Path(p).exists()]
    for name in missing:
        print(visible(f"advisor: error: {name}: the path does not exist"), file=sys.stderr)
    counts = {"passed": 0, "failed": 0, "malformed": 0}
    for path in scenario_files(p for p in paths if p not in missing):
        try:
            scenario = load_scenario(path)
            mismatches = check_scenario(scenario, rulebase)
        except AdvisorError as exc:
            counts["malformed"] += 1
            print(visible(f"advisor: error: {exc}"), file=sys.stderr)
            continue
        if mismatches:
            counts["failed"] += 1
            for line in report(scenario, mismatches):
                print(visible(line))
        else:
            counts["passed"] += 1
            if args.verbose:
                print(visible(f"{path}: ok"))
    total = sum(counts.values())
    packs = ", ".join(f"{p.name} {p.version}" for p in rulebase.packs)
    under = f"rules {rulebase.version}" + (f" with {packs}" if packs else "")
    summary = (
        f"{total} scenario{'s' if total != 1 else ''} ({under}): {counts['passed']} passed, "
        f"{counts['failed']} failed, {counts['malformed']} malformed"
    )
    if missing:
        summary += f"; {len(missing)} path{'s' if len(missing) != 1 else ''} missing"
    print(visible(summary))
    if counts["malformed"] or missing:
        return 2
    return 1 if counts["failed"] else 0
