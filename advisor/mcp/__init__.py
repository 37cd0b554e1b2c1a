"""The MCP front end: `advisor mcp` serves the advisor to coding agents over stdio.

An adapter over the library and the services, like `advisor.cli` and `advisor.ask`: it needs the
optional `mcp` extra (`pip install 'llm-advisor[mcp]'`), imported only when the server starts.
"""
