"""The engine's fast paths give exactly what the plain definitions give.

Covered: the rule index and shared-condition evaluation (`fired_rules`) against evaluating every
condition on its own; the output models built without validation against validating them; the
answers fast path against the pydantic model; a model input against a plain mapping.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from advisor.engine.assemble import advise
from advisor.engine.decide import fired_rules, walk
from advisor.knowledge import conditions as cond
from advisor.knowledge.answers import answers_model, validate_answers
from advisor.knowledge.rulebase import RuleBase
from advisor.models import Recommendation


def _random_answers(rulebase: RuleBase, rng: random.Random, keep: float = 1.0) -> dict[str, Any]:
    """Valid answers drawn from the question data (numbers around the rules' thresholds)."""
    cuts: set[int] = {1}
    for rule in rulebase.rules:
        for values in cond.thresholds(rule.when).values():
            cuts |= {v + d for v in values for d in (-1, 0, 1)}
    answers: dict[str, Any] = {}
    for q in rulebase.questions:
        if rng.random() > keep:
            continue
        if q.kind == "choice":
            answers[q.id] = rng.choice(q.values)
        elif q.kind == "bool":
            answers[q.id] = rng.random() < 0.5
        elif q.kind == "set":
            size = rng.randint(max(q.min_choices, 0), len(q.values))
            answers[q.id] = rng.sample(list(q.values), size)
        else:
            low = q.minimum if q.minimum is not None else 0
            high = q.maximum if q.maximum is not None else 10**9
            answers[q.id] = min(max(rng.choice(sorted(cuts)), low), high)
    return answers


@pytest.fixture(scope="module")
def samples(rulebase: RuleBase) -> list[dict[str, Any]]:
    rng = random.Random(6)
    return [_random_answers(rulebase, rng) for _ in range(300)]


def test_fired_rules_equal_evaluating_every_rule(
    rulebase: RuleBase, samples: list[dict[str, Any]]
) -> None:
    rng = random.Random(7)
    partial = [_random_answers(rulebase, rng, keep=0.6) for _ in range(300)]
    for answers in samples + partial:
        effective = walk(validate_answers(answers, rulebase), rulebase).effective
        expected = [r for r in rulebase.rules if cond.evaluate(r.when, effective) is True]
        assert fired_rules(effective, rulebase) == expected


def test_recommendations_validate_to_equal_models(
    rulebase: RuleBase, samples: list[dict[str, Any]]
) -> None:
    for answers in samples:
        rec = advise(answers, rulebase)
        validated = Recommendation.model_validate(rec.model_dump())
        assert validated == rec
        assert validated.model_dump_json(indent=2) == rec.model_dump_json(indent=2)


def test_answers_model_input_equals_mapping_input(
    rulebase: RuleBase, samples: list[dict[str, Any]]
) -> None:
    model = answers_model(rulebase)
    for answers in samples[:50]:
        assert advise(model(**answers), rulebase) == advise(answers, rulebase)


def test_answer_validation_fast_path_equals_the_model(
    rulebase: RuleBase, samples: list[dict[str, Any]]
) -> None:
    model = answers_model(rulebase)
    for answers in samples:
        through_model = model.model_validate(answers).model_dump(exclude_unset=True)
        expected = {k: frozenset(v) if isinstance(v, list) else v for k, v in through_model.items()}
        clean = validate_answers(answers, rulebase)
        assert clean == expected
        assert list(clean) == list(expected)  # same key order


def test_results_have_no_mutable_parts_to_share(
    rulebase: RuleBase, answers: dict[str, Any]
) -> None:
    """Parts are shared between results, which is safe only because none can be changed."""
    import pydantic
    import pytest

    first = advise(answers, rulebase)
    second = advise(answers, rulebase)
    assert first.trace[0] is second.trace[0]  # shared, not copied
    with pytest.raises(AttributeError):
        first.techniques.append("fine_tuning")  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        first.prompt_engineering.rationale[0].citations.append("x")  # type: ignore[attr-defined]
    with pytest.raises(pydantic.ValidationError):
        first.trace[0].id = "changed"  # type: ignore[misc]
    first.answers["knowledge"] = "changed"  # the answers dict is each result's own
    assert second == advise(answers, rulebase)


def test_a_result_can_be_copied_with_changes(rulebase: RuleBase, answers: dict[str, Any]) -> None:
    first = advise(answers, rulebase)
    changed = first.model_copy(update={"rules_version": "9.9.9"})
    deep = first.model_copy(update={"rules_version": "8.8.8"}, deep=True)
    assert (changed.rules_version, deep.rules_version) == ("9.9.9", "8.8.8")
    assert advise(answers, rulebase).model_fields_set == first.model_fields_set
    assert "rules_version" in changed.model_fields_set
    assert first.model_dump_json() == advise(answers, rulebase).model_dump_json()
    assert first == type(first).model_validate(first.model_dump())  # valid as built
