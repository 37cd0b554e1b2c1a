"""The latency ledger over the whole answer space: which stage patterns the rules can plan.

The ledger of one decision depends only on which stages are planned and on the budget
(`engine.ledger`). Each stage's "planned" is a diagram over the answer space (a rule concluding
what the stage is `for`, and the stage's `when`), so every pattern of planned stages the rules
can produce is found exactly by splitting on those diagrams, per class of budgets. Within a
class the ledger's outcome changes only where the budget crosses one of the totals its greedy
drops pass through, so checking the class's ends and each such total (and one below it) checks
every budget. `advisor lint` uses this for `ledger-over-budget` and `ledger-unplanned-stage`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from advisor.analysis.answer_space import TRUE, UNREACHED, Diagrams
from advisor.engine.ledger import breakpoints, fit, total
from advisor.knowledge.ledger import BUDGET_QUESTION, LedgerRules, Stage

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase

LATENCY_FINDING_PREFIX = "latency_"
"""Findings of rules whose id starts with this say something about the latency budget."""


class LedgerSpace:
    """The planned-stage patterns of one rule base, with the diagrams that produce them."""

    def __init__(self, rulebase: RuleBase, diagrams: Diagrams) -> None:
        assert rulebase.ledger is not None
        self.rulebase = rulebase
        self.rules: LedgerRules = rulebase.ledger
        self.d = diagrams
        self.queries = 0
        concluding: dict[str, int] = {}
        covered = diagrams.false
        for rule in rulebase.rules:
            fires = diagrams.within(diagrams.build(rule.when), TRUE)
            key = rule.then.key
            concluding[key] = diagrams.either(concluding.get(key, diagrams.false), fires)
            if rule.then.kind == "finding" and rule.then.value.startswith(LATENCY_FINDING_PREFIX):
                covered = diagrams.either(covered, fires)
        self.covered = covered
        self.planned: list[int] = []
        for stage in self.rules.stages:
            found = diagrams.within(diagrams.build(stage.when), TRUE)
            if stage.conclusion is not None:
                found = diagrams.both(found, concluding.get(stage.conclusion, diagrams.false))
            self.planned.append(found)
        self.split_order = sorted(range(len(self.planned)), key=self._split_rank)
        """The order `patterns` splits on the stages: those whose diagram reads the fewest
        questions first (then the smallest), which keeps the diagrams of the branches small;
        the order of the stages in the file does not matter."""

    def _split_rank(self, stage_at: int) -> tuple[int, int]:
        """How many questions a stage's "planned" diagram reads, and how many nodes it has."""
        nodes = self.d.nodes
        seen: set[int] = set()
        read: set[int] = set()
        todo = [self.planned[stage_at]]
        while todo:
            node = todo.pop()
            if node in seen or not nodes[node][1]:  # a leaf
                continue
            seen.add(node)
            read.add(nodes[node][0])
            todo.extend(nodes[node][1])
        return len(read), len(seen)

    def unplanned(self) -> list[Stage]:
        """Stages no answers plan."""
        found = []
        for stage, planned in zip(self.rules.stages, self.planned, strict=True):
            self.queries += 1
            if self.d.both(self.d.walk, planned) == self.d.false:
                found.append(stage)
        return found

    def patterns(self, start: int) -> Iterator[tuple[int, tuple[Stage, ...]]]:
        """Every pattern of planned stages some answers within `start` produce, with the
        diagram of those answers."""
        stages = self.rules.stages
        d = self.d
        order = self.split_order
        planned = [self.planned[at] for at in order]
        unplanned = [d.negate(diagram) for diagram in planned]

        def split(at: int, diagram: int, chosen: tuple[int, ...]) -> Iterator[Any]:
            if at == len(order):
                yield diagram, tuple(stages[i] for i in sorted(chosen))  # in file order
                return
            self.queries += 1
            with_it = d.both(diagram, planned[at])
            if with_it != d.false:
                yield from split(at + 1, with_it, (*chosen, order[at]))
            without = d.both(diagram, unplanned[at])
            if without != d.false:
                yield from split(at + 1, without, chosen)

        yield from split(0, start, ())

    def budget_classes(self) -> Iterator[tuple[int, int, int]]:
        """(diagram of the class, lowest budget, highest budget) per class of budgets."""
        rulebase = self.rulebase
        question = rulebase.question_by_id[BUDGET_QUESTION]
        cuts = rulebase.domains.cuts.get(BUDGET_QUESTION, ())
        low_end = question.minimum if question.minimum is not None else 0
        high_end = question.maximum if question.maximum is not None else 2**63
        var = self.d.position[BUDGET_QUESTION]
        for value in self.d.space.answers[var]:
            if value is UNREACHED:
                continue
            k = rulebase.domains.number_class(BUDGET_QUESTION, value)
            if k % 2:
                low = high = cuts[k // 2]
            else:
                i = k // 2
                low = cuts[i - 1] + 1 if i > 0 else low_end
                high = cuts[i] - 1 if i < len(cuts) else high_end
            diagram = self.d.both(self.d.walk, self.d.over(BUDGET_QUESTION, value.__eq__))
            yield diagram, max(low, low_end), min(high, high_end)

    def outcomes(self, stages: tuple[Stage, ...], low: int, high: int) -> Iterator[tuple[int, int]]:
        """(budget, typical total of the kept stages) at every budget in [low, high] where the
        ledger's outcome for `stages` can change."""
        candidates = {low, high}
        for value in breakpoints(stages, self.rules):
            candidates.update(v for v in (value, value - 1) if low <= v <= high)
        for budget in sorted(candidates):
            kept = list(stages)
            fit(kept, self.rules, budget)
            yield budget, total(kept)

    def uncovered_excess(self) -> tuple[dict[str, Any], int, int] | None:
        """Answers, a budget and the kept total where the kept stages exceed the budget and no
        latency finding says so; None when there are none."""
        if self.rules.finding is not None:  # [ledger] raises its finding at every such budget
            return None
        every = list(self.patterns(self.d.walk))  # split once, then meet each budget class
        for start, low, high in self.budget_classes():
            for whole, stages in every:
                diagram = self.d.both(whole, start)
                if diagram == self.d.false:
                    continue
                for budget, typical in self.outcomes(stages, low, high):
                    if typical <= budget:
                        continue
                    self.queries += 1
                    bare = self.d.both(diagram, self.d.negate(self.covered))
                    if bare != self.d.false:
                        witness = self.d.witness(bare)
                        assert witness is not None
                        witness[BUDGET_QUESTION] = budget
                        return witness, budget, typical
        return None
