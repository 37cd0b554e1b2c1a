"""Nothing the advisor prints can drive the terminal, and odd standard streams are handled."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest
from conftest import ADVISOR, ROOT

HOSTILE = "x\x1b[2J\x1b]52;c;ZXZpbA==\x07\u202eevil\u2066"
RAW = ("\x1b", "\x07", "\u202e", "\u2066")
EXAMPLE = ROOT / "examples" / "support-bot.toml"


def _run(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ADVISOR, *args],
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,  # type: ignore[call-overload]
    )


def _hostile_answers(tmp_path: Path) -> Path:
    answers = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    answers["project"] = HOSTILE
    answers["notes"] = HOSTILE
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(answers), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_no_escape_sequence_from_answers_reaches_the_terminal(tmp_path: Path, fmt: str) -> None:
    result = _run("recommend", "--answers", str(_hostile_answers(tmp_path)), "--format", fmt)
    assert result.returncode == 0, result.stderr
    for char in RAW:
        assert char not in result.stdout and char not in result.stderr
    if fmt == "json":  # escaped as JSON escapes: the data is unchanged for a JSON reader
        assert json.loads(result.stdout)["answers"]["project"] == HOSTILE


def test_pack_text_in_questions_check_and_errors_is_escaped(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    path = rules / "questions.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        'text = "What must the model know to answer well?"',
        'text = "What must \\u001b[2J the model \\u202e know?"',
    )
    path.write_text(text, encoding="utf-8")
    for args in (["questions"], ["questions", "--format", "json"]):
        result = _run("--rules", str(rules), "--kb", str(kb), *args)
        assert result.returncode == 0, result.stderr
        assert not any(char in result.stdout for char in RAW)
    bad = _run("recommend", "--answers", "-", input='{"knowledge": "\\u001b[2Jgeneral"}')
    assert bad.returncode == 2
    assert "\x1b" not in bad.stderr and "\\u001b" in bad.stderr


def test_a_record_with_hostile_text_is_checked_without_raw_escapes(tmp_path: Path) -> None:
    record = tmp_path / "0001-x.md"
    made = _run(
        "recommend", "--answers", str(_hostile_answers(tmp_path)), "--format", "markdown",
        "--output", str(record),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace('"rag"', '"fine_tuning"', 1), encoding="utf-8")
    result = _run("check", str(tmp_path))
    assert result.returncode in (1, 2)
    assert not any(char in result.stdout + result.stderr for char in RAW)


def test_a_full_device_is_a_clear_error() -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [ADVISOR, "recommend", "--answers", str(EXAMPLE)],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=60,
        )  # fmt: skip
    assert result.returncode == 2
    assert "cannot write to standard output: No space left on device" in result.stderr
    assert "Traceback" not in result.stderr and "Exception ignored" not in result.stderr


def test_a_closed_standard_output_is_a_clear_error() -> None:
    result = subprocess.run(
        f"'{ADVISOR}' recommend --answers '{EXAMPLE}' >&-",
        shell=True, stderr=subprocess.PIPE, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "standard output is closed" in result.stderr


def test_an_ascii_only_output_gets_escapes_not_a_crash() -> None:
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    result = _run("recommend", "--answers", str(EXAMPLE), "--format", "markdown", env=env)
    assert result.returncode == 0, result.stderr
    assert "\\u2192" in result.stdout or "\\u203a" in result.stdout
