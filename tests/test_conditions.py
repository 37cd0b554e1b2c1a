"""The condition language: parsing, type checks, three-valued evaluation, analysis."""

from __future__ import annotations

import pytest

from advisor.errors import ConditionError
from advisor.knowledge import conditions as c

SHAPES = {
    "knowledge": c.QuestionShape("choice", ("general", "private_static", "private_dynamic")),
    "shapes": c.QuestionShape("set", ("documents", "tables", "identifiers")),
    "citations": c.QuestionShape("bool"),
    "latency": c.QuestionShape("int"),
}


def ev(text: str, **answers: object) -> bool | None:
    return c.evaluate(c.parse(text, SHAPES), answers)


@pytest.mark.parametrize(
    ("text", "answers", "expected"),
    [
        ("knowledge == general", {"knowledge": "general"}, True),
        ("knowledge != general", {"knowledge": "general"}, False),
        ("knowledge in {private_static, private_dynamic}", {"knowledge": "private_static"}, True),
        ("knowledge not in {private_static}", {"knowledge": "private_static"}, False),
        ("latency < 300", {"latency": 299}, True),
        ("latency < 300", {"latency": 300}, False),
        ("latency >= 300", {"latency": 300}, True),
        ("citations", {"citations": True}, True),
        ("not citations", {"citations": True}, False),
        ("citations == false", {"citations": False}, True),
        ("shapes has tables", {"shapes": frozenset({"tables"})}, True),
        ("shapes has any {tables, identifiers}", {"shapes": frozenset({"documents"})}, False),
        (
            "shapes has all {tables, documents}",
            {"shapes": frozenset({"documents", "tables"})},
            True,
        ),
        ("count(shapes) >= 2", {"shapes": frozenset({"documents", "tables"})}, True),
        ("count(shapes) >= 2", {"shapes": frozenset({"documents"})}, False),
        ("true", {}, True),
        ("false or (citations and latency > 10)", {"citations": True, "latency": 11}, True),
    ],
)
def test_evaluates(text: str, answers: dict[str, object], expected: bool) -> None:
    assert c.evaluate(c.parse(text, SHAPES), answers) is expected


def test_and_binds_tighter_than_or() -> None:
    # a or (b and c), not (a or b) and c
    assert ev("citations or latency > 5 and latency < 3", citations=True, latency=10) is True


def test_unanswered_questions_are_unknown_and_follow_kleene_logic() -> None:
    assert ev("citations") is None
    assert ev("not citations") is None
    assert ev("citations and latency > 5", latency=1) is False  # false wins in 'and'
    assert ev("citations and latency > 5", latency=10) is None
    assert ev("citations or latency > 5", latency=10) is True  # true wins in 'or'
    assert ev("citations or latency > 5", latency=1) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("knowlege == general", "unknown question id 'knowlege'"),
        ("knowledge == privat", "'privat' is not a value of 'knowledge'"),
        ("latency < fast", "compare it with a whole number"),
        ("knowledge < general", "only == and != apply"),
        ("shapes == documents", "use 'has' or count()"),
        ("knowledge has general", "'has' applies to many-choice"),
        ("shapes in {documents}", "'in' applies to one-choice"),
        ("knowledge", "compare it"),
        ("citations and", "expected a question id"),
        ("(citations", "expected ')'"),
        ("citations citations", "missing 'and'/'or'"),
        ("latency > 3; import os", "unexpected character ';'"),
        ("", "empty condition"),
        ("count(knowledge) > 1", "count() takes a many-choice question"),
    ],
)
def test_errors_name_the_problem_and_column(text: str, message: str) -> None:
    with pytest.raises(ConditionError) as info:
        c.parse(text, SHAPES)
    assert message in str(info.value)
    assert info.value.column >= 1


def test_definitions_expand_into_the_tree() -> None:
    defs = {"needs": c.parse("knowledge != general", SHAPES)}
    node = c.parse("needs and citations", SHAPES, defs)
    assert c.questions_in(node) == {"knowledge", "citations"}
    assert c.evaluate(node, {"knowledge": "private_static", "citations": True}) is True


def test_analysis_helpers() -> None:
    node = c.parse("latency < 300 or (latency >= 1000 and count(shapes) >= 2)", SHAPES)
    assert c.thresholds(node) == {"latency": {300, 1000}}
    assert c.questions_in(node) == {"latency", "shapes"}
    # canonical text parses back to the same tree
    assert c.parse(c.to_text(node), SHAPES) == node


def test_nothing_is_evaluated_as_python() -> None:
    with pytest.raises(ConditionError):
        c.parse("__import__('os').system('true')", SHAPES)
