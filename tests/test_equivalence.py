"""The fast path (rule index) equals plain evaluation over the whole answer space, proved."""

from __future__ import annotations

from pathlib import Path

import advisor
from advisor.analysis.answer_space import UNREACHED
from advisor.analysis.equivalence import index_mismatches
from advisor.engine.decide import fired_rules
from advisor.knowledge.rulebase import RuleBase

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "benchmarks" / "reference"


def test_shipped_rules_fast_path_is_exact(rulebase: RuleBase) -> None:
    assert index_mismatches(rulebase) == []


def test_reference_rules_fast_path_is_exact() -> None:
    reference = advisor.load_rulebase(REFERENCE / "rules", REFERENCE / "kb")
    assert len(reference.rules) > 20
    assert index_mismatches(reference) == []


def test_a_wrong_mask_is_found(rules_copy: tuple[Path, Path]) -> None:
    rulebase = advisor.load_rulebase(*rules_copy)
    index = rulebase.rule_index
    target = next(q for q in index.questions if q.kind == "choice")
    value = next(v for v in target.values)
    term = next(t for t, _ in target.entries)
    position = index.rule_of(term)
    mask = target.mask(value)
    target.masks[value] = mask ^ (1 << term)  # the index now gets this rule wrong
    mismatches = index_mismatches(rulebase)
    assert [m.rule for m in mismatches] == [rulebase.rules[position].id]
    witness = mismatches[0].answers
    assert witness[target.qid] == value
    # the witness really is a counter-example: plain evaluation and the index disagree there
    plain = advisor.load_rulebase(*rules_copy)
    rule = plain.rules[position]
    effective = {k: v for k, v in witness.items() if v is not UNREACHED}
    assert (rule in fired_rules(effective, plain)) != (rule in fired_rules(effective, rulebase))


def test_a_rule_too_large_to_expand_keeps_a_residual_test(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    parts = [
        "(narrow_task or instructions == complex)",
        "(behavior == hard_to_describe or reasoning == complex)",
        "(stakes == high or checkable == by_judgement)",
        "(languages == several or lifetime == ongoing)",
        "(request_volume == high or output_format == strict_schema)",
        "(base_model_eval == fails or labelled_examples >= 100)",
        "(latency_budget_ms < 1000 or live_data == actions)",
    ]  # 2^7 = 128 terms, more than terms.MAX_TERMS
    with (rules / "prompt_engineering.toml").open("a", encoding="utf-8") as out:
        out.write(
            '\n[[rule]]\nid = "too_many_terms"\nwhen = "' + " and ".join(parts) + '"\n'
            'then = "note:prompt_engineering"\nbecause = "Many alternatives."\n'
            'cite = ["kb/rag.md#when-retrieval-is-the-answer"]\n'
        )
    rulebase = advisor.load_rulebase(rules, kb)
    index = rulebase.rule_index
    position = next(i for i, rule in enumerate(rulebase.rules) if rule.id == "too_many_terms")
    assert index.residual[position] is not None and index.has_tests
    assert index_mismatches(rulebase) == []


def test_rules_of_reads_every_field_of_terms(rulebase: RuleBase) -> None:
    """The step from the terms that hold to their rules (a rule's one term marks it; a carry
    into the guard bit after several terms marks their rule) gives exactly the rules of the
    terms in the mask, in rule order. The latency stages' conditions follow the rules in the
    index, and read the same way."""
    assert rulebase.ledger is not None
    assert rulebase.rule_index.size == len(rulebase.rules) + len(rulebase.ledger.stages)
    _check_rules_of(rulebase)


def test_rules_of_on_a_large_rule_base(rules_copy: tuple[Path, Path]) -> None:
    """A rule base too large for the tables of `rules_of` finds the marks one by one: the same
    results (the shipped rules, each rule file copied four times with its ids renamed)."""
    import re

    rules, kb = rules_copy
    for path in sorted(rules.glob("*.toml")):
        text = path.read_text(encoding="utf-8")
        if "[[rule]]" not in text:
            continue
        for n in range(1, 4):
            renamed = re.sub(r'^id = "([^"]+)"', rf'id = "\1_copy{n}"', text, flags=re.M)
            (rules / f"{path.stem}_copy{n}.toml").write_text(renamed, encoding="utf-8")
    large = advisor.load_rulebase(rules, kb)
    assert len(large.rules) == 4 * len(advisor.load_rulebase(ROOT / "rules", ROOT / "kb").rules)
    assert large.rule_index.terms > 64 * 32  # past the tables
    _check_rules_of(large)


def _check_rules_of(rulebase: RuleBase) -> None:
    """Each term alone, each rule's terms together, every term, no term, and seeded random
    sets of terms."""
    import random

    index = rulebase.rule_index
    terms = [t for position in range(index.size) for t in index.terms_of(position)]
    assert len(terms) > index.size  # some rules have several terms
    assert [index.rule_of(t) for t in terms] == sorted(index.rule_of(t) for t in terms)

    def plain(chosen: list[int]) -> list[int]:
        return sorted({index.rule_of(t) for t in chosen})

    def mask(chosen: list[int]) -> int:
        return sum(1 << t for t in set(chosen))

    for term in terms:
        assert index.rules_of(1 << term) == [index.rule_of(term)]
    for position in range(index.size):
        own = list(index.terms_of(position))
        assert index.rules_of(mask(own)) == ([position] if own else [])
    assert index.rules_of(index.live) == plain(terms)
    assert index.rules_of(0) == []
    rng = random.Random(7)
    for _ in range(500):
        chosen = rng.sample(terms, rng.randint(1, len(terms)))
        assert index.rules_of(mask(chosen)) == plain(chosen)


def test_number_tables_made_in_one_sweep_are_exact(rules_copy: tuple[Path, Path]) -> None:
    """The full tables of the number questions (what the disk cache stores) are made in one
    sweep over the classes; with many thresholds, ranges, equalities and negations on both
    numbers they still equal plain evaluation everywhere."""
    rules, kb = rules_copy
    whens = [
        f"latency_budget_ms >= {low} and latency_budget_ms < {low + 700}"
        for low in range(0, 9000, 450)
    ]
    whens += [
        f"not (labelled_examples == {n}) and labelled_examples <= {3 * n}" for n in (7, 40, 900)
    ]
    whens += [
        f"latency_budget_ms != {n} or labelled_examples > {n // 10}" for n in (250, 1200, 5000)
    ]
    whens += ["labelled_examples < 20 or labelled_examples >= 100000"]
    with (rules / "rag.toml").open("a", encoding="utf-8") as out:
        for n, when in enumerate(whens):
            out.write(
                f'\n[[rule]]\nid = "numbers_{n}"\nwhen = "{when}"\nthen = "note:rag"\n'
                'because = "A note."\ncite = ["kb/rag.md#when-retrieval-is-the-answer"]\n'
            )
    rulebase = advisor.load_rulebase(rules, kb)
    numbers = [q for q in rulebase.rule_index.questions if q.cuts]
    assert {q.qid for q in numbers} == {"latency_budget_ms", "labelled_examples"}
    assert max(len(q.cuts or ()) for q in numbers) > 40
    for question in numbers:
        question.full_table()  # every class's mask now comes from the sweep
    assert index_mismatches(rulebase) == []


def test_every_shipped_condition_expands_into_index_terms(rulebase: RuleBase) -> None:
    """No shipped rule or ledger stage needs a residual test after the index: a definition that
    makes conditions expand past `terms.MAX_TERMS` (a negated disjunction, say) slows every
    decision and what-if; write it per value instead (see `retrieve_knowledge`)."""
    index = rulebase.rule_index
    residual = [
        rulebase.rules[i].id if i < index.rule_count else f"ledger stage {i - index.rule_count}"
        for i, test in enumerate(index.tests)
        if test is not None
    ]
    assert residual == []
