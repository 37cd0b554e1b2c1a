"""Regression tests for command-line defects, each run through the real console script."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import ADVISOR, BASE_ANSWERS, RunResult

Run = Callable[..., RunResult]
RECORD = "docs/decisions/0001-llm-approach.md"
DATE = "2025-01-15"


def answers_file(tmp_path: Path, **changes: Any) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps({**BASE_ANSWERS, **changes}), encoding="utf-8")
    return path


def write_record(run_cli: Run, tmp_path: Path, *extra: str, **changes: Any) -> Path:
    answers = answers_file(tmp_path, **changes)
    result = run_cli("recommend", "--answers", str(answers), "--format", "markdown",
                     "--date", DATE, "--output", RECORD, *extra)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return tmp_path / RECORD


# 1. global options after the subcommand; -V


def test_rules_and_kb_are_accepted_after_the_subcommand(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("check", "--rules", str(tmp_path / "none"), "x.md")
    assert result.returncode == 2
    assert "unrecognized arguments" not in result.stderr
    assert "none: rules folder not found" in result.stderr
    after = run_cli("questions", "--format", "json", "--kb", str(tmp_path / "nokb"))
    assert after.returncode == 2 and "unrecognized" not in after.stderr


def test_a_value_given_before_the_subcommand_is_kept(run_cli: Run, tmp_path: Path) -> None:
    result = run_cli("--rules", str(tmp_path / "before"), "questions")
    assert result.returncode == 2 and "before: rules folder not found" in result.stderr
    later = run_cli("--rules", str(tmp_path / "before"), "questions", "--rules",
                    str(tmp_path / "after"))  # fmt: skip
    assert "after: rules folder not found" in later.stderr


@pytest.mark.parametrize("command", ["ask", "recommend", "schema", "check", "questions", "lint"])
def test_every_subcommand_help_shows_rules_and_kb(run_cli: Run, command: str) -> None:
    result = run_cli(command, "--help")
    assert result.returncode == 0
    assert "--rules DIR" in result.stdout and "--kb DIR" in result.stdout


def test_short_version_option(run_cli: Run) -> None:
    result = run_cli("-V")
    assert result.returncode == 0 and result.stdout.startswith("advisor ")


# 2. --output under a file; check of a missing path


def test_output_under_a_regular_file_names_the_file(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    answers = answers_file(tmp_path)
    for output in ("a-file/x.md", "a-file/deeper/x.md"):
        result = run_cli("recommend", "--answers", str(answers), "--output", output)
        assert result.returncode == 2
        assert "its folder a-file is a file" in result.stderr
        assert "File exists" not in result.stderr and "Not a directory" not in result.stderr


def test_check_of_a_missing_path_says_it_does_not_exist(run_cli: Run) -> None:
    result = run_cli("check", "nonexist")
    assert result.returncode == 2
    assert "advisor: error: nonexist: the path does not exist" in result.stderr
    assert result.stdout.splitlines()[-1] == (
        "0 records: 0 current, 0 stale, 0 unreadable; 1 path missing"
    )


# 3. wording of missing answers, yes/no and numbers


def test_a_conditional_missing_answer_names_the_questions_in_words(run_cli: Run) -> None:
    result = run_cli("recommend", "--set", "knowledge=general")
    assert result.returncode == 2
    line = next(x for x in result.stderr.splitlines() if "'model_access'" in x)
    assert "behaviour_gap" not in line
    assert "needed if the answers to 'How must the model speak or act" in line
    assert line.endswith("call for it)")


def test_yes_no_and_number_errors_name_the_accepted_forms(run_cli: Run) -> None:
    result = run_cli("recommend", "--set", "citations=maybe", "--set", "latency_budget_ms=fast")
    assert result.returncode == 2
    assert "'citations': \"maybe\" is not valid; expected yes or no (true/false)" in result.stderr
    number = next(x for x in result.stderr.splitlines() if "'latency_budget_ms'" in x)
    for form in ("3000", "3 000", "2 s", "1.5 min"):
        assert form in number


# 4. markdown-only options with another format


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_markdown_only_options_warn_with_another_format(
    run_cli: Run, tmp_path: Path, fmt: str
) -> None:
    answers = answers_file(tmp_path)
    result = run_cli("recommend", "--answers", str(answers), "--format", fmt,
                     "--date", DATE, "--kb-base-url", "https://example.org/kb/")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "--date applies to --format markdown only" in result.stderr
    assert "--kb-base-url applies to --format markdown only" in result.stderr


# 5. bare advisor without a terminal


def test_bare_advisor_without_a_terminal_says_why_and_exits_2(run_cli: Run) -> None:
    result = run_cli()
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "advisor: no command given and no terminal to ask in; see the commands below"
    )
    assert "recommend" in result.stderr


# 6. recommend without answers; the standard-input hint


def test_recommend_without_any_answers_points_to_answers_and_ask(run_cli: Run) -> None:
    result = run_cli("recommend")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "--answers FILE" in result.stderr and "advisor ask" in result.stderr
    assert "missing answer" not in result.stderr


def test_answers_from_a_terminal_get_a_hint(tmp_path: Path) -> None:
    master, slave = pty.openpty()
    env = {**os.environ, "NO_COLOR": "1"}
    process = subprocess.Popen(
        [ADVISOR, "recommend", "--answers", "-", "--format", "json"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env=env,
    )
    os.close(slave)
    try:
        assert process.stderr is not None
        ready, _, _ = select.select([process.stderr], [], [], 30)
        assert ready, "no hint before reading standard input"
        hint = process.stderr.readline().decode()
        assert hint.startswith("advisor: reading answers from standard input (JSON or TOML)")
        assert "Ctrl-D" in hint
        os.write(master, json.dumps(BASE_ANSWERS).encode() + b"\n")
        time.sleep(0.2)
        os.write(master, b"\x04")
        out, err = process.communicate(timeout=60)
    finally:
        os.close(master)
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert json.loads(out)["techniques"]


def test_answers_from_a_pipe_get_no_hint(run_cli: Run) -> None:
    result = run_cli("recommend", "--answers", "-", input=json.dumps(BASE_ANSWERS))
    assert result.returncode == 0, result.stderr
    assert "reading answers" not in result.stderr


# 7. kb base URL schemes


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "javascript:void0/",
        "data:text/html,x",
        "JavaScript:x",
        "a:b/",
        "//evil.example/kb/",
        "https://example.org/kb/?ref=1",  # the cited file would land in the query
        "https://example.org/kb/#top",
        "https://example.org/" + "k" * 2000,  # repeated in every link of the record
    ],
)
def test_a_kb_base_url_with_another_scheme_is_refused(
    run_cli: Run, tmp_path: Path, url: str
) -> None:
    answers = answers_file(tmp_path)
    result = run_cli("recommend", "--answers", str(answers), "--format", "markdown",
                     "--kb-base-url", url)  # fmt: skip
    assert result.returncode == 2
    assert "--kb-base-url" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "url", ["https://example.org/kb/", "http://example.org/kb", "../../kb/", "/docs/kb/"]
)
def test_http_https_and_relative_kb_base_urls_are_allowed(
    run_cli: Run, tmp_path: Path, url: str
) -> None:
    answers = answers_file(tmp_path)
    result = run_cli("recommend", "--answers", str(answers), "--format", "markdown",
                     "--kb-base-url", url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"]({url.rstrip('/')}/" in result.stdout


def test_a_recorded_javascript_url_is_ignored_with_a_warning(run_cli: Run, tmp_path: Path) -> None:
    record = write_record(run_cli, tmp_path, "--kb-base-url", "https://example.org/kb/")
    text = record.read_text(encoding="utf-8")
    record.write_text(
        text.replace('"kb_base_url": "https://example.org/kb/"', '"kb_base_url": "javascript:x/"'),
        encoding="utf-8",
    )
    result = run_cli("recommend", "--from-record", RECORD, "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert "warning" in result.stderr and "kb_base_url is ignored" in result.stderr
    assert "javascript:" not in result.stdout


# 8. project and notes cannot make markup or links


def _html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    try:
        import linkify_it  # noqa: F401
    except ImportError:
        return MarkdownIt("commonmark").render(markdown)
    return MarkdownIt("gfm-like").render(markdown)


_BARE_LINK = re.compile(r"(?<!\\)(?:https?://|www\.)|[\w.-](?<!\\)@\w|\w(?<!\\)\.(?:com|org|co)\b")


@pytest.mark.parametrize(
    "project",
    ["> quoted", "- item", "1. one", "2) two", "# head", "+ plus", "=", "===",
     "https://x.y/z", "www.x.y", "see https://localhost:8080/a, a@b.co or acme.com"],
)  # fmt: skip
def test_the_project_name_stays_plain_text(run_cli: Run, tmp_path: Path, project: str) -> None:
    notes = f"{project}\nmore at https://example.org/page and www.example.org"
    record = write_record(run_cli, tmp_path, project=project, notes=notes)
    text = record.read_text(encoding="utf-8")
    context = next(line for line in text.splitlines() if "needs a way to adapt" in line)
    html = _html(context)
    assert html.startswith("<p>") and html.count("<p>") == 1, html
    assert "<a " not in html and "<blockquote" not in html and "<li" not in html
    assert not re.search(r"<h\d", html)
    body = text[: text.index("<!-- llm-advisor:record")]
    assert "<a " not in _html(body)
    assert not _BARE_LINK.search(context)
    notes_lines = [line for line in body.splitlines() if line.startswith("> ")]
    assert notes_lines and not any(_BARE_LINK.search(line) for line in notes_lines)


# 9. the record block is found whatever the markdown nesting


def _nested_lists(levels: int) -> str:
    return "\n".join("  " * i + "- level" for i in range(levels)) + "\n\n"


def test_a_record_after_deeply_nested_lists_is_still_checked(run_cli: Run, tmp_path: Path) -> None:
    record = write_record(run_cli, tmp_path)
    text = record.read_text(encoding="utf-8")
    at = text.index("## Decision Drivers")
    record.write_text(text[:at] + _nested_lists(12) + text[at:], encoding="utf-8")
    result = run_cli("check", RECORD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{RECORD}: current" in result.stdout


def test_a_damaged_record_after_deep_nesting_exits_2(run_cli: Run, tmp_path: Path) -> None:
    record = write_record(run_cli, tmp_path)
    text = record.read_text(encoding="utf-8")
    at = text.index("## Decision Drivers")
    text = text[:at] + _nested_lists(12) + text[at:]
    record.write_text(text.replace('"answers": {', '"answers": {,', 1), encoding="utf-8")
    result = run_cli("check", RECORD)
    assert result.returncode == 2
    assert "not valid JSON" in result.stderr and "skipped" not in result.stdout


def test_the_marker_in_a_fenced_code_block_is_not_a_record(run_cli: Run, tmp_path: Path) -> None:
    doc = tmp_path / "docs" / "howto.md"
    doc.parent.mkdir(parents=True)
    doc.write_text(
        "# How records look\n\n```markdown\n<!-- llm-advisor:record\n{}\n-->\n```\n",
        encoding="utf-8",
    )
    result = run_cli("check", "docs")
    assert result.returncode == 0, result.stderr
    assert "howto.md: skipped (not an llm-advisor record)" in result.stdout


# 10. the team's front-matter keys keep their place


def test_regenerating_keeps_the_front_matter_order(run_cli: Run, tmp_path: Path) -> None:
    record = write_record(run_cli, tmp_path)
    text = record.read_text(encoding="utf-8")
    text = text.replace("status: proposed\n", "status: accepted\ndecision-makers: [Ada]\n", 1)
    text = text.replace("---\n", "---\nconsulted: [Linus] # kept verbatim\n", 1)
    record.write_text(text, encoding="utf-8")
    result = run_cli("recommend", "--from-record", RECORD, "--format", "markdown",
                     "--date", "2026-02-03")  # fmt: skip
    assert result.returncode == 0, result.stderr
    old = text.split("---\n")[1].splitlines()
    new = result.stdout.split("---\n")[1].splitlines()
    assert [line.split(":")[0] for line in new] == [line.split(":")[0] for line in old]
    assert new[0] == "consulted: [Linus] # kept verbatim"
    assert new[1:4] == ["status: accepted", "decision-makers: [Ada]", "date: 2026-02-03"]


# 11. one unreadable record does not stop the others


def test_check_goes_on_after_every_kind_of_unreadable_record(run_cli: Run, tmp_path: Path) -> None:
    record = write_record(run_cli, tmp_path)
    folder = record.parent
    text = record.read_text(encoding="utf-8")
    (folder / "0002-bad-json.md").write_text(
        text.replace('"answers": {', '"answers": {,', 1), encoding="utf-8"
    )
    (folder / "0003-latin1.md").write_bytes(text.encode("utf-8") + "é".encode("latin-1"))
    (folder / "0004-folder.md").mkdir()
    os.mkfifo(folder / "0005-fifo.md")
    (folder / "0006-last.md").write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = run_cli("check", "docs")
    assert time.monotonic() - started < 50  # the FIFO is not waited on
    assert result.returncode == 2
    assert f"{RECORD}: current" in result.stdout
    assert "docs/decisions/0006-last.md: current" in result.stdout
    for name in ("0002-bad-json", "0003-latin1", "0005-fifo"):
        assert f"docs/decisions/{name}.md:" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.splitlines()[-1] == "5 records: 2 current, 0 stale, 3 unreadable"
    direct = run_cli("check", "docs/decisions/0005-fifo.md", RECORD)
    assert direct.returncode == 2 and f"{RECORD}: current" in direct.stdout
    assert "not a regular file" in direct.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs")
def test_a_fifo_named_as_a_record_to_recommend_is_refused(run_cli: Run, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.md")
    result = run_cli("recommend", "--from-record", "pipe.md")
    assert result.returncode == 2 and "not a regular file" in result.stderr


def test_an_error_exits_2_even_when_standard_error_cannot_be_written(tmp_path: Path) -> None:
    """`2>/dev/full`: the message is lost, but the exit code still says bad input (not 1)."""
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [ADVISOR, "recommend", "--answers", str(tmp_path / "missing.toml")],
            stdout=subprocess.DEVNULL,
            stderr=full,
            timeout=60,
        )
    assert done.returncode == 2
