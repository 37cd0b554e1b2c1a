"""Hostile conditions and rule files: deep nesting, very long conditions, huge numbers, deep or
odd TOML. Each is refused with the project's own error (a RuleFileError naming the file, exit 2
from the CLI), quickly, never with a RecursionError, ValueError or OverflowError (exit 1)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import ADVISOR, ROOT

import advisor
from advisor.errors import ConditionError
from advisor.knowledge import conditions as c

EXAMPLE = str(ROOT / "examples" / "support-bot.toml")
SHAPES = {
    "knowledge": c.QuestionShape("choice", ("general", "private_static", "private_dynamic")),
    "citations": c.QuestionShape("bool"),
    "latency": c.QuestionShape("int"),
}


def rule(when: str, rule_id: str = "hostile") -> list[str]:
    return ["", "[[rule]]", f'id = "{rule_id}"', f'when = "{when}"', 'then = "finding:hostile"',
            'severity = "low"', 'because = "A test."',
            'cite = ["kb/rag.md#when-retrieval-is-the-answer"]']  # fmt: skip


def write(rules: Path, lines: list[str], name: str = "zz_hostile.toml") -> Path:
    path = rules / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(
    rules: Path, kb: Path, *args: str, cache: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if cache is not None:
        env["ADVISOR_CACHE_DIR"] = str(cache)
    return subprocess.run(
        [ADVISOR, "--rules", str(rules), "--kb", str(kb), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


# --------------------------------------------------------------------------- deep nesting


@pytest.mark.parametrize(
    ("text", "column"),
    [("(" * 300 + "citations" + ")" * 300, 51),  # the 51st `(`
     ("not " * 10_000 + "citations", 201),  # the 51st `not`
     ("(not " * 200 + "citations" + ")" * 200, 126)],  # the 26th `(`, level 51
)  # fmt: skip
def test_deep_nesting_is_a_condition_error(text: str, column: int) -> None:
    """300 parentheses or 10 000 `not`s were a RecursionError."""
    started = time.perf_counter()
    with pytest.raises(ConditionError, match="nested more than 50 levels deep") as info:
        c.parse(text, SHAPES)
    assert time.perf_counter() - started < 10
    assert info.value.column == column


def test_nesting_up_to_the_limit_parses_and_every_function_copes() -> None:
    text = "(" * 25 + "not " * 25 + "citations" + ")" * 25
    node = c.parse(text, SHAPES)
    assert c.size_problem(node) is None
    assert c.evaluate(node, {"citations": True}) is False  # 25 nots
    assert c.questions_in(node) == {"citations"}
    assert c.parse(c.to_text(node), SHAPES) == node
    with pytest.raises(ConditionError, match="nested more than 50"):
        c.parse("(" + text + ")", SHAPES)


def test_a_deep_rule_condition_is_a_rule_file_error(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    write(rules, rule("(" * 300 + "citations" + ")" * 300))
    with pytest.raises(advisor.RuleFileError, match="nested more than 50 levels deep") as info:
        advisor.load_rulebase(rules, kb)
    assert info.value.path.endswith("zz_hostile.toml")
    assert info.value.location.endswith("rule 'hostile'")


def test_ten_thousand_nots_through_the_console_script(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    write(rules, rule("not " * 10_000 + "citations"))
    result = run(rules, kb, "recommend", "--answers", EXAMPLE)
    assert result.returncode == 2, result.stderr
    assert "zz_hostile.toml: " in result.stderr
    assert "nested more than 50 levels deep" in result.stderr
    assert "RecursionError" not in result.stderr


def chain(levels: int, step: str) -> list[str]:
    """`deepN` built on `deep(N-1)`: each definition nests one or two levels more."""
    lines = ["[define]", 'deep0 = "citations"']
    lines += [f'deep{n} = "{step.format(previous=f"deep{n - 1}")}"' for n in range(1, levels + 1)]
    return lines


ALTERNATING = "citations and (narrow_task or {previous})"  # And, Or, And ...: the deepest tree


def test_definitions_nested_through_each_other_are_refused(rules_copy: tuple[Path, Path]) -> None:
    """200 definitions, each nesting the one before: the expanded tree would be 400 levels
    deep (and only 600 terms, far below MAX_TERMS)."""
    rules, kb = rules_copy
    write(rules, chain(200, ALTERNATING) + rule("deep200"))
    with pytest.raises(advisor.RuleFileError) as info:
        advisor.load_rulebase(rules, kb)
    assert info.value.location == "[define] deep51"  # the first one past the limit
    assert info.value.message.startswith(
        "nested 51 levels deep with its definitions written in place"
    )
    assert "more than the limit of 50" in info.value.message


def test_a_rule_nesting_a_definition_past_the_limit_is_refused(
    rules_copy: tuple[Path, Path],
) -> None:
    rules, kb = rules_copy
    write(rules, chain(50, ALTERNATING) + rule("knowledge == general and deep50"))
    with pytest.raises(advisor.RuleFileError, match="nested 51 levels deep") as info:
        advisor.load_rulebase(rules, kb)
    assert info.value.location.endswith("rule 'hostile'")
    assert info.value.message.startswith("when: ")


def test_a_question_gate_nesting_past_the_limit_is_refused(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    write(rules, chain(30, "not {previous}"))
    questions = rules / "questions.toml"
    text = questions.read_text(encoding="utf-8")
    gate = "knowledge != general and not (" + "not " * 20 + "deep30)"
    questions.write_text(
        text.replace('asked_when = "knowledge != general"', f'asked_when = "{gate}"', 1),
        encoding="utf-8",
    )
    with pytest.raises(advisor.RuleFileError, match="asked_when: nested 51 levels") as info:
        advisor.load_rulebase(rules, kb)
    assert info.value.location.endswith("question 'data_shapes'")


@pytest.mark.parametrize(
    ("step", "levels", "nesting"),
    [(ALTERNATING, 50, 50), ("not {previous}", 50, 50),
     ("citations or not ({previous} and narrow_task)", 16, 48)],  # 3 levels each
)  # fmt: skip
def test_the_deepest_accepted_conditions_work_in_every_command(
    rules_copy: tuple[Path, Path], tmp_path: Path, step: str, levels: int, nesting: int
) -> None:
    """At the limit, loading, caching (twice: written, then read), evaluation, lint and the
    other commands all finish without running out of stack."""
    rules, kb = rules_copy
    write(rules, chain(levels, step) + rule(f"knowledge == general or deep{levels}"))
    rulebase = advisor.load_rulebase(rules, kb)
    hostile = next(r for r in rulebase.rules if r.id == "hostile")
    assert c.expanded_nesting(hostile.when) == nesting
    assert c.to_text(hostile.when)
    cache = tmp_path / "cache"
    for args in (["recommend", "--answers", EXAMPLE], ["recommend", "--answers", EXAMPLE,
                 "--format", "json"], ["lint"], ["questions"], ["schema"]):  # fmt: skip
        for _ in range(2):
            result = run(rules, kb, *args, cache=cache)
            assert result.returncode in (0, 3), (args, result.stderr[-500:])
            assert "internal error" not in result.stderr


# --------------------------------------------------------------------------- long conditions


def test_tokenizing_is_linear_and_long_conditions_are_refused_quickly() -> None:
    """A 100 000-term `or` took 34 s (the tokenizer copied the rest of the text per token);
    MAX_TERMS refuses it once 10 000 terms have been read."""
    text = " or ".join(["knowledge == general"] * 100_000)
    started = time.perf_counter()
    with pytest.raises(ConditionError, match="more than 10000 condition terms") as info:
        c.parse(text, SHAPES)
    assert time.perf_counter() - started < 10
    assert info.value.column == 9_999 * 24 + 1  # the 10 000th test is the 10 001st term


def test_long_conditions_within_the_limit_still_parse_quickly() -> None:
    text = " or ".join(["knowledge == general"] * 9_999)
    started = time.perf_counter()
    node = c.parse(text, SHAPES)
    assert time.perf_counter() - started < 10
    assert isinstance(node, c.Or) and len(node.items) == 9_999
    assert c.size_problem(node) is None


def test_a_long_rule_condition_through_the_console_script(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    write(rules, rule(" or ".join(["knowledge == general"] * 100_000)))
    result = run(rules, kb, "recommend", "--answers", EXAMPLE)
    assert result.returncode == 2, result.stderr[-500:]
    assert "rule 'hostile': when: more than 10000 condition terms" in result.stderr


def test_errors_keep_their_columns_with_lazy_tokenizing() -> None:
    """A character that is no token is reported even after a grammar error earlier on, as when
    the whole text was tokenized first."""
    with pytest.raises(ConditionError, match="unexpected character ';'") as info:
        c.parse("knowledge == nope or citations; x", SHAPES)
    assert info.value.column == 31
    with pytest.raises(ConditionError, match="expected a question id") as info:
        c.parse("citations and   ", SHAPES)
    assert info.value.column == 17


# --------------------------------------------------------------------------- huge numbers


def test_a_huge_number_in_a_condition_is_a_condition_error() -> None:
    with pytest.raises(ConditionError, match="number too large: 5000 digits") as info:
        c.parse("latency > " + "9" * 5000, SHAPES)
    assert info.value.column == 11
    assert c.parse("latency > " + "9" * 18, SHAPES) == c.Compare("latency", ">", 10**18 - 1)
    with pytest.raises(ConditionError, match="number too large: 19 digits"):
        c.parse("latency > -" + "9" * 19, SHAPES)


def test_a_huge_number_in_a_rule_is_a_rule_file_error(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    write(rules, rule("latency_budget_ms > " + "9" * 5000))
    result = run(rules, kb, "recommend", "--answers", EXAMPLE)
    assert result.returncode == 2, result.stderr[-500:]
    assert "rule 'hostile': when: number too large: 5000 digits" in result.stderr


@pytest.mark.parametrize("line", ["min = 1", "max = 86400000"])
def test_a_huge_toml_integer_is_a_rule_file_error(rules_copy: tuple[Path, Path], line: str) -> None:
    """tomllib raised ValueError (Python's 4 300-digit limit on int conversion): exit 1."""
    rules, kb = rules_copy
    questions = rules / "questions.toml"
    text = questions.read_text(encoding="utf-8")
    assert line in text
    key = line.split()[0]
    questions.write_text(text.replace(line, f"{key} = {'9' * 5000}", 1), encoding="utf-8")
    with pytest.raises(advisor.RuleFileError, match="a number is too large") as info:
        advisor.load_rulebase(rules, kb)
    assert info.value.path == str(questions)
    result = run(rules, kb, "recommend", "--answers", EXAMPLE)
    assert result.returncode == 2
    assert "questions.toml: a number is too large" in result.stderr


# --------------------------------------------------------------------------- TOML files


def test_a_deeply_nested_toml_file_is_a_rule_file_error(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    path = rules / "zz_hostile.toml"
    path.write_text("a = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(advisor.RuleFileError, match="nested too deeply") as info:
        advisor.load_rulebase(rules, kb)
    assert info.value.path == str(path)
    result = run(rules, kb, "recommend", "--answers", EXAMPLE)
    assert result.returncode == 2
    assert "zz_hostile.toml: nested too deeply" in result.stderr


def test_a_byte_order_mark_is_dropped(rules_copy: tuple[Path, Path]) -> None:
    """Some Windows editors start UTF-8 files with a BOM; TOML's error for it said nothing."""
    rules, kb = rules_copy
    path = write(rules, ["# a rule file saved with a byte-order mark", *rule("citations")])
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    rulebase = advisor.load_rulebase(rules, kb)
    hostile = next(r for r in rulebase.rules if r.id == "hostile")
    assert hostile.source.startswith(f"{path}: line 4, rule 'hostile'")
    questions = rules / "questions.toml"
    questions.write_bytes(b"\xef\xbb\xbf" + questions.read_bytes())
    assert advisor.load_rulebase(rules, kb).questions
