"""Rule files whose definitions expand exponentially are refused at load time, quickly."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import ADVISOR, ROOT

import advisor

EXAMPLE = str(ROOT / "examples" / "support-bot.toml")


def doubling(levels: int) -> list[str]:
    """`b1` has 3 terms and each `bN = b(N-1) and b(N-1)` doubles it: b20 has 2 097 151."""
    lines = ["[define]", 'b1 = "knowledge == general and knowledge == general"']
    lines += [f'b{n} = "b{n - 1} and b{n - 1}"' for n in range(2, levels + 1)]
    return lines


def bomb_rule(when: str) -> list[str]:
    return ["", "[[rule]]", 'id = "bomb"', f'when = "{when}"', 'then = "finding:bomb"',
            'severity = "low"', 'because = "A test."',
            'cite = ["kb/rag.md#when-retrieval-is-the-answer"]']  # fmt: skip


def test_exponential_definitions_are_refused_quickly(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    (rules / "zz_bomb.toml").write_text("\n".join(doubling(20) + bomb_rule("b20")) + "\n")
    with pytest.raises(advisor.RuleFileError) as caught:
        advisor.load_rulebase(rules, kb)
    assert caught.value.location == "[define] b13"  # the first one past the limit
    assert caught.value.message.startswith(
        "expands to 16383 condition terms, more than the limit of 10000; "
    )


def test_exponential_definitions_through_the_console_script(
    rules_copy: tuple[Path, Path],
) -> None:
    rules, kb = rules_copy
    (rules / "zz_bomb.toml").write_text("\n".join(doubling(20) + bomb_rule("b20")) + "\n")
    result = subprocess.run(
        [ADVISOR, "--rules", str(rules), "--kb", str(kb), "recommend", "--answers", EXAMPLE],
        capture_output=True,
        text=True,
        timeout=20,  # it took 15 s and 360 MB before the limit
    )
    assert result.returncode == 2
    assert "zz_bomb.toml: [define] b13: expands to 16383 condition terms" in result.stderr


def test_a_rule_condition_over_the_limit_is_refused(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    (rules / "zz_bomb.toml").write_text("\n".join(doubling(12) + bomb_rule("b12 and b12")) + "\n")
    with pytest.raises(advisor.RuleFileError, match="expands to 16383 condition terms") as caught:
        advisor.load_rulebase(rules, kb)
    assert caught.value.location.endswith("rule 'bomb'")
    assert caught.value.message.startswith("when: expands to")


def test_a_question_gate_over_the_limit_is_refused(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    (rules / "zz_bomb.toml").write_text("\n".join(doubling(12)) + "\n")
    questions = rules / "questions.toml"
    text = questions.read_text(encoding="utf-8")
    questions.write_text(
        text.replace('asked_when = "knowledge != general"', 'asked_when = "b12 and b12"', 1),
        encoding="utf-8",
    )
    with pytest.raises(advisor.RuleFileError, match="asked_when: expands to 16383") as caught:
        advisor.load_rulebase(rules, kb)
    assert caught.value.location.endswith("question 'data_shapes'")


def test_conditions_just_under_the_limit_still_load(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    (rules / "zz_bomb.toml").write_text("\n".join(doubling(12) + bomb_rule("b12")) + "\n")
    rulebase = advisor.load_rulebase(rules, kb)
    assert "bomb" in {rule.id for rule in rulebase.rules}
