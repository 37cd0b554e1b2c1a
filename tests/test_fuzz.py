"""Fuzzed loaders: whatever the bytes, the only outcomes are a result or the project's own error.

Each test feeds generated or mutated input (random bytes, mangled copies of the shipped files,
random JSON/TOML shapes) to a loader through the public API. An `AdvisorError` (exit 2 from the
CLI) or a result is fine; any other exception (RecursionError, ValueError, UnicodeError, ...) or a
hang is a defect. Example counts are bounded for CI; `FUZZ_SCALE=20 python -m pytest
tests/test_fuzz.py` runs twenty times as many.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import advisor
from advisor.errors import AdvisorError
from advisor.knowledge import conditions as cond
from advisor.knowledge.answers import parse_setting
from advisor.knowledge.loader import default_rulebase
from advisor.services.answer_files import read_answers_file
from advisor.services.records import parse_record

ROOT = Path(__file__).resolve().parents[1]
RULEBASE = default_rulebase()
SCALE = max(1, int(os.environ.get("FUZZ_SCALE", "1")))
FEW = settings(max_examples=25 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
GOLDEN = (ROOT / "tests" / "golden" / "support_bot.md").read_text(encoding="utf-8")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=20,
)


def _mutate(text: str, data: st.DataObject) -> str:
    """A copy of `text` with a few random slices cut, duplicated or replaced by random text."""
    for _ in range(data.draw(st.integers(1, 4))):
        if not text:
            break
        start = data.draw(st.integers(0, len(text) - 1))
        end = data.draw(st.integers(start, min(len(text), start + 200)))
        action = data.draw(st.sampled_from(["cut", "repeat", "replace"]))
        if action == "cut":
            text = text[:start] + text[end:]
        elif action == "repeat":
            text = text[:end] + text[start:end] * data.draw(st.integers(2, 30)) + text[end:]
        else:
            text = text[:start] + data.draw(st.text(max_size=30)) + text[end:]
    return text


def _outcome(call: Any, *args: Any) -> None:
    with suppress(AdvisorError):  # the project's own error is a fine outcome; nothing else is
        call(*args)


@FEW
@given(json_values)
@example({"knowledge": [[[[[[[[[[[["deep"]]]]]]]]]]]]})
@example({"latency_budget_ms": 10**30, "project": "\udcff"})
def test_any_json_answers_give_advice_or_a_clear_error(value: Any) -> None:
    _outcome(advisor.advise, value)
    text = json.dumps(value)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "answers.json"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        _outcome(lambda: advisor.advise(read_answers_file(str(path))))


@FEW
@given(st.binary(max_size=400))
@example(b"\xef\xbb\xbf" + b"knowledge = 'general'")
@example(b"\xff\xfe\x00k")
def test_any_bytes_as_an_answers_file_give_a_result_or_a_clear_error(raw: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name in ("answers.toml", "answers.json", "answers"):
            path = Path(folder) / name
            path.write_bytes(raw)
            _outcome(lambda p=path: advisor.advise(read_answers_file(str(p))))


@FEW
@given(st.text(max_size=80))
@example("latency_budget_ms=" + "9" * 5000)
@example("latency_budget_ms=1" + " " * 40_000 + "x")
def test_any_set_option_parses_or_is_a_clear_error(text: str) -> None:
    _outcome(parse_setting, text, RULEBASE)


@FEW
@given(st.text(max_size=200))
@example("(" * 300 + "knowledge == general" + ")" * 300)
@example("not " * 10_000 + "citations")
def test_any_condition_text_parses_or_is_a_condition_error(text: str) -> None:
    shapes = {q.id: q.shape for q in RULEBASE.questions}
    _outcome(cond.parse, text, shapes, RULEBASE.definitions)


@FEW
@given(st.data())
def test_a_mangled_record_is_read_or_refused(data: st.DataObject) -> None:
    text = _mutate(GOLDEN, data)
    try:
        record = parse_record(text, "fuzzed.md")
    except AdvisorError:
        return
    if record is not None:
        _outcome(advisor.decide, record.answers)


@contextmanager
def _rules_copy() -> Iterator[tuple[Path, Path]]:
    with tempfile.TemporaryDirectory() as folder:
        rules, kb = Path(folder) / "rules", Path(folder) / "kb"
        shutil.copytree(ROOT / "rules", rules)
        shutil.copytree(ROOT / "kb", kb)
        yield rules, kb


RULE_FILES = sorted(p.name for p in (ROOT / "rules").glob("*.toml"))
KB_PAGES = sorted(p.name for p in (ROOT / "kb").glob("*.md"))


@settings(max_examples=12 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(RULE_FILES), st.data())
def test_a_mangled_rule_file_loads_or_names_the_problem(name: str, data: st.DataObject) -> None:
    with _rules_copy() as (rules, kb):
        path = rules / name
        path.write_text(_mutate(path.read_text(encoding="utf-8"), data), encoding="utf-8")
        _outcome(advisor.load_rulebase, rules, kb)


@settings(max_examples=8 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(KB_PAGES), st.data())
def test_a_mangled_kb_page_loads_or_names_the_problem(name: str, data: st.DataObject) -> None:
    with _rules_copy() as (rules, kb):
        path = kb / name
        path.write_text(_mutate(path.read_text(encoding="utf-8"), data), encoding="utf-8")
        _outcome(advisor.load_rulebase, rules, kb)


@settings(max_examples=10 * SCALE, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_a_mangled_cache_entry_never_changes_the_rule_base(data: st.DataObject) -> None:
    with _rules_copy() as (rules, kb), tempfile.TemporaryDirectory() as cache:
        old = os.environ.get("ADVISOR_CACHE_DIR")
        os.environ["ADVISOR_CACHE_DIR"] = cache
        try:
            parsed = advisor.load_rulebase(rules, kb)
            (entry,) = Path(cache).glob("rulebase-*.json")
            raw = entry.read_bytes()
            keep = data.draw(st.booleans())  # keep the signature line, or mangle it too
            signature, _, body = raw.partition(b"\n")
            mangled = _mutate(body.decode(), data).encode()
            entry.write_bytes((signature + b"\n" if keep else b"") + mangled)
            again = advisor.load_rulebase(rules, kb)
            assert [r.then for r in again.rules] == [r.then for r in parsed.rules]
            assert [r.when for r in again.rules] == [r.when for r in parsed.rules]
            assert again.kb == parsed.kb
        finally:
            if old is None:
                del os.environ["ADVISOR_CACHE_DIR"]
            else:
                os.environ["ADVISOR_CACHE_DIR"] = old
