"""The answers JSON Schema agrees with the validator, both ways, and is published in the repo.

The oracle is the advisor itself: a file is valid when `advisor.decide` accepts it (no
`AnswersError`, which includes missing answers). Checked on every scenario, on edits of each
(every question left out, null, of a wrong type or value, and the gates flipped), and on
generated answers. Drafts 07 and 2020-12 count 3000.0 as an integer (the spec's choice); the
published draft-04 schema refuses it, as the advisor does.
Run `python tests/test_answers_schema.py` to rewrite schemas/answers.schema.json.
"""

from __future__ import annotations

import functools
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parent))
from conftest import BASE_ANSWERS, ROOT

import advisor
from advisor.knowledge.loader import default_rulebase
from advisor.services.answers_schema import (
    DRAFTS,
    PUBLISHED_DRAFT,
    PUBLISHED_PATH,
    answers_file_schema,
)

PUBLISHED = ROOT / PUBLISHED_PATH
VALIDATORS = {
    "04": jsonschema.Draft4Validator,
    "07": jsonschema.Draft7Validator,
    "2020-12": jsonschema.Draft202012Validator,
}
SCENARIOS = sorted((ROOT / "tests" / "scenarios").glob("*.toml"))


def published_text() -> str:
    return json.dumps(answers_file_schema(default_rulebase(), PUBLISHED_DRAFT), indent=2) + "\n"


@pytest.fixture(scope="module")
def validators() -> dict[str, Any]:
    return _validators()


@functools.cache
def _validators() -> dict[str, Any]:
    rulebase = default_rulebase()
    made = {}
    for draft, cls in VALIDATORS.items():
        schema = answers_file_schema(rulebase, draft)
        cls.check_schema(schema)
        made[draft] = cls(schema)
    return made


def accepted(answers: dict[str, Any]) -> bool:
    try:
        advisor.decide(answers)
    except advisor.AnswersError:
        return False
    return True


def _integral_float(answers: dict[str, Any]) -> bool:
    return any(isinstance(v, float) and v.is_integer() for v in answers.values())


def agree(validators: dict[str, Any], answers: dict[str, Any]) -> None:
    expected = accepted(answers)
    for draft, validator in validators.items():
        got = validator.is_valid(answers)
        if draft != "04" and _integral_float(answers):
            assert got or not expected, (draft, answers)  # 3000.0 is an integer there
            continue
        why = [e.message for e in validator.iter_errors(answers)]
        assert got == expected, (draft, expected, answers, why)


def edits(answers: dict[str, Any]) -> list[dict[str, Any]]:
    """Each question left out, null, wrong, or set to each of its values; and a bad key."""
    rulebase = default_rulebase()
    out: list[dict[str, Any]] = [{**answers, "typo": 1}, {**answers, "$schema": 1}]
    out.append({**answers, "$schema": "./schemas/answers.schema.json"})
    for q in rulebase.questions:
        without = {k: v for k, v in answers.items() if k != q.id}
        out += [without, {**answers, q.id: None}, {**answers, q.id: "nonsense"}]
        if q.kind == "choice":
            out += [{**answers, q.id: v} for v in q.values]
            out.append({**answers, q.id: [q.values[0]]})
        elif q.kind == "set":
            out += [{**answers, q.id: [v]} for v in q.values]
            out += [{**answers, q.id: []}, {**answers, q.id: [q.values[0]] * 2}]
            out += [{**answers, q.id: list(q.values)}, {**answers, q.id: q.values[0]}]
        elif q.kind == "bool":
            out += [{**answers, q.id: v} for v in (True, False, 0, 1, "true")]
        else:
            low = q.minimum if q.minimum is not None else 0
            high = q.maximum if q.maximum is not None else 10**9
            for v in (low, low - 1, high, high + 1, 300, 3600000, 3599999):
                out.append({**answers, q.id: v})
            out += [{**answers, q.id: v} for v in (3000.0, 3000.5, True, False, "3000")]
    return out


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_schema_agrees_with_the_advisor_on_scenarios_and_their_edits(
    path: Path, validators: dict[str, Any]
) -> None:
    answers = tomllib.loads(path.read_text(encoding="utf-8"))["answers"]
    for draft, validator in validators.items():
        assert validator.is_valid(answers), (draft, path.name)
    both = {d: validators[d] for d in ("04", "2020-12")}  # 07 reads these keywords as 2020-12
    for edited in edits(answers):
        agree(both, edited)


def _answer_values() -> dict[str, st.SearchStrategy[Any]]:
    rulebase = default_rulebase()
    found: dict[str, st.SearchStrategy[Any]] = {}
    junk = st.sampled_from([None, "x", 1, 1.0, True, [], ["x"]])
    for q in rulebase.questions:
        if q.kind == "choice":
            good: st.SearchStrategy[Any] = st.sampled_from(q.values)
        elif q.kind == "set":
            good = st.lists(st.sampled_from(q.values), max_size=len(q.values) + 1)
        elif q.kind == "bool":
            good = st.booleans()
        else:
            cuts = [0, 1, 300, 3599999, 3600000, 3600001, 86400000, 86400001, 100000001]
            good = st.one_of(
                st.integers(min_value=-1, max_value=10**9),
                st.sampled_from(cuts),
                st.sampled_from([float(c) for c in cuts]),
            )
        found[q.id] = st.one_of(good, good, good, junk)
    return found


@st.composite
def generated_answers(draw: st.DrawFn) -> dict[str, Any]:
    values = _answer_values()
    answers: dict[str, Any] = {}
    for qid, strategy in values.items():
        if draw(st.integers(0, 5)) > 0:  # most questions answered
            answers[qid] = draw(strategy)
    return answers


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=generated_answers())
def test_schema_agrees_with_the_advisor_on_generated_answers(answers: dict[str, Any]) -> None:
    agree(_validators(), answers)


def test_conditional_answers_and_numbers_spelled_out(validators: dict[str, Any]) -> None:
    general = {k: v for k, v in BASE_ANSWERS.items() if k not in ("data_shapes",)}
    published = validators[PUBLISHED_DRAFT]
    assert not published.is_valid(general)  # private knowledge: data_shapes is asked
    assert published.is_valid({**general, "knowledge": "general"})
    assert not published.is_valid({**BASE_ANSWERS, "latency_budget_ms": 3000.0})
    assert not published.is_valid({**BASE_ANSWERS, "latency_budget_ms": True})
    schema = answers_file_schema(default_rulebase(), "2020-12")
    assert any("if" in part for part in schema["allOf"])


def test_published_schema_is_current() -> None:
    assert PUBLISHED.read_text(encoding="utf-8") == published_text(), (
        f"{PUBLISHED_PATH} is stale: run `python tests/test_answers_schema.py`"
    )
    document = json.loads(PUBLISHED.read_text(encoding="utf-8"))
    assert document["$schema"] == DRAFTS[PUBLISHED_DRAFT]
    assert document["id"].endswith(PUBLISHED_PATH)


def test_advisor_schema_prints_the_published_file(run_cli: Any) -> None:
    result = run_cli("schema", "--for", "answers", "--draft", PUBLISHED_DRAFT)
    assert result.returncode == 0, result.stderr
    assert result.stdout == PUBLISHED.read_text(encoding="utf-8")


def test_examples_and_schema_key_pass_both(validators: dict[str, Any], tmp_path: Path) -> None:
    for path in sorted((ROOT / "examples").glob("*.toml")):
        answers = tomllib.loads(path.read_text(encoding="utf-8"))
        if not accepted(answers):
            continue  # a partial example (the questionnaire's resume file, for instance)
        assert validators[PUBLISHED_DRAFT].is_valid(answers), path.name
    with_key = {"$schema": f"./{PUBLISHED_PATH}", **BASE_ANSWERS}
    assert accepted(with_key) and validators[PUBLISHED_DRAFT].is_valid(with_key)


if __name__ == "__main__":
    PUBLISHED.parent.mkdir(exist_ok=True)
    PUBLISHED.write_text(published_text(), encoding="utf-8")
    print(f"{PUBLISHED_PATH} written")


def test_other_drafts_are_for_the_answers_schema_only(run_cli: Any) -> None:
    result = run_cli("schema", "--draft", "04")
    assert result.returncode == 2
    assert "--draft 04 is for --for answers only" in result.stderr
    seven = json.loads(run_cli("schema", "--for", "answers", "--draft", "07").stdout)
    assert seven["$schema"] == DRAFTS["07"] and "if" in json.dumps(seven)
