"""The latency ledger: planned stages summed against the budget, dropped in order, reported."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import advisor
from advisor.engine.ledger import total
from advisor.errors import RuleFileError
from advisor.knowledge.loader import load_rulebase
from advisor.knowledge.rulebase import RuleBase

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.toml"))
BUDGETS = (100, 250, 299, 300, 700, 999, 1000, 1500, 2000, 3000, 5000, 10000, 30000, 3600000)


def scenario_answers(path: Path) -> dict[str, Any]:
    answers: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))["answers"]
    return answers


def test_every_scenario_has_a_ledger_whose_totals_add_up() -> None:
    for path in SCENARIOS:
        decision = advisor.decide(scenario_answers(path))
        ledger = decision.ledger
        assert ledger is not None, path.stem
        serial = sum(s.typical for s in ledger.kept if s.group is None)
        groups: dict[str, int] = {}
        for stage in ledger.kept:
            if stage.group is not None:
                groups[stage.group] = max(groups.get(stage.group, 0), stage.typical)
        assert ledger.total_typical == serial + sum(groups.values()), path.stem
        assert ledger.total_low <= ledger.total_typical <= ledger.total_high
        assert ledger.fits is (ledger.total_typical <= ledger.budget)
        for stage in ledger.dropped:  # a dropped stage's conclusion is gone from the advice
            assert stage.conclusion is not None
            kind, _, value = stage.conclusion.partition(":")
            assert not decision.has(kind, value), (path.stem, stage.id)
            assert all(rule.then.key != stage.conclusion for rule in decision.fired)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_over_budget_always_has_a_latency_finding_and_more_budget_never_drops_more(
    path: Path,
) -> None:
    answers = scenario_answers(path)
    previous: set[str] | None = None
    swapped_before = False
    for budget in BUDGETS:
        decision = advisor.decide({**answers, "latency_budget_ms": budget})
        ledger = decision.ledger
        assert ledger is not None
        ids = {f.id for f in decision.findings}
        if not ledger.fits:
            assert "latency_plan_exceeds_budget" in ids, (path.stem, budget)
        for stage in ledger.dropped:
            assert stage.finding in ids, (path.stem, budget, stage.id)
        dropped = {s.id for s in ledger.dropped}
        # below 1 s the plan serves a small model; from 1 s a large one, unless it is swapped
        if previous is not None and not swapped_before and budget != 1000:
            assert dropped <= previous, (path.stem, budget, dropped - previous)
        kept = {s.id for s in ledger.kept}
        if previous is not None and swapped_before and not ledger.swapped:
            # the larger budget holds the large model again (it may cost an optional stage)
            assert kept & {"generation", "first_token"}, (path.stem, budget, kept)
        if "small_model" in kept:  # the plan's answer comes from a small model: advice says so
            assert "latency_budget_needs_small_model" in ids, (path.stem, budget)
        previous = dropped
        swapped_before = bool(ledger.swapped)


def test_chain_of_thought_is_dropped_with_the_numbers_when_the_sum_exceeds_the_budget(
    answers: dict[str, Any],
) -> None:
    answers.update(reasoning="complex", latency_budget_ms=3000)
    decision = advisor.decide(answers)
    assert decision.ledger is not None
    # the documented order drops the re-ranker first, then chain-of-thought; once the plan fits,
    # the re-ranker is put back (it fits again), and query rewriting (third) was never dropped
    assert [s.id for s in decision.ledger.dropped] == ["chain_of_thought"]
    assert decision.ledger.fits
    assert not decision.has("tactic", "chain_of_thought") and decision.has("reranker")
    assert decision.has("tactic", "query_rewriting")
    rec = advisor.advise(answers)
    finding = next(f for f in rec.findings if f.id == "latency_budget_limits_reasoning")
    assert "3,000 ms budget" in finding.message
    assert re.search(r"about \d[\d,]* ms", finding.message)
    assert finding.rules == ("ledger_drops_chain_of_thought",)
    # with room for it, the same answers keep chain-of-thought and raise nothing
    answers["latency_budget_ms"] = 30000
    rec = advisor.advise(answers)
    assert "chain_of_thought" in rec.prompt_engineering.tactics
    assert rec.latency is not None and rec.latency.dropped == () and rec.latency.fits
    assert not {f.id for f in rec.findings} & {"latency_budget_limits_reasoning"}


def test_a_first_token_budget_counts_only_the_first_token(answers: dict[str, Any]) -> None:
    full = advisor.decide({**answers, "latency_measure": "full_response"}).ledger
    first = advisor.decide({**answers, "latency_measure": "first_token"}).ledger
    assert full is not None and first is not None
    assert "generation" in {s.id for s in full.kept}
    assert "first_token" in {s.id for s in first.kept}
    assert "generation" not in {s.id for s in first.kept}
    assert first.total_typical < full.total_typical
    assert first.measure == "first_token"


def test_a_spoken_turn_adds_the_speech_steps_and_streams(answers: dict[str, Any]) -> None:
    """Voice adds turn detection, recognition, synthesis and transport (the telephone network
    instead for a call), counts the model's first token whatever the budget was said to bound,
    and says so when it was said to bound the complete answer."""
    base = {**answers, "latency_budget_ms": 5000, "latency_measure": "full_response"}
    speech = {"turn_detection", "speech_to_text", "text_to_speech"}
    text = advisor.decide(base)
    voice = advisor.decide({**base, "channel": "voice"})
    phone = advisor.decide({**base, "channel": "phone"})
    assert text.ledger is not None and voice.ledger is not None and phone.ledger is not None
    kept = {
        name: {s.id for s in d.ledger.kept}
        for name, d in (("text", text), ("voice", voice), ("phone", phone))
        if d.ledger is not None
    }
    assert not kept["text"] & (speech | {"audio_transport", "telephone_network"})
    assert "generation" in kept["text"] and "first_token" not in kept["text"]
    assert kept["voice"] >= speech | {"audio_transport", "first_token"}
    assert "generation" not in kept["voice"] and "telephone_network" not in kept["voice"]
    assert kept["phone"] >= speech | {"telephone_network", "first_token"}
    assert "audio_transport" not in kept["phone"]
    by_id = {s.id: s for s in voice.ledger.kept}
    added = sum(by_id[i].typical for i in speech | {"audio_transport"})
    assert added == 600  # the figures kb/latency-and-cost.md#voice-turns gives
    said = "spoken_reply_measured_to_first_audio"
    assert said in {f.id for f in voice.findings} and said in {f.id for f in phone.findings}
    assert said not in {f.id for f in text.findings}
    streamed = advisor.decide({**base, "channel": "voice", "latency_measure": "first_token"})
    assert said not in {f.id for f in streamed.findings}
    notes = [r.id for r in voice.fired]
    assert "write_for_the_ear" in notes and "write_for_the_ear" not in [r.id for r in text.fired]


def test_retrievers_run_in_parallel(rulebase: RuleBase) -> None:
    assert rulebase.ledger is not None
    stages = {s.id: s for s in rulebase.ledger.stages}
    both = [stages["vector_search"], stages["keyword_search"]]
    assert total(both) == max(s.typical for s in both)
    assert total([*both, stages["generation"]]) == stages["generation"].typical + 60


def test_the_ledger_shows_in_text_json_and_the_record(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    path = Path(__file__).parent / "scenarios" / "support_bot_docs_and_part_numbers.toml"
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps(scenario_answers(path)), encoding="utf-8")
    text = run_cli("recommend", "--answers", str(answers))
    assert text.returncode == 0, text.stderr
    assert "Latency ledger (budget" in text.stdout
    assert "Total: about" in text.stdout
    record = run_cli("recommend", "--answers", str(answers), "--format", "markdown")
    assert record.returncode == 0, record.stderr
    assert "Latency ledger: the planned stages against the" in record.stdout
    assert "| **Total** |" in record.stdout


def _ledger_file(rules: Path, old: str, new: str) -> None:
    path = rules / "latency.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("low = 500\n", "low = 5000\n", "needs low <= typical <= high"),
        ('for = "reranker"', 'for = "retriever:teleport"', "'teleport' is not one of"),
        ("drop = 1\n", "drop = 0\n", "'drop' must be a rank"),
        ("({stage_typical} ms", "({stage_speed} ms", "placeholder '{stage_speed}'"),
        ("typical = 60\n", "typical = -1\n", "'typical' must be a whole number"),
        ("[ledger]\n", "[ledger]\nbudget = 3\n", "unknown key(s) budget"),
        ("swap_before = 3\n", "swap_before = true\n", "'swap_before' must be a drop rank"),
    ],
)
def test_a_broken_ledger_file_names_the_file_and_the_stage(
    rules_copy: tuple[Path, Path], old: str, new: str, message: str
) -> None:
    rules, kb = rules_copy
    _ledger_file(rules, old, new)
    with pytest.raises(RuleFileError) as caught:
        load_rulebase(rules, kb)
    assert "latency.toml" in str(caught.value)
    assert message in str(caught.value)


def test_lint_proves_every_over_budget_plan_is_reported(
    run_cli: Callable[..., Any], rules_copy: tuple[Path, Path]
) -> None:
    rules, kb = rules_copy
    clean = run_cli("--rules", str(rules), "--kb", str(kb), "lint")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "ledger-over-budget" not in clean.stdout
    # Without the ledger's own finding, plans that exceed the budget go unreported for some
    # answers (no rule raises a latency finding there): lint finds them, exactly.
    path = rules / "latency.toml"
    text = path.read_text(encoding="utf-8")
    head = text.index("\n[ledger]\n")
    path.write_text(text[:head] + "\n" + text[text.index("\n[[stage]]\n") :], encoding="utf-8")
    broken = run_cli("--rules", str(rules), "--kb", str(kb), "lint")
    assert broken.returncode == 1
    assert "error: ledger-over-budget" in broken.stdout
    assert "no latency finding says so" in broken.stdout


def test_the_kb_table_gives_every_stage_the_figures_the_ledger_uses(rulebase: RuleBase) -> None:
    """The figures live in rules/latency.toml (what the engine adds up) and in the kb table that
    sources them: the two must agree row for row."""
    assert rulebase.ledger is not None
    page = (rulebase.kb_dir / "latency-and-cost.md").read_text(encoding="utf-8")
    rows = {
        match.group(1): tuple(int(match.group(n)) for n in (2, 3, 4))
        for match in re.finditer(
            r"^\| `([a-z_]+)` \|[^|]*\| (\d+) \| (\d+) \| (\d+) \|", page, re.MULTILINE
        )
    }
    stages = {s.id: (s.low, s.typical, s.high) for s in rulebase.ledger.stages}
    assert rows == stages


def test_more_budget_never_gives_a_plan_that_fits_worse(answers: dict[str, Any]) -> None:
    """Just above one second the hosted large model does not fit with retrieval: the ledger
    swaps it for the small model planned just below one second, so the plan still fits."""
    below = advisor.decide({**answers, "latency_budget_ms": 999}).ledger
    above = advisor.decide({**answers, "latency_budget_ms": 1000}).ledger
    assert below is not None and above is not None
    assert below.fits and above.fits
    assert [old.id for old, new in above.swapped] == ["generation"]
    assert "small_model" in {s.id for s in above.kept}
    rec = advisor.advise({**answers, "latency_budget_ms": 1000})
    finding = next(f for f in rec.findings if f.id == "latency_budget_needs_small_model")
    assert "ledger_swaps_generation" in finding.rules and "1,000 ms budget" in finding.message
    assert rec.latency is not None and [s.id for s in rec.latency.swapped] == ["generation"]
    for budget in range(1000, 1400, 7):  # from 1 s up, the plan always fits
        ledger = advisor.decide({**answers, "latency_budget_ms": budget}).ledger
        assert ledger is not None and ledger.fits, budget


def _worst_loss(ledger: Any, swap_before: int) -> float:
    """How much a fitted plan gave up, in the ledger's documented order: the highest drop rank
    left dropped, the swap to the small model counting just below rank `swap_before`."""
    worst = max((float(s.drop or 0) for s in ledger.dropped), default=0.0)
    return max(worst, swap_before - 0.5) if ledger.swapped else worst


def test_a_larger_budget_never_gives_up_more_than_a_smaller_one() -> None:
    """Losses are ranked (re-ranker < chain-of-thought < the small model < query rewriting):
    over every scenario's plan, at every budget breakpoint and either side of it, the worst
    loss never grows with the budget. Before the swap came ahead of query rewriting, a
    multi-turn plan kept the rewrite with the small model at 1,000 ms and lost it at 1,100 ms."""
    from advisor.engine.ledger import breakpoints, fit
    from advisor.knowledge.loader import default_rulebase

    rules = default_rulebase().ledger
    assert rules is not None and rules.swap_before == 3
    checked = rewrite_kept_by_swap = 0
    for path in SCENARIOS:
        for extra in ({}, {"conversation": "multi_turn"}):
            answers = {**scenario_answers(path), **extra, "latency_measure": "full_response"}
            decision = advisor.decide({**answers, "latency_budget_ms": 1000})
            assert decision.ledger is not None
            stages = [s for s in decision.ledger.planned if s.id != "small_model"]
            points = sorted(breakpoints(stages, rules) | {1000})
            budgets = sorted({b for p in points for b in (p - 1, p, p + 1) if b >= 1000})
            previous = float("inf")
            for budget in budgets:
                dropped, swaps = fit(list(stages), rules, budget)
                worst = max((float(s.drop or 0) for s in dropped), default=0.0)
                if swaps:
                    worst = max(worst, rules.swap_before - 0.5)
                    if any(s.id == "query_rewriting" for s in stages) and not dropped:
                        rewrite_kept_by_swap += 1
                assert worst <= previous, (path.stem, extra, budget, [s.id for s in dropped])
                previous = worst
                checked += 1
    assert checked > 1_000 and rewrite_kept_by_swap > 0, (checked, rewrite_kept_by_swap)
    # the same order, through the public API, on a multi-turn plan just above one second
    answers = scenario_answers(next(p for p in SCENARIOS if p.stem == "internal_docs_qa"))
    for budget in (1000, 1100, 1300):
        ledger = advisor.decide(
            {**answers, "conversation": "multi_turn", "latency_budget_ms": budget,
             "latency_measure": "full_response"}
        ).ledger  # fmt: skip
        assert ledger is not None
        assert "query_rewriting" in {s.id for s in ledger.kept}, budget
        assert _worst_loss(ledger, 3) <= 2.5, budget


def test_the_decision_ledger_equals_the_plain_ledger_at_every_budget_breakpoint() -> None:
    """`decide()` keeps one outcome per class of budgets between two breakpoints of the planned
    stages, and words only the budget per decision; on every scenario's plan, at each
    breakpoint and either side of it (and under every `latency_measure`), it gives exactly the
    ledger `plan_ledger` works out from scratch."""
    from advisor.engine.compile import compiled
    from advisor.engine.decide import conclusions_of, fired_positions
    from advisor.engine.ledger import breakpoints, ledger_evaluators, ledger_of, plan_ledger
    from advisor.engine.walk import walk_compiled
    from advisor.knowledge.answers import validate_answers
    from advisor.knowledge.loader import default_rulebase

    rulebase = default_rulebase()
    plan = compiled(rulebase)
    assert rulebase.ledger is not None
    compared = with_findings = 0
    for path in SCENARIOS:
        for measure in ("full_response", "first_token"):
            base = {**scenario_answers(path), "latency_measure": measure}
            decision = advisor.decide(base)
            assert decision.ledger is not None
            budgets = {1, 86_400_000}
            for point in breakpoints(decision.ledger.planned, rulebase.ledger):
                budgets |= {point - 1, point, point + 1}
            for budget in sorted(b for b in budgets if b >= 1):
                effective = walk_compiled(
                    validate_answers({**base, "latency_budget_ms": budget}, rulebase), plan
                ).effective
                positions = fired_positions(effective, rulebase)
                conclusions, _ = conclusions_of(positions, plan, rulebase.rules)
                kept = ledger_of(rulebase, effective, conclusions)
                plain = plan_ledger(
                    rulebase.ledger, effective, conclusions, ledger_evaluators(rulebase)
                )
                assert kept == plain, (path.stem, measure, budget)
                compared += 1
                with_findings += bool(plain is not None and plain.findings)
    assert compared > 2_000 and with_findings > 500, (compared, with_findings)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_a_drop_quotes_the_shown_plan_with_the_stage_put_back(path: Path) -> None:
    """The total a dropped stage's finding quotes is the final plan (as the ledger shows it)
    with that stage added back, so it exceeds the budget and agrees with the ledger's own sum;
    not the total at the moment of the drop, which may leave out a stage put back later."""
    answers = scenario_answers(path)
    for budget in BUDGETS:
        decision = advisor.decide({**answers, "latency_budget_ms": budget})
        ledger = decision.ledger
        assert ledger is not None
        for stage in ledger.dropped:
            (rule,) = [r for r in ledger.findings if r.id == f"ledger_drops_{stage.id}"]
            found = re.search(r"about ([\d,]+) ms", rule.because)
            assert found is not None, rule.because
            quoted = int(found[1].replace(",", ""))
            assert quoted == total([*ledger.kept, stage]) > budget, (path.stem, budget, stage.id)
