"""The answer-space analysis behind `advisor lint` is exact: it agrees with brute force."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from advisor.analysis.answer_space import FALSE, NOT_TRUE, TRUE, UNKNOWN, UNREACHED, Diagrams
from advisor.engine.decide import walk
from advisor.knowledge import conditions as cond
from advisor.knowledge.loader import load_rulebase
from advisor.knowledge.rulebase import RuleBase

QUESTIONS = """
[[question]]
id = "a"
type = "choice"
text = "A?"
why = "Test."
choices = [{ value = "x" }, { value = "y" }, { value = "z" }]

[[question]]
id = "b"
type = "bool"
text = "B?"
why = "Test."
asked_when = "a != x"

[[question]]
id = "n"
type = "int"
text = "N?"
why = "Test."
min = 0
max = 1000

[[question]]
id = "s"
type = "set"
text = "S?"
why = "Test."
asked_when = "b and n >= 10"
choices = [{ value = "p" }, { value = "q" }, { value = "r" }]
"""

CONDITIONS = [
    "a == x",
    "b",
    "not b",
    "n < 10 or n > 500",
    "n == 500",
    "s has p",
    "s has all {p, q} and a == z",
    "count(s) >= 2 or a == y",
    "not (s has any {q, r}) and n <= 10",
    "b and a == x",
    "a in {y, z} and (not b or n >= 10)",
]


@pytest.fixture(scope="module")
def rulebase(tmp_path_factory: pytest.TempPathFactory) -> RuleBase:
    root = tmp_path_factory.mktemp("tiny")
    (root / "rules").mkdir()
    (root / "kb").mkdir()
    (root / "rules" / "questions.toml").write_text(QUESTIONS, encoding="utf-8")
    (root / "kb" / "t.md").write_text("# T\n\n## S\n\nText.\n", encoding="utf-8")
    rules = "".join(
        f'[[rule]]\nid = "r{n}"\nwhen = "{text}"\nthen = "note:rag"\n'
        f'because = "x"\ncite = ["kb/t.md#s"]\n\n'
        for n, text in enumerate(CONDITIONS)
    )
    (root / "rules" / "r.toml").write_text(rules, encoding="utf-8")
    return load_rulebase(root / "rules", root / "kb")


def _every_effective(rulebase: RuleBase) -> list[dict[str, Any]]:
    """Brute force: every raw answer combination (numbers on a dense grid), walked."""
    numbers = sorted({0, 1, 5, 9, 10, 11, 100, 499, 500, 501, 999, 1000})
    subsets = [list(c) for k in range(4) for c in itertools.combinations("pqr", k)]
    seen = []
    for a, b, n, s in itertools.product("xyz", (False, True), numbers, subsets):
        effective = walk({"a": a, "b": b, "n": n, "s": frozenset(s)}, rulebase).effective
        if effective not in seen:
            seen.append(effective)
    return seen


BITS = {True: TRUE, False: FALSE, None: UNKNOWN}
ALLOWED = [TRUE, FALSE, UNKNOWN, NOT_TRUE]


def test_single_conditions_match_brute_force(rulebase: RuleBase) -> None:
    diagrams = Diagrams(rulebase)
    space = _every_effective(rulebase)
    for rule in rulebase.rules:
        values = {BITS[cond.evaluate(rule.when, e)] for e in space}
        for allowed in ALLOWED:
            witness = diagrams.find([(rule.when, allowed)])
            assert (witness is not None) == any(v & allowed for v in values), (
                rule.when_text,
                allowed,
            )


def test_pairs_match_brute_force_and_witnesses_hold(rulebase: RuleBase) -> None:
    diagrams = Diagrams(rulebase)
    space = _every_effective(rulebase)
    for first, second in itertools.permutations(rulebase.rules, 2):
        for wanted in ((TRUE, NOT_TRUE), (TRUE, TRUE), (UNKNOWN, FALSE)):
            query = [(first.when, wanted[0]), (second.when, wanted[1])]
            brute = any(
                BITS[cond.evaluate(first.when, e)] & wanted[0]
                and BITS[cond.evaluate(second.when, e)] & wanted[1]
                for e in space
            )
            witness = diagrams.find(query)
            assert (witness is not None) == brute, (first.when_text, second.when_text, wanted)
            if witness is not None:
                effective = {k: v for k, v in witness.items() if v is not UNREACHED}
                assert BITS[cond.evaluate(first.when, effective)] & wanted[0]
                assert BITS[cond.evaluate(second.when, effective)] & wanted[1]


def test_witness_respects_the_walk(rulebase: RuleBase) -> None:
    diagrams = Diagrams(rulebase)
    rule = next(r for r in rulebase.rules if r.when_text == "s has p")
    witness = diagrams.find([(rule.when, TRUE)])
    assert witness is not None
    assert witness["a"] != "x" and witness["b"] is True and witness["n"] >= 10
    assert diagrams.find([(rule.when, UNKNOWN)]) is not None  # s is unreached when a == x


def test_answer_space_is_split_at_thresholds(rulebase: RuleBase) -> None:
    space = Diagrams(rulebase).space
    numbers = [
        v
        for v in space.answers[[q.id for q in rulebase.questions].index("n")]
        if v is not UNREACHED
    ]
    # The rules compare n with 10 and 500: five intervals, one number each, all within 0..1000.
    classes = {(v < 10, v == 10, v < 500, v == 500) for v in numbers}
    assert len(classes) == len(numbers) == 5
    assert all(0 <= v <= 1000 for v in numbers)
