"""The MCP server: the advisor's library and services as typed MCP tools and kb resources.

Built with the official `mcp` Python SDK, version 2 (`MCPServer`). Every tool is read-only and
deterministic; its input is typed (answers carry the answers JSON Schema, so clients see every
question, its values and when it is required) and its output is a pydantic model, sent as
structured content. An `AdvisorError` becomes an MCP tool error with the message the CLI prints
after `advisor: error:`. Knowledge-base sections are resources, `kb://rag.md#anchor`, for an
agent to quote.

No `from __future__ import annotations` here: the SDK reads the tools' annotations at run time,
and the answers schema in them is built per rule base.
"""

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Annotated, Any

from advisor._version import __version__

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from advisor.knowledge.rulebase import RuleBase

TOOLS = (
    "list_questions",
    "next_question",
    "advise",
    "explain",
    "what_if",
    "review",
    "check_record",
)
KB_SCHEME = "kb://"
INSTRUCTIONS = (
    "llm-advisor recommends prompt engineering, RAG, fine-tuning or a combination for an LLM "
    "application, from answers to a fixed set of questions, citing knowledge-base sections. "
    "Walk the questions with next_question (or list_questions), then call advise; explain, "
    "what_if and review challenge the advice; check_record re-checks a decision record. "
    "Cited sections (kb/rag.md#anchor) are resources kb://rag.md#anchor."
)


def kb_uri(ref: str) -> str:
    """`kb/rag.md#anchor` (a citation) -> `kb://rag.md#anchor` (its resource)."""
    return KB_SCHEME + ref.removeprefix("kb/")


@contextlib.contextmanager
def _tool_errors() -> Iterator[None]:
    """The project's errors as MCP tool errors, with the CLI's message."""
    from mcp.server.mcpserver.exceptions import ToolError

    from advisor.errors import AdvisorError

    try:
        yield
    except AdvisorError as exc:
        raise ToolError(str(exc)) from None


def build_server(
    rulebase: "RuleBase | None" = None,
    load_with_packs: "Callable[[list[str]], RuleBase] | None" = None,
) -> "MCPServer":
    """The server for `rulebase` (the shipped one by default); `run()` serves it over stdio.

    `load_with_packs(folders)`: the same rules with other packs layered over them, for a record
    made under other packs than those in force (by default: the shipped rules with them)."""
    from mcp.server.mcpserver import MCPServer
    from mcp_types import ToolAnnotations
    from pydantic import Field, WithJsonSchema

    from advisor.analysis.explain import explain as explain_answers
    from advisor.analysis.models import Explanation, Review
    from advisor.analysis.whatif import what_if as what_if_answers
    from advisor.engine.assemble import advise as advise_answers
    from advisor.engine.decide import next_question as next_of
    from advisor.knowledge.loader import default_rulebase
    from advisor.mcp.models import (
        NextQuestion,
        QuestionInfo,
        QuestionList,
        RecordCheckResult,
        WhatIfResult,
    )
    from advisor.models import Recommendation
    from advisor.render.questions import questions_data
    from advisor.services.answers_schema import answers_file_schema
    from advisor.services.record_check import RecordBases
    from advisor.services.record_check import check_record as check_one
    from advisor.services.records import parse_record
    from advisor.services.review import review as review_answers

    rb = rulebase or default_rulebase()
    records = RecordBases(rb, load_with_packs or _shipped_with)
    complete = {
        k: v for k, v in answers_file_schema(rb).items() if k not in ("$schema", "$id", "title")
    }
    partial = {k: v for k, v in complete.items() if k not in ("required", "allOf")}
    partial["description"] = "The answers so far (any subset of the questions)."
    # Validated by the advisor itself (the CLI's messages); the schema is what clients see.
    answers_type = Annotated[dict[str, Any], WithJsonSchema(complete)]
    partial_type = Annotated[dict[str, Any], WithJsonSchema(partial)]
    by_id = {item["id"]: item for item in questions_data(rb)}
    read_only = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)

    server = MCPServer(
        "llm-advisor", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )
    tool = server.tool

    @tool(annotations=read_only)
    def list_questions() -> QuestionList:
        """Every question: id, type, text, why it is asked, choices, bounds, default, and the
        condition on earlier answers under which it is asked."""
        return QuestionList(questions=[QuestionInfo.model_validate(q) for q in by_id.values()])

    @tool(annotations=read_only)
    def next_question(
        answers: partial_type,
        include_optional: Annotated[
            bool,
            Field(
                description="Also ask the questions that have a default (stakes, audience, "
                "data boundary, proposal...), as the terminal questionnaire does; otherwise "
                "their defaults are taken without asking."
            ),
        ] = False,
    ) -> NextQuestion:
        """The next question the decision walk needs given the answers so far; done=true when
        the answers are complete (then call advise)."""
        with _tool_errors():
            question = next_of(answers, rb, include_optional=include_optional)
        if question is None:
            return NextQuestion(done=True, question=None)
        return NextQuestion(done=False, question=QuestionInfo.model_validate(by_id[question.id]))

    @tool(annotations=read_only)
    def advise(answers: answers_type) -> Recommendation:
        """The recommendation for complete answers: techniques in adoption order, plans,
        latency ledger, findings and cited kb sections (as `advisor recommend --format json`)."""
        with _tool_errors():
            return advise_answers(answers, rb)

    @tool(annotations=read_only)
    def explain(answers: answers_type) -> Explanation:
        """HOW the advice was reached: per technique, sub-choice and finding, the rules that
        fired, the minimal answers that made each true, the kb sections and the strength."""
        with _tool_errors():
            return explain_answers(answers, rb)

    @tool(annotations=read_only)
    def what_if(
        answers: answers_type,
        targets: Annotated[
            list[str] | None,
            Field(description="Elements to analyse (e.g. 'rag', 'finding:...'); all by default"),
        ] = None,
        vary: Annotated[
            list[str], Field(description="Extra question ids to vary beyond the changeable ones")
        ] = [],  # noqa: B006 (read only, never mutated)
        max_changes: Annotated[int, Field(ge=1, description="Most answers changed at once")] = 2,
    ) -> WhatIfResult:
        """The minimal answer changes that add or remove each piece of advice, and the ranges
        of number answers within which it holds."""
        with _tool_errors():
            data = what_if_answers(
                answers, targets, vary=vary, max_changes=max_changes, rulebase=rb
            )
        return WhatIfResult(
            varied=data.varied, max_changes=data.max_changes, elements=data.elements
        )

    @tool(annotations=read_only)
    def review(
        answers: answers_type,
        proposal: Annotated[
            list[str], Field(description="The techniques proposed, e.g. ['prompt_engineering']")
        ],
        sub_choices: Annotated[
            dict[str, list[str]] | None,
            Field(description="Proposed sub-choices by kind, e.g. {'retriever': ['vector']}"),
        ] = None,
    ) -> Review:
        """Check a proposed approach against the advice: findings with severities, the
        improvement each asks for, and citations."""
        with _tool_errors():
            return review_answers(answers, proposal, sub_choices=sub_choices, rulebase=rb)

    @tool(annotations=read_only)
    def check_record(
        text: Annotated[str, Field(description="The markdown text of a decision record")],
    ) -> RecordCheckResult:
        """Re-evaluate a decision record written by llm-advisor with the current rules:
        current or stale, and what the current rules advise differently."""
        with _tool_errors():
            record = parse_record(text, "<record>")
            if record is None:
                return RecordCheckResult(
                    status="skipped",
                    rules_version=None,
                    changes=[],
                    notes=["not an llm-advisor record (no embedded llm-advisor:record block)"],
                )
            if record.closed:
                return RecordCheckResult(
                    status="skipped",
                    rules_version=record.rules_version,
                    changes=[],
                    notes=[f"status: {record.status}"],
                )
            checked = check_one(record, records.rulebase_for(record))
        return RecordCheckResult(
            status=checked.verdict,
            rules_version=checked.rules_version,
            changes=list(checked.changes),
            notes=list(checked.notes),
        )

    _add_kb_resources(server, rb)
    return server


def _add_kb_resources(server: "MCPServer", rulebase: "RuleBase") -> None:
    from mcp.server.mcpserver.resources import TextResource

    for ref in sorted(rulebase.kb):
        section = rulebase.kb[ref]
        text = f"{'#' * section.level} {section.title}\n\n{section.text.strip()}\n"
        server.add_resource(
            TextResource(
                uri=kb_uri(ref),
                name=ref,
                title=section.title,
                description=section.summary[:200],
                mime_type="text/markdown",
                text=text,
            )
        )


def _shipped_with(folders: list[str]) -> "RuleBase":
    from advisor.knowledge.loader import default_rulebase
    from advisor.knowledge.packs import layer

    return layer(default_rulebase(), folders)


def serve(
    rulebase: "RuleBase | None" = None,
    load_with_packs: "Callable[[list[str]], RuleBase] | None" = None,
) -> None:
    """Serve over stdio until the client closes the connection. A line that is not JSON, or
    not a JSON-RPC message, gets a JSON-RPC error reply (id null, as the specification asks
    when the id cannot be read) instead of silence, so a client never waits for an answer that
    will not come."""
    import anyio

    server = build_server(rulebase, load_with_packs)
    anyio.run(_serve_stdio, server)


async def _serve_stdio(server: "MCPServer") -> None:
    from mcp.server.stdio import stdio_server

    # the SDK pinned in pyproject.toml; MCPServer.run_stdio_async reads the same attribute
    lowlevel = server._lowlevel_server
    async with stdio_server() as (read_stream, write_stream):
        await lowlevel.run(
            _Answering(read_stream, write_stream),
            write_stream,
            lowlevel.create_initialization_options(),
        )


def _request_without_id(message: Any, notification: type) -> bool:
    """A notification whose method is not a notification's (`notifications/...`): a request
    whose id the SDK could not read."""
    if not isinstance(message, notification):
        return False
    method: str = getattr(message, "method", "")
    return not method.startswith("notifications/")


class _Answering:
    """The transport's read stream, with every message that could not be read answered by a
    JSON-RPC error on the write stream (parse error -32700 for text that is not JSON, invalid
    request -32600 for JSON that is not a JSON-RPC message, or a request whose id is neither a
    string nor an integer, which the SDK reads as a notification) and left out of the stream."""

    def __init__(self, inner: Any, write_stream: Any) -> None:
        self.inner = inner
        self.write_stream = write_stream

    async def receive(self) -> Any:
        from mcp.types import JSONRPCNotification

        while True:
            item = await self.inner.receive()
            if isinstance(item, Exception):
                await self._answer(item)
            elif _request_without_id(item.message, JSONRPCNotification):
                # A request whose id is not a string or an integer (true, null, 1.5, [1], an
                # object): the SDK drops the id and reads a notification, which gets no reply.
                await self._answer(None)
            else:
                return item

    async def _answer(self, problem: Exception | None) -> None:
        import sys

        from mcp.shared.message import SessionMessage
        from mcp.types import ErrorData, JSONRPCError

        kinds = [e.get("type") for e in getattr(problem, "errors", lambda: [])()]
        code, message = (
            (-32700, "Parse error: the message is not valid JSON")
            if "json_invalid" in kinds
            else (-32600, "Invalid Request: the message is not a JSON-RPC 2.0 request")
            if problem is not None
            else (-32600, "Invalid Request: a request's id must be a string or an integer")
        )
        print(f"advisor mcp: {message} (answered with error {code})", file=sys.stderr)
        reply = JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=code, message=message))
        await self.write_stream.send(SessionMessage(reply))

    async def aclose(self) -> None:
        await self.inner.aclose()

    def __aiter__(self) -> "_Answering":
        return self

    async def __anext__(self) -> Any:
        import anyio

        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def __aenter__(self) -> "_Answering":
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
