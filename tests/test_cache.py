"""The disk cache of loaded rule bases: identical results, invalidated by any edit, never fatal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from advisor.engine.assemble import advise
from advisor.knowledge import kb as kb_module
from advisor.knowledge import loader as rulebase_module
from advisor.knowledge.loader import load_rulebase
from advisor.knowledge.rulebase import RuleBase

RunCli = Callable[..., Any]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("ADVISOR_CACHE_DIR", str(folder))
    monkeypatch.delenv("ADVISOR_NO_CACHE", raising=False)
    return folder


def _same_content(a: RuleBase, b: RuleBase) -> bool:
    return (a.questions, a.rules, a.definitions, a.kb, a.name, a.version, a.digest) == (
        b.questions,
        b.rules,
        b.definitions,
        b.kb,
        b.name,
        b.version,
        b.digest,
    )


def test_hit_gives_the_same_rule_base_and_recommendation(
    cache_dir: Path,
    rules_copy: tuple[Path, Path],
    answers: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rules, kb = rules_copy
    parsed = load_rulebase(rules, kb)
    assert len(list(cache_dir.glob("rulebase-*.json"))) == 1

    def no_parsing(*_: Any) -> Any:
        raise AssertionError("a cache hit must not parse the knowledge base again")

    monkeypatch.setattr(rulebase_module, "load_kb", no_parsing)
    monkeypatch.setattr(kb_module, "load_kb", no_parsing)
    cached = load_rulebase(rules, kb)
    assert cached is not parsed
    assert _same_content(parsed, cached)
    first, second = advise(answers, parsed), advise(answers, cached)
    assert first == second
    assert first.model_dump_json(indent=2) == second.model_dump_json(indent=2)


def test_editing_a_rule_file_invalidates_the_entry(
    cache_dir: Path, rules_copy: tuple[Path, Path]
) -> None:
    rules, kb = rules_copy
    before = load_rulebase(rules, kb)
    target = before.rules[0]
    path = Path(target.source.partition(": ")[0])
    text = path.read_text(encoding="utf-8")
    edited = f"{target.id}_edited"
    path.write_text(text.replace(f'id = "{target.id}"', f'id = "{edited}"', 1), encoding="utf-8")
    after = load_rulebase(rules, kb)
    assert after.digest != before.digest
    assert edited in {rule.id for rule in after.rules}
    assert target.id not in {rule.id for rule in after.rules}
    assert len(list(cache_dir.glob("rulebase-*.json"))) == 1  # the stale entry was replaced


def test_editing_a_kb_page_invalidates_the_entry(
    cache_dir: Path, rules_copy: tuple[Path, Path]
) -> None:
    rules, kb = rules_copy
    before = load_rulebase(rules, kb)
    page = sorted(kb.glob("*.md"))[0]
    page.write_text(page.read_text(encoding="utf-8") + "\n## Added later\n\nNew text.\n", "utf-8")
    after = load_rulebase(rules, kb)
    assert any(section.title == "Added later" for section in after.kb.values())
    assert not any(section.title == "Added later" for section in before.kb.values())


def test_a_corrupt_entry_is_ignored_and_replaced(
    cache_dir: Path, rules_copy: tuple[Path, Path]
) -> None:
    rules, kb = rules_copy
    parsed = load_rulebase(rules, kb)
    (entry,) = cache_dir.glob("rulebase-*.json")
    entry.write_text('{"format": 1, "nodes": [["Nope"]], "rulebase": {}}', encoding="utf-8")
    again = load_rulebase(rules, kb)
    assert _same_content(parsed, again)
    assert json.loads(_body(entry))["rulebase"]  # rewritten


def _body(entry: Path) -> bytes:
    """The JSON of an entry (after its signature line)."""
    signature, _, body = entry.read_bytes().partition(b"\n")
    assert len(signature) == 64
    return body


def _sign(body: bytes) -> bytes:
    import hashlib
    import hmac
    import os

    key = Path(os.environ["ADVISOR_CACHE_KEY_FILE"]).read_bytes()
    return hmac.new(key, body, hashlib.sha256).hexdigest().encode() + b"\n" + body


def test_a_tampered_entry_cannot_change_the_advice(
    cache_dir: Path, rules_copy: tuple[Path, Path]
) -> None:
    rules, kb = rules_copy
    parsed = load_rulebase(rules, kb)
    (entry,) = cache_dir.glob("rulebase-*.json")
    signature, _, body = entry.read_bytes().partition(b"\n")
    assert b'"kind":"technique","value":"rag"' in body
    tampered = body.replace(b'"value":"rag"', b'"value":"fine_tuning"')
    entry.write_bytes(signature + b"\n" + tampered)  # the old signature no longer fits
    again = load_rulebase(rules, kb)
    assert _same_content(parsed, again)
    assert all(r.then == p.then for r, p in zip(again.rules, parsed.rules, strict=True))
    assert _body(entry) == body  # rewritten from the rule files


def test_an_entry_referring_to_itself_is_refused(
    cache_dir: Path, rules_copy: tuple[Path, Path]
) -> None:
    rules, kb = rules_copy
    parsed = load_rulebase(rules, kb)
    (entry,) = cache_dir.glob("rulebase-*.json")
    data = json.loads(_body(entry))
    data["nodes"][0] = ["Not", {"n": 0}]  # a node that is its own child
    data["nodes"][1] = ["And", {"t": [{"n": 5}, {"n": 1}]}]  # and one pointing forward
    entry.write_bytes(_sign(json.dumps(data).encode()))  # validly signed, still refused
    again = load_rulebase(rules, kb)
    assert _same_content(parsed, again)


def test_a_fifo_in_place_of_an_entry_does_not_hang(
    cache_dir: Path, rules_copy: tuple[Path, Path]
) -> None:
    import os

    rules, kb = rules_copy
    parsed = load_rulebase(rules, kb)
    (entry,) = cache_dir.glob("rulebase-*.json")
    entry.unlink()
    os.mkfifo(entry)
    again = load_rulebase(rules, kb)  # would block forever reading the FIFO
    assert _same_content(parsed, again)


def test_no_cache_writes_nothing(
    cache_dir: Path, rules_copy: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_NO_CACHE", "1")
    load_rulebase(*rules_copy)
    assert not cache_dir.exists()


def _console_script() -> str:
    candidate = Path(sys.executable).parent / "advisor"
    return str(candidate) if candidate.exists() else (shutil.which("advisor") or "advisor")


def _recommend(
    env: dict[str, str], answers_file: Path, cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            _console_script(),
            "recommend",
            "--answers",
            str(answers_file),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
        env={**os.environ, **env},
    )


def test_cli_hit_skips_markdown_and_graph_imports(tmp_path: Path, answers: dict[str, Any]) -> None:
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers), encoding="utf-8")
    env = {"ADVISOR_CACHE_DIR": str(tmp_path / "cache"), "ADVISOR_NO_CACHE": ""}
    cold = _recommend(env, answers_file, tmp_path)
    warm = _recommend(env, answers_file, tmp_path)
    assert cold.returncode == warm.returncode == 0, cold.stderr[-2000:]
    assert cold.stdout == warm.stdout
    assert "markdown_it" in cold.stderr  # the first run parses the knowledge base
    assert "markdown_it" not in warm.stderr
    assert "networkx" not in warm.stderr


@pytest.mark.parametrize("place", ["file", "missing-parent-is-a-file"])
def test_an_unusable_cache_dir_never_fails_a_command(
    run_cli: RunCli, tmp_path: Path, answers: dict[str, Any], place: str
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("not a folder", encoding="utf-8")
    cache = blocker if place == "file" else blocker / "sub" / "cache"
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps(answers), encoding="utf-8")
    args = ("recommend", "--answers", str(answers_file), "--format", "json")
    plain = run_cli(*args, env={"ADVISOR_NO_CACHE": "1"})
    broken = run_cli(*args, env={"ADVISOR_CACHE_DIR": str(cache), "ADVISOR_NO_CACHE": ""})
    assert plain.returncode == broken.returncode == 0, broken.stderr
    assert broken.stdout == plain.stdout
    assert broken.stderr == ""
