"""What-if (`advisor.what_if`, `advisor whatif`): every reported change set really adds or removes
its element, and no strict subset of it does, on every scenario; fixed elements and ranges hold."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import advisor
from advisor.knowledge.answers import plain_answer
from advisor.knowledge.rulebase import RuleBase
from tests.test_scenarios import FILES, load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _keys(answers: dict[str, Any]) -> frozenset[str] | None:
    """The outcome's element keys, or None when the answers are incomplete."""
    try:
        decision = advisor.decide(answers)
    except advisor.MissingAnswersError:
        return None
    vocabulary = decision.rulebase.vocabulary
    keys = set()
    for kind in vocabulary.kinds:
        if kind.field is None or kind.merge == "by_id":
            continue
        for value in decision.conclusions.get(kind.name, ()):
            keys.add(kind.name if kind.values == () else f"{kind.name}:{value}")
    keys |= {f"finding:{f.id}" for f in decision.findings}
    return frozenset(keys)


def _applied(answers: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    trial = dict(answers)
    trial.update(changes)
    return trial


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_change_set_does_it_and_is_minimal(path: Path, rulebase: RuleBase) -> None:
    answers = load_scenario(path).answers
    base = _keys(answers)
    assert base is not None
    data = advisor.what_if(answers)
    assert data.max_changes == 2
    varied = set(data.varied)
    assert varied == {q.id for q in rulebase.questions if q.changeable}
    for element in data.elements:
        assert element.present == (element.key in base), element.key
        _check(answers, element, data.varied, data.max_changes)


def _check(answers: dict[str, Any], element: Any, varied: Any, max_changes: int) -> None:
    """Every change set of `element` does it (each number range at both ends and its example)
    and no strict subset of its assignments does; each stated range keeps the element."""
    assert element.fixed == (not element.change_sets)
    for change_set in element.change_sets:
        assert 1 <= len([c for c in change_set.changes if not c.newly_asked]) <= max_changes
        for change in change_set.changes:
            assert change.question in varied or change.newly_asked
        # every number in a reported range does it: try both ends and the example
        numbers = [c for c in change_set.changes if c.low is not None]
        choices = [
            sorted({c.low, c.high, c.value}) if c.low is not None else [c.value]
            for c in change_set.changes
        ]
        assert len(numbers) <= len(change_set.changes)
        for values in itertools.product(*choices):
            assignment = {c.question: v for c, v in zip(change_set.changes, values, strict=True)}
            got = _keys(_applied(answers, assignment))
            assert got is not None, (element.key, change_set.words)
            assert (element.key in got) != element.present, (element.key, change_set.words)
        # minimal: no strict subset of the assignments does it (numbers: at each tried value)
        tried = {c.question: choice for c, choice in zip(change_set.changes, choices, strict=True)}
        for size in range(1, len(tried)):
            for subset in itertools.combinations(sorted(tried), size):
                for values in itertools.product(*(tried[q] for q in subset)):
                    got = _keys(_applied(answers, dict(zip(subset, values, strict=True))))
                    if got is not None:
                        assert (element.key in got) == element.present, (
                            element.key,
                            change_set.words,
                            subset,
                        )
    for held in element.holds_within:
        for value in {held.low, held.high}:
            got = _keys(_applied(answers, {held.question: value}))
            assert got is not None and (element.key in got) == element.present


@pytest.mark.parametrize("path", FILES[::6], ids=[p.stem for p in FILES[::6]])
def test_fixed_elements_resist_every_single_change(path: Path, rulebase: RuleBase) -> None:
    answers = load_scenario(path).answers
    data = advisor.what_if(answers)
    fixed = [e for e in data.elements if e.fixed]
    for qid in data.varied:
        question = rulebase.question_by_id[qid]
        for value in rulebase.domains.representatives(question):
            got = _keys(_applied(answers, {qid: plain_answer(value, question)}))
            if got is None:
                continue
            for element in fixed:
                assert (element.key in got) == element.present, (element.key, qid, value)


def test_thresholds_and_ranges_in_words() -> None:
    answers = load_scenario(ROOT / "tests/scenarios/support_bot_docs_and_part_numbers.toml").answers
    data = advisor.what_if(answers, "retriever:vector")
    assert [e.key for e in data.elements] == ["retriever:vector"]
    (element,) = data.elements
    assert element.present
    words = [s.words for s in element.change_sets]
    assert "latency_budget_ms at most 299 ms" in words
    assert any(
        r.words == "stays for any latency_budget_ms at least 300 ms" for r in element.holds_within
    )


def test_varying_a_fact_on_request() -> None:
    answers = load_scenario(ROOT / "tests/scenarios/support_bot_docs_and_part_numbers.toml").answers
    fixed = advisor.what_if(answers, "technique:rag")
    facts = " ".join(fixed.elements[0].fixed_by)
    assert fixed.elements[0].fixed and ("knowledge" in facts or "data_shapes" in facts)
    widened = advisor.what_if(answers, "technique:rag", vary=["knowledge"])
    assert "knowledge" in widened.varied
    assert "knowledge = general" in [s.words for s in widened.elements[0].change_sets]


def test_a_change_that_opens_a_question_asks_for_it() -> None:
    answers = load_scenario(ROOT / "tests/scenarios/support_bot_docs_and_part_numbers.toml").answers
    answers = {k: v for k, v in answers.items() if k != "model_access"}
    data = advisor.what_if(answers, "finding:fine_tuning_unavailable")
    sets = data.elements[0].change_sets
    assert sets
    assert all(any(c.newly_asked and c.question == "model_access" for c in s.changes) for s in sets)


def test_cli(run_cli: Callable[..., Any]) -> None:
    example = str(ROOT / "examples/support-bot.toml")
    result = run_cli("whatif", "--answers", example, "--target", "reranker", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [e["key"] for e in data["elements"]] == ["reranker"]
    text = run_cli("whatif", "--answers", example, "--target", "reranker")
    # the ledger drops the re-ranker where the sum of the stages exceeds the budget
    assert "removed with latency_budget_ms from 1,210 to 1,359 ms" in text.stdout
    assert "stays for any latency_budget_ms at least 1,360 ms" in text.stdout
    bad = run_cli("whatif", "--answers", example, "--target", "nope")
    assert bad.returncode == 2 and "unknown --target 'nope'" in bad.stderr
    bad = run_cli("whatif", "--answers", example, "--vary", "nope")
    assert bad.returncode == 2 and "unknown question 'nope'" in bad.stderr


def test_three_changes_on_request() -> None:
    answers = load_scenario(ROOT / "tests/scenarios/support_bot_docs_and_part_numbers.toml").answers
    assert advisor.what_if(answers, "fine_tuning").elements[0].fixed
    data = advisor.what_if(answers, "fine_tuning", max_changes=3)
    (element,) = data.elements
    assert element.change_sets and not element.fixed
    assert all(len(s.changes) == 3 for s in element.change_sets)
    _check(answers, element, data.varied, 3)
    with pytest.raises(advisor.AdvisorError, match="max_changes"):
        advisor.what_if(answers, max_changes=4)


def test_changeable_must_be_true_or_false(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    path = rules / "questions.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("changeable = true", 'changeable = "yes"', 1), encoding="utf-8")
    with pytest.raises(advisor.RuleFileError, match="'changeable' must be true or false"):
        advisor.load_rulebase(rules, kb)


def test_output_is_the_same_under_any_hash_seed(run_cli: Callable[..., Any]) -> None:
    """Elements come in vocabulary order, then rule order: never in a set's iteration order,
    which changes with the process's string hash seed."""
    example = str(ROOT / "examples/support-bot.toml")
    outputs = {
        run_cli("whatif", "--answers", example, env={"PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
    assert "(finding:" in next(iter(outputs))


def _mergeable(change_sets: Any) -> list[tuple[str, str]]:
    """Pairs of change sets that differ only by adjacent ranges of one number answer."""
    found = []
    for a, b in itertools.combinations(change_sets, 2):
        if len(a.changes) != len(b.changes):
            continue
        differ = [
            (x, y)
            for x, y in zip(a.changes, b.changes, strict=True)
            if (x.question, x.low, x.high, None if x.low is not None else x.value)
            != (y.question, y.low, y.high, None if y.low is not None else y.value)
        ]
        if len(differ) != 1:
            continue
        x, y = differ[0]
        if x.question != y.question or x.low is None or y.low is None:
            continue
        assert x.high is not None and y.high is not None
        if x.high + 1 == y.low or y.high + 1 == x.low:
            found.append((a.words, b.words))
    return found


def test_adjacent_ranges_merge_when_two_answers_change() -> None:
    """With a number and a second answer changed, the number's adjacent classes that do the
    same merge into one range, as they do for a single change."""
    path = Path(__file__).parent / "scenarios" / "instacart_query_understanding_head_cache.toml"
    answers = load_scenario(path).answers
    result = advisor.what_if(answers, "tactic:dynamic_few_shot")
    words = [c.words for e in result.elements for c in e.change_sets]
    assert (
        "latency_budget_ms at least 1,000 ms and labelled_examples from 20 to 49" in words
    ), words
    assert not any("latency_budget_ms from" in w for w in words), words


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_no_two_change_sets_could_merge(path: Path) -> None:
    answers = load_scenario(path).answers
    for element in advisor.what_if(answers).elements:
        assert _mergeable(element.change_sets) == [], element.key


def _present(decision: Any, key: str) -> bool:
    kind, _, value = key.partition(":")
    if kind == "finding":
        return any(f.id == value for f in decision.findings)
    return bool(decision.has(kind, value))


@pytest.mark.parametrize("name", ["brand-voice.json", "support-bot.toml"])
def test_every_range_end_of_a_change_set_flips_its_element(name: str) -> None:
    """Each end of each number range a change set names, with the set's other changes, gives
    the element the other presence: the range is exact, not wider (and, merged, not split)."""
    from advisor.services.answer_files import read_answers_file

    answers = read_answers_file(str(Path(__file__).parents[1] / "examples" / name))
    base = advisor.decide(answers)
    checked = 0
    for element in advisor.what_if(answers).elements:
        for change_set in element.change_sets:
            changed = {**answers, **{c.question: c.value for c in change_set.changes}}
            for change in change_set.changes:
                for end in {change.low, change.high} - {None}:
                    trial = advisor.decide({**changed, change.question: end})
                    assert _present(trial, element.key) != _present(base, element.key), (
                        element.key,
                        change_set.words,
                        end,
                    )
                    checked += 1
    assert checked > 20


def test_a_budget_in_its_own_class_still_changes_with_another_answer() -> None:
    """With fewer examples the plan gains a lookup stage, so budgets of the current class (1,001
    to 1,059 ms) now need a small model: what-if finds that range with the examples' change."""
    path = Path(__file__).parents[1] / "examples" / "brand-voice.json"
    answers = json.loads(path.read_text(encoding="utf-8"))
    words = [
        c.words
        for e in advisor.what_if(answers, "finding:latency_budget_needs_small_model").elements
        for c in e.change_sets
    ]
    assert "latency_budget_ms from 1,000 to 1,059 ms and labelled_examples from 20 to 49" in words
