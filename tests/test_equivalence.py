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
