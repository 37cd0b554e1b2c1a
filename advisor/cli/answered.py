"""The rule base and Decision for the answers a command's arguments name (`--answers`, `--set`),
shared by the analysis commands (explain, whatif, why, review)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.engine.decision import Decision


def require_answers(args: argparse.Namespace) -> None:
    from advisor.errors import UsageError

    if not args.answers and not args.settings:
        raise UsageError(
            f"advisor {args.command}: no answers given: pass --answers FILE (JSON or TOML, '-' "
            "for standard input) or --set id=value"
        )


def decision_from(args: argparse.Namespace) -> Decision:
    """The Decision for --answers/--set (errors name the file and the answer)."""
    from advisor.cli.common import answer_layers, load_rulebase_from
    from advisor.engine.decide import decide

    require_answers(args)
    rulebase = load_rulebase_from(args)
    layers = answer_layers(args, rulebase)
    with layers.attributed():
        return decide(layers.given(), rulebase)
