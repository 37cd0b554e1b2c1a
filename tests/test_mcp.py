"""`advisor mcp`: the MCP server, tested with the SDK's in-memory client (no subprocess, no port).

Each tool gives what the library gives (structured content equal to the pydantic model's JSON),
errors are tool errors carrying the CLI's message, kb sections are readable resources, and the
SDK stays off the start-up path. The end-to-end run over stdio from an installed wheel is in
tests/test_packaging.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import BASE_ANSWERS, ROOT, RunResult

import advisor

pytest.importorskip("mcp")
anyio = pytest.importorskip("anyio")

from mcp import Client  # noqa: E402

from advisor.mcp.server import TOOLS, build_server, kb_uri  # noqa: E402

SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.toml"))


def scenario_answers(path: Path) -> dict[str, Any]:
    answers: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))["answers"]
    return answers


def session(body: Callable[[Client], Awaitable[None]]) -> None:
    async def main() -> None:
        async with Client(build_server()) as client:
            await body(client)

    anyio.run(main)


def as_json(model: Any) -> Any:
    return json.loads(model.model_dump_json())


def test_tools_are_typed_read_only_and_listed() -> None:
    async def body(client: Client) -> None:
        listed = (await client.list_tools()).tools
        assert [t.name for t in listed] == list(TOOLS)
        for tool in listed:
            assert tool.description and tool.output_schema, tool.name
            assert tool.annotations and tool.annotations.read_only_hint, tool.name
        advise = next(t for t in listed if t.name == "advise")
        answers = advise.input_schema["properties"]["answers"]
        assert answers["properties"]["knowledge"]["enum"][:3] == [
            "general",
            "private_static",
            "private_dynamic",
        ]
        assert "knowledge" in answers["required"]

    session(body)


def test_advise_gives_the_library_recommendation_on_every_scenario() -> None:
    async def body(client: Client) -> None:
        for path in SCENARIOS:
            answers = scenario_answers(path)
            result = await client.call_tool("advise", {"answers": answers})
            assert not result.is_error, (path.name, result.content)
            assert result.structured_content == as_json(advisor.advise(answers)), path.name

    session(body)


def test_explain_what_if_review_match_the_library() -> None:
    answers = scenario_answers(SCENARIOS[0])

    async def body(client: Client) -> None:
        explained = await client.call_tool("explain", {"answers": answers})
        assert explained.structured_content == as_json(advisor.explain(answers))
        changes = await client.call_tool("what_if", {"answers": answers, "targets": ["rag"]})
        data = advisor.what_if(answers, ["rag"]).as_dict()
        assert changes.structured_content == json.loads(json.dumps(data))
        reviewed = await client.call_tool(
            "review", {"answers": answers, "proposal": ["prompt_engineering"]}
        )
        expected = advisor.review(answers, ["prompt_engineering"])
        assert reviewed.structured_content == as_json(expected)
        assert expected.findings  # the proposal lacks advised techniques

    session(body)


def test_next_question_walks_to_complete_answers() -> None:
    target = scenario_answers(SCENARIOS[1])

    async def body(client: Client) -> None:
        given: dict[str, Any] = {}
        asked = []
        for _ in range(100):
            result = await client.call_tool("next_question", {"answers": given})
            content = result.structured_content
            assert content is not None and not result.is_error
            if content["done"]:
                break
            qid = content["question"]["id"]
            asked.append(qid)
            question = advisor.next_question(given)
            assert question is not None and question.id == qid
            given[qid] = target.get(qid, content["question"].get("default"))
        assert asked and asked[0] == "knowledge"
        assert advisor.next_question(given) is None
        # with include_optional, the questions that have a default are asked too
        more = await client.call_tool(
            "next_question", {"answers": given, "include_optional": True}
        )
        assert more.structured_content is not None and not more.structured_content["done"]
        optional = advisor.next_question(given, include_optional=True)
        assert optional is not None and optional.has_default
        assert more.structured_content["question"]["id"] == optional.id
        listed = await client.call_tool("list_questions", {})
        assert listed.structured_content is not None
        ids = [q["id"] for q in listed.structured_content["questions"]]
        assert ids == [q.id for q in advisor.load_rulebase().questions]

    session(body)


def test_errors_are_tool_errors_with_the_cli_message(
    run_cli: Callable[..., RunResult], tmp_path: Path
) -> None:
    bad = {**BASE_ANSWERS, "latency_budget_ms": 3000.0, "knowledge": "secret"}
    missing = {"knowledge": "general"}
    cli_messages = []
    for answers in (bad, missing):
        path = tmp_path / "answers.json"
        path.write_text(json.dumps(answers), encoding="utf-8")
        result = run_cli("recommend", "--answers", str(path))
        assert result.returncode == 2
        message = result.stderr.split("advisor: error: ", 1)[1]
        cli_messages.append(message.split("\nadvisor: hint:")[0].rstrip("\n"))

    async def body(client: Client) -> None:
        for answers, message in zip((bad, missing), cli_messages, strict=True):
            result = await client.call_tool("advise", {"answers": answers})
            assert result.is_error
            text = result.content[0].text  # type: ignore[union-attr]
            # The SDK frames every tool error as "Error executing tool NAME: <message>".
            assert text == f"Error executing tool advise: {message.replace(f'{path}: ', '')}"
        unknown = await client.call_tool("what_if", {"answers": BASE_ANSWERS, "targets": ["x"]})
        assert unknown.is_error

    session(body)


def test_check_record_reports_current_and_stale() -> None:
    golden = (ROOT / "tests" / "golden" / "support_bot.md").read_text(encoding="utf-8")
    start = golden.index("\n", golden.index("<!-- llm-advisor:record")) + 1
    end = golden.rindex("-->")
    data = json.loads(golden[start:end])
    data["outcome"]["techniques"].remove("rag")
    edited = golden[:start] + json.dumps(data, indent=2) + "\n" + golden[end:]

    async def body(client: Client) -> None:
        current = await client.call_tool("check_record", {"text": golden})
        assert current.structured_content is not None
        assert current.structured_content["status"] == "current"
        assert current.structured_content["changes"] == []
        stale = await client.call_tool("check_record", {"text": edited})
        assert stale.structured_content is not None
        assert stale.structured_content["status"] == "stale"
        assert any("rag" in change.lower() for change in stale.structured_content["changes"])
        other = await client.call_tool("check_record", {"text": "# Notes\n"})
        assert other.structured_content is not None
        assert other.structured_content["status"] == "skipped"
        broken = await client.call_tool("check_record", {"text": golden[: end - 40] + "-->\n"})
        assert broken.is_error

    session(body)


def test_check_record_checks_a_record_with_the_packs_it_was_made_under(
    tmp_path: Path, run_cli: Callable[..., RunResult]
) -> None:
    """As `advisor check` does: a record made under a pack is checked with that pack (found
    at its recorded folder), not called stale for lacking the pack's findings; a record
    naming a pack that is nowhere is an error naming it."""
    pack = ROOT / "examples" / "packs" / "on-premises"
    made = run_cli(
        "--pack", str(pack), "recommend", "--answers", str(ROOT / "examples" / "support-bot.toml"),
        "--format", "markdown", "--output", "r.md",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    text = (tmp_path / "r.md").read_text(encoding="utf-8")
    assert run_cli("check", "r.md", "--pack", str(pack)).returncode == 0
    missing = text.replace(str(pack), str(tmp_path / "gone")).replace(
        '"name": "on-premises"', '"name": "gone-pack"'
    )

    async def body(client: Client) -> None:
        result = await client.call_tool("check_record", {"text": text})
        assert not result.is_error, result.content
        assert result.structured_content is not None
        assert result.structured_content["status"] == "current", result.structured_content
        assert "on-premises" in result.structured_content["rules_version"]
        gone = await client.call_tool("check_record", {"text": missing})
        assert gone.is_error
        assert "gone-pack" in str(gone.content) and "not available here" in str(gone.content)

    session(body)


def test_kb_sections_are_resources_an_agent_can_quote() -> None:
    rulebase = advisor.load_rulebase()

    async def body(client: Client) -> None:
        listed = (await client.list_resources()).resources
        uris = {str(r.uri) for r in listed}
        assert uris == {kb_uri(ref) for ref in rulebase.kb}
        assert "kb://rag.md#citations-need-retrieval" in uris
        read = await client.read_resource("kb://rag.md#citations-need-retrieval")
        text = read.contents[0].text  # type: ignore[union-attr]
        section = rulebase.kb["kb/rag.md#citations-need-retrieval"]
        assert text.startswith(f"{'#' * section.level} {section.title}\n")
        rec = advisor.advise({**BASE_ANSWERS, "citations": True})
        assert {kb_uri(s.ref) for s in rec.sources} <= uris

    session(body)


def test_the_sdk_stays_off_the_start_up_path() -> None:
    code = (
        "import sys; from advisor.cli.main import build_parser; build_parser(); "
        "print(sorted(m for m in ('mcp', 'pydantic', 'advisor.mcp') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_advisor_mcp_without_the_extra_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    from advisor.cli.main import main

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "mcp" else real(name, *a)
    )
    assert main(["mcp"]) == 2
    assert "pip install 'llm-advisor[mcp]'" in capsys.readouterr().err


def test_a_message_that_cannot_be_read_gets_a_json_rpc_error_over_stdio() -> None:
    """Over the real stdio transport (`advisor mcp`), a line that is not JSON is answered with
    a parse error (-32700) and JSON that is not a JSON-RPC message with an invalid-request
    error (-32600), both with id null, and the server goes on serving; before, such a line got
    no reply at all and the client waited forever."""
    from conftest import ADVISOR

    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "1"},
        },
    }
    child = subprocess.Popen(
        [ADVISOR, "mcp"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None

    def send(line: str) -> None:
        assert child.stdin is not None
        child.stdin.write(line + "\n")
        child.stdin.flush()

    try:
        send(json.dumps(init))
        assert json.loads(child.stdout.readline())["id"] == 1
        send(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        send('{"jsonrpc": "2.0", "id": 2, "method":')  # cut off: not JSON
        parse = json.loads(child.stdout.readline())
        send("42")  # JSON, but not a JSON-RPC message
        invalid = json.loads(child.stdout.readline())
        unreadable_ids = []
        for bad_id in (True, None, 1.5, [1]):  # not a string or an integer
            send(json.dumps({"jsonrpc": "2.0", "id": bad_id, "method": "tools/list"}))
            unreadable_ids.append(json.loads(child.stdout.readline()))
        send(json.dumps({"jsonrpc": "2.0", "id": 3, "method": "tools/list"}))
        listed = json.loads(child.stdout.readline())
    finally:
        child.stdin.close()
        child.wait(timeout=60)
    assert (parse["id"], parse["error"]["code"]) == (None, -32700)
    assert (invalid["id"], invalid["error"]["code"]) == (None, -32600)
    for reply in unreadable_ids:
        assert (reply["id"], reply["error"]["code"]) == (None, -32600)
        assert "id must be a string or an integer" in reply["error"]["message"]
    assert listed["id"] == 3
    assert {tool["name"] for tool in listed["result"]["tools"]} == set(TOOLS)
    assert child.returncode == 0
