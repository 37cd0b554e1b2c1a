"""`advisor lint`: prove properties of the rule base over every combination of answers.

Prints one diagnostic per line (`file:line:rule: severity: code: message`, or a JSON list with
`--format json`) and a summary on standard error. Exit codes: 0 no errors (warnings allowed; with
`--strict` warnings count as errors), 1 errors found, 2 a rule base that does not load. The
checks and the method are described in `advisor.analysis.lint` and `advisor.analysis.answer_space`.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text: one diagnostic per line (default); json: a list of diagnostics",
    )
    parser.add_argument(
        "--strict", action="store_true", help="fail (exit 1) on warnings as well as errors"
    )


def run(args: argparse.Namespace) -> int:
    import json
    import sys

    from advisor.analysis.lint import lint
    from advisor.cli.common import load_rulebase_from
    from advisor.render.terminal import visible

    report = lint(load_rulebase_from(args))
    if args.format == "json":
        print(visible(json.dumps([d.as_dict() for d in report.diagnostics], indent=2)))
    else:
        for diagnostic in report.diagnostics:
            print(visible(str(diagnostic)))
    print(
        f"advisor lint: {report.rules} rules, {report.questions} questions, "
        f"{report.combinations:,} answer combinations: {report.errors} error(s), "
        f"{report.warnings} warning(s)",
        file=sys.stderr,
    )
    failed = report.errors > 0 or (args.strict and report.warnings > 0)
    return 1 if failed else 0
