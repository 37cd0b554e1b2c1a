"""The latency ledger of one decision: the planned stages added up and fitted to the budget.

After the rules fire, every stage of `rules/latency.toml` whose conclusion was concluded (and
whose `when` holds) is planned. The ledger adds the stages' typical milliseconds (a parallel
group costs its slowest member) and, while the total exceeds the budget, drops optional stages in
their documented order, then puts back any dropped stage that still fits (the last dropped
first), removing the conclusion of each stage left dropped. What was dropped, and a plan
that still does not fit, become findings whose messages carry the ledger's numbers. The result
is a function of the conclusions, the budget and the stages' conditions only, so `advisor lint`
can prove properties of it over the whole answer space (`analysis.lint`).
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.engine.decision import MergedFinding
from advisor.knowledge import conditions as cond
from advisor.knowledge.ledger import BUDGET_QUESTION, MEASURE_QUESTION, LedgerRules, Stage
from advisor.knowledge.rules import Conclusion, Rule
from advisor.vocabulary import SEVERITIES

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase

_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class Ledger:
    """The stages a plan spends its latency budget on, and whether they fit."""

    budget: int
    measure: str
    """What the budget bounds: `full_response` or `first_token`."""
    kept: tuple[Stage, ...]
    dropped: tuple[Stage, ...]
    """Stages dropped to fit the budget, in the order they were dropped."""
    swapped: tuple[tuple[Stage, Stage], ...]
    """Stages replaced by a cheaper one to fit the budget: (the stage, its replacement)."""
    total_low: int
    total_typical: int
    total_high: int
    """The kept stages' sums (a parallel group counts its slowest member)."""
    findings: tuple[Rule, ...]
    """One finding per drop, and one when the kept stages still exceed the budget; each a rule
    made for this decision, its message filled with the ledger's numbers."""

    @property
    def fits(self) -> bool:
        return self.total_typical <= self.budget

    @property
    def planned(self) -> tuple[Stage, ...]:
        """The stages the plan held before the ledger dropped or swapped any."""
        original = {id(new): old for old, new in self.swapped}
        return (*(original.get(id(s), s) for s in self.kept), *self.dropped)


def total(stages: Iterable[Stage], figure: str = "typical") -> int:
    """The stages' cost: serial stages add up, each parallel group costs its slowest member."""
    serial = 0
    groups: dict[str, int] = {}
    for stage in stages:
        value: int = getattr(stage, figure)
        if stage.group is None:
            serial += value
        elif value > groups.get(stage.group, -1):
            groups[stage.group] = value
    return serial + sum(groups.values())


StageTest = tuple[Stage, str | None, str, "cond.Evaluator | None"]
"""A stage with what plans it: the kind and value it is `for` (None: no conclusion needed) and
its `when`, compiled (None: always)."""


def planned(
    rules: LedgerRules,
    answers: Mapping[str, Any],
    conclusions: Mapping[str, tuple[str, ...]],
    tests: tuple[StageTest, ...],
    held: AbstractSet[int] | None = None,
) -> list[Stage]:
    """The stages the plan needs: concluded, and with a `when` that holds. `held`: the stages
    (by their place in `tests`) whose `when` holds, when already known (`decide` has the rule
    index find them with the rules); otherwise each `when` is tested here."""
    found = []
    for at, (stage, kind, value, evaluator) in enumerate(tests):
        if kind is not None and value not in conclusions.get(kind, ()):
            continue
        if evaluator is None or (at in held if held is not None else evaluator(answers) is True):
            found.append(stage)
    return found


Swap = tuple[Stage, Stage, int]
"""A stage swapped for a cheaper one (`swap`), and the plan's total before the swap."""


def fit(stages: list[Stage], rules: LedgerRules, budget: int) -> tuple[list[Stage], list[Swap]]:
    """Drop optional stages in their documented order until the typical total fits the budget;
    if it still does not fit once the stages ranked before `rules.swap_before` are dropped (or,
    without it, once every optional stage is), swap each stage that names a cheaper one
    (`swap`) before dropping any more; then put back every dropped stage that now fits, the
    last dropped first (a stage dropped on the way is not lost for nothing). Returns the stages
    left dropped and the swaps."""
    current = total(stages)
    if current <= budget:
        return [], []
    order = {id(stage): n for n, stage in enumerate(stages)}
    dropped: list[Stage] = []
    swaps: list[Swap] = []
    swap_before = rules.swap_before
    swapped = False
    for stage in rules.drop_order:
        if current <= budget:
            break
        if not swapped and swap_before is not None and (stage.drop or 0) >= swap_before:
            current = _swap(stages, rules, order, swaps, current)
            swapped = True
            if current <= budget:
                break
        if stage in stages:
            stages.remove(stage)
            dropped.append(stage)
            current = total(stages)
    if current > budget and not swapped:
        current = _swap(stages, rules, order, swaps, current)
    for stage in reversed(list(dropped)):
        if total([*stages, stage]) <= budget:
            dropped.remove(stage)
            stages.append(stage)
    stages.sort(key=lambda stage: order[id(stage)])
    return dropped, swaps


def _swap(
    stages: list[Stage], rules: LedgerRules, order: dict[int, int], swaps: list[Swap], current: int
) -> int:
    """Swap every stage of the plan that names a cheaper one; the plan's new total."""
    for at, stage in enumerate(list(stages)):
        if stage.swap is not None:
            cheaper = rules.stage(stage.swap)
            stages[at] = cheaper
            order[id(cheaper)] = order[id(stage)]
            swaps.append((stage, cheaper, current))
            current = total(stages)
    return current


def breakpoints(stages: Iterable[Stage], rules: LedgerRules) -> set[int]:
    """Every budget at which the ledger's outcome for `stages` can change: the total of the
    required stages, each swapped or not, with each subset of the optional ones (a plan has a
    few optional stages and swaps)."""
    required = [s for s in stages if s.drop is None]
    optional = [s for s in stages if s.drop is not None]
    variants = [[s, rules.stage(s.swap)] if s.swap is not None else [s] for s in required]
    found = set()
    for base in itertools.product(*variants):
        for size in range(len(optional) + 1):
            for chosen in itertools.combinations(optional, size):
                found.add(total([*base, *chosen]))
    return found


def plan_ledger(
    rules: LedgerRules,
    answers: Mapping[str, Any],
    conclusions: Mapping[str, tuple[str, ...]],
    evaluators: tuple[StageTest, ...],
    stages: list[Stage] | None = None,
) -> Ledger | None:
    """The ledger for one decision (`stages`: the planned ones, when already worked out); None
    when the answers hold no budget."""
    budget = answers.get(BUDGET_QUESTION)
    if not isinstance(budget, int) or isinstance(budget, bool):
        return None
    kept = list(stages) if stages is not None else planned(rules, answers, conclusions, evaluators)
    measure = _measure(kept, answers)
    return _ledger(_outcome(kept, rules, budget), budget, measure)


def _findings(
    kept: list[Stage],
    dropped: list[Stage],
    totals: list[int],
    swaps: list[Swap],
    totals_of_kept: tuple[int, int, int],
    budget: int,
    rules: LedgerRules,
) -> list[Rule]:
    """One finding per drop and swap, and one when the kept stages (their low, typical and
    high sums) still exceed the budget; `{budget}` is left in the wording, for each decision's
    budget (`_ledger`)."""
    numbers = {
        "kept": _listing(kept),
        "dropped": _listing(dropped) or "nothing",
    }
    changes = [(f"ledger_drops_{s.id}", s, n) for s, n in zip(dropped, totals, strict=True)]
    changes += [(f"ledger_swaps_{old.id}", old, n) for old, _new, n in swaps]
    findings = [
        _stage_finding(rule_id, stage, before, numbers, rules) for rule_id, stage, before in changes
    ]
    low, typical, high = totals_of_kept
    if typical > budget and rules.finding is not None:
        values = {**numbers, "total": _ms(typical), "total_low": _ms(low), "total_high": _ms(high)}
        findings.append(
            _finding_rule(
                "ledger_exceeds_budget",
                rules.finding,
                rules.severity or "medium",
                rules.because,
                rules.cite,
                rules.source,
                values,
            )
        )
    return findings


def _stage_finding(
    rule_id: str, stage: Stage, before: int, numbers: Mapping[str, str], rules: LedgerRules
) -> Rule:
    """The finding a dropped or swapped stage raises, worded with the ledger's numbers (the plan's
    total before the change)."""
    assert stage.finding is not None and stage.severity is not None
    values = {
        **numbers,
        "stage": stage.label,
        "stage_low": _ms(stage.low),
        "stage_typical": _ms(stage.typical),
        "stage_high": _ms(stage.high),
        "total": _ms(before),
        "total_low": _ms(before),
        "total_high": _ms(before),
    }
    cite = tuple(dict.fromkeys((*rules.drop_cite, *stage.cite)))
    return _finding_rule(
        rule_id, stage.finding, stage.severity, stage.because, cite, stage.source, values
    )


def _finding_rule(
    rule_id: str,
    finding: str,
    severity: Any,
    because: str,
    cite: tuple[str, ...],
    source: str,
    values: Mapping[str, str],
) -> Rule:
    """A finding raised by the ledger, as a rule whose message already holds the numbers
    (question placeholders are left for the result's usual filling)."""
    text = _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), because)
    return Rule(
        id=rule_id,
        when=cond.TRUE,
        when_text="the latency ledger",
        then=Conclusion("finding", finding),
        because=text,
        cite=cite,
        severity=severity,
        source=source,
        order=-1,
    )


def _measure(stages: Iterable[Stage], answers: Mapping[str, Any]) -> str:
    """What the budget bounds: the `bounds` of the last planned stage that has one (the answer
    stage, or speech synthesis for a spoken reply), else the answer to latency_measure."""
    found = None
    for stage in stages:
        if stage.bounds is not None:
            found = stage.bounds
    if found is None:
        answer = answers.get(MEASURE_QUESTION)
        found = answer if isinstance(answer, str) else "full_response"
    return found


def _ms(value: int) -> str:
    return f"{value:,}"


def _listing(stages: Iterable[Stage]) -> str:
    """The stages with their typical figures as they add up: `a 20 ms + b 150 ms`, a parallel
    group as one term that costs its slowest member (`x 60 ms and y 20 ms in parallel (60 ms)`)."""
    terms: list[list[Stage]] = []
    where: dict[str, list[Stage]] = {}
    for stage in stages:
        if stage.group is None:
            terms.append([stage])
        elif stage.group in where:
            where[stage.group].append(stage)
        else:
            where[stage.group] = [stage]
            terms.append(where[stage.group])

    def words(stage: Stage) -> str:
        return f"{stage.id.replace('_', ' ')} {stage.typical:,} ms"

    return " + ".join(
        words(term[0])
        if len(term) == 1
        else f"{' and '.join(map(words, term))} in parallel ({max(s.typical for s in term):,} ms)"
        for term in terms
    )


KEPT = 4096
"""The most patterns of planned stages kept per rule base (`ledger_of`)."""


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What the ledger does to one pattern of planned stages for a whole class of budgets:
    the stages kept, dropped and swapped, their sums, and the findings with every number but
    the budget filled in (`{budget}` is left for the budget of each decision)."""

    kept: tuple[Stage, ...]
    dropped: tuple[Stage, ...]
    swapped: tuple[tuple[Stage, Stage], ...]
    low: int
    typical: int
    high: int
    findings: tuple[Rule, ...]


class _Pattern:
    """One pattern of planned stages (with what the budget bounds): its budget breakpoints,
    and the outcome of each class of budgets between two of them, made when first met. The
    ledger's outcome can change only where the budget crosses a total some choice of the
    stages adds up to (`breakpoints`), so every budget of a class has the same outcome."""

    __slots__ = ("breakpoints", "measure", "outcomes", "rules", "stages")

    def __init__(self, stages: list[Stage], rules: LedgerRules, measure: str) -> None:
        self.stages = stages
        self.rules = rules
        self.measure = measure
        self.breakpoints = sorted(breakpoints(stages, rules))
        self.outcomes: list[_Outcome | None] = [None] * (len(self.breakpoints) + 1)

    def ledger(self, budget: int) -> Ledger:
        at = bisect_right(self.breakpoints, budget)
        outcome = self.outcomes[at]
        if outcome is None:
            outcome = self.outcomes[at] = _outcome(list(self.stages), self.rules, budget)
        return _ledger(outcome, budget, self.measure)


def _ledger(outcome: _Outcome, budget: int, measure: str) -> Ledger:
    """The ledger of one decision from the outcome of its class of budgets: the findings'
    `{budget}` filled with this budget."""
    findings = outcome.findings
    if findings:
        shown = _ms(budget)
        findings = tuple(
            [
                Rule(  # by position: a third of what dataclasses.replace costs
                    rule.id,
                    rule.when,
                    rule.when_text,
                    rule.then,
                    rule.because.replace("{budget}", shown),
                    rule.cite,
                    rule.severity,
                    rule.source,
                    rule.order,
                )
                for rule in findings
            ]
        )
    return Ledger(
        budget=budget,
        measure=measure,
        kept=outcome.kept,
        dropped=outcome.dropped,
        swapped=outcome.swapped,
        total_low=outcome.low,
        total_typical=outcome.typical,
        total_high=outcome.high,
        findings=findings,
    )


def _outcome(kept: list[Stage], rules: LedgerRules, budget: int) -> _Outcome:
    """`plan_ledger`'s work for one budget, its findings worded with `{budget}` left in."""
    dropped, swaps = fit(kept, rules, budget)
    # a dropped stage's finding quotes the final plan with that stage put back: more than the
    # budget (or the ledger would have put it back), and consistent with the ledger shown
    totals = [total([*kept, stage]) for stage in dropped]
    low, typical, high = total(kept, "low"), total(kept), total(kept, "high")
    reported = dropped or swaps or typical > budget
    sums = (low, typical, high)
    findings = _findings(kept, dropped, totals, swaps, sums, budget, rules) if reported else []
    return _Outcome(
        kept=tuple(kept),
        dropped=tuple(dropped),
        swapped=tuple((old, new) for old, new, _ in swaps),
        low=low,
        typical=typical,
        high=high,
        findings=tuple(findings),
    )


def ledger_of(
    rulebase: RuleBase,
    answers: Mapping[str, Any],
    conclusions: Mapping[str, tuple[str, ...]],
    held: AbstractSet[int] | None = None,
) -> Ledger | None:
    """`plan_ledger` for a decision (the same ledger), from what is kept per pattern of planned
    stages: the outcome of each class of budgets, worked out once; each decision adds only its
    budget (None when the answers hold no budget)."""
    from advisor.engine.compile import compiled

    rules = rulebase.ledger
    if rules is None:
        return None
    budget = answers.get(BUDGET_QUESTION)
    if not isinstance(budget, int) or isinstance(budget, bool):
        return None
    tests = ledger_evaluators(rulebase)
    stages = planned(rules, answers, conclusions, tests, held)
    key = (tuple(map(id, stages)), answers.get(MEASURE_QUESTION))
    patterns: dict[Any, _Pattern] = compiled(rulebase).shared_parts.setdefault("ledgers", {})
    pattern = patterns.get(key)
    if pattern is None:
        pattern = _Pattern(stages, rules, _measure(stages, answers))
        if len(patterns) < KEPT:
            patterns[key] = pattern
    return pattern.ledger(budget)


def ledger_evaluators(rulebase: RuleBase) -> tuple[StageTest, ...]:
    """What plans each stage (`StageTest`), worked out once per rule base."""
    from advisor.engine.compile import compiled

    shared = compiled(rulebase).shared_parts
    found: tuple[StageTest, ...] | None = shared.get("ledger")
    if found is None:
        tests = []
        for stage in rulebase.ledger.stages if rulebase.ledger is not None else ():
            kind, value = None, ""
            if stage.conclusion is not None:
                kind, _, value = stage.conclusion.partition(":")
            always = stage.when == cond.TRUE
            tests.append(
                (stage, kind, value, None if always else cond.compile_condition(stage.when))
            )
        found = shared["ledger"] = tuple(tests)
    return found


def apply_ledger(
    ledger: Ledger,
    conclusions: dict[str, tuple[str, ...]],
    fired: tuple[Rule, ...],
    findings: tuple[MergedFinding, ...],
) -> tuple[dict[str, tuple[str, ...]], tuple[Rule, ...], tuple[MergedFinding, ...]]:
    """The conclusions and fired rules without what the ledger dropped, and the findings with
    the ledger's merged in (the most severe severity wins; most severe first, then in order)."""
    removed = {stage.conclusion for stage in ledger.dropped}
    if removed:
        conclusions = dict(conclusions)
        for key in removed:
            assert key is not None
            kind, _, value = key.partition(":")
            conclusions[kind] = tuple(v for v in conclusions.get(kind, ()) if v != value)
        pairs = {tuple(key.partition(":")[::2]) for key in removed if key is not None}
        fired = tuple([rule for rule in fired if (rule.then.kind, rule.then.value) not in pairs])
    merged = {finding.id: finding for finding in findings}
    for rule in ledger.findings:
        assert rule.severity is not None
        finding_id = rule.then.value
        found = merged.get(finding_id)
        if found is None:
            merged[finding_id] = MergedFinding(finding_id, rule.severity, (rule,))
        else:
            severity = min(found.severity, rule.severity, key=_SEVERITY_RANK.__getitem__)
            merged[finding_id] = MergedFinding(found.id, severity, (*found.rules, rule))
    ordered = sorted(merged.values(), key=lambda f: _SEVERITY_RANK[f.severity])
    return conclusions, fired, tuple(ordered)


_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
