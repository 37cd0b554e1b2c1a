"""`advisor mcp`: serve the advisor to coding agents over stdio (Model Context Protocol).

Starts the MCP front end (`advisor.mcp`), the way `advisor ask` starts the questionnaire. It needs
the optional extra: `pip install 'llm-advisor[mcp]'`; without it the command says so (exit 2).
Standard output carries the protocol, so nothing else is printed there.
"""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = (
        "Register it with an MCP client, for example: claude mcp add llm-advisor -- advisor mcp"
    )


def run(args: argparse.Namespace) -> int:
    import importlib.util

    from advisor.cli.common import load_rulebase_from
    from advisor.errors import UsageError

    if importlib.util.find_spec("mcp") is None:
        raise UsageError(
            "the MCP server needs the mcp extra: pip install 'llm-advisor[mcp]' "
            "(in a checkout: pip install '.[mcp]')"
        )
    from advisor.mcp.server import serve

    serve(load_rulebase_from(args), lambda packs: load_rulebase_from(args, packs))
    return 0
