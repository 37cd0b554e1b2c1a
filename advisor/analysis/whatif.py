"""What-if: for each outcome element, every minimal set of answer changes that adds or removes it.

Exact over the finite answer space, within a bound on the number of answers changed
(`max_changes`, default 2, at most 3). Each question's answers are split into the classes the
rules can tell apart (`knowledge.domains`: number questions at the thresholds the rules use), so
one representative per class stands for every answer of its class. Only changeable questions
(`changeable = true` in questions.toml) are varied, plus any the caller names.

Candidate change sets are every choice of at most `max_changes` varied questions, each set to
another class. A change that makes a question reachable that has no answer (nor a default)
asks for it: the candidate is expanded with each class of that question, marked `newly_asked`.
A change set *does it* when deciding the changed answers gives the element the other presence;
it is *minimal* when no strict subset of its assignments that is a complete set of answers does
it. Classes of one number question that do it with the same other assignments and are
adjacent are merged into one range ("at least 50"). For each element and number question, the
range of that answer in which the element keeps its presence is given too, and an element that
no candidate flips is reported fixed, with the facts that hold it.

The latency ledger is part of every outcome (stages dropped to fit the budget leave it, its
findings join it). Its outcome changes where the budget crosses one of the totals its drops
pass through, which depend on the stages the other answers plan, so a class of budgets is split
further at those totals for each candidate: a budget change stands for a range within which
both the rules and the ledger give the same outcome.
"""

from __future__ import annotations

import dataclasses
import itertools
import operator
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.analysis.support import class_key
from advisor.engine.ledger import breakpoints, planned, total
from advisor.errors import TooComplexError, UsageError
from advisor.knowledge import conditions as cond
from advisor.knowledge.answers import plain_answer
from advisor.knowledge.ledger import BUDGET_QUESTION, Stage
from advisor.vocabulary import BASELINE

if TYPE_CHECKING:
    from advisor.engine.decision import Decision
    from advisor.knowledge.questions import Question
    from advisor.knowledge.rulebase import RuleBase

MAX_CHANGES = 3
MAX_OUTCOMES = 500_000
"""The most distinct sets of changed answers one what-if decides (about 5 s; the shipped rules
need under 100,000 at three changes): questions split into thousands of classes would
otherwise take minutes and gigabytes."""
_UNSEEN: Any = object()
"""Marks an assignment set whose outcome is not worked out yet (None means incomplete)."""
_first = operator.itemgetter(0)
_MAX_NEW = 2
"""At most this many newly reachable questions are enumerated for one candidate."""

Items = frozenset[tuple[str, Any]]
ALWAYS = "no answer: a rule concludes it whatever the answers"


@dataclass(frozen=True, slots=True)
class Change:
    """One answer set to a new value; a number is a range of values that all do the same."""

    question: str
    value: Any
    """A representative answer (plain data), applied by the tests."""
    low: int | None
    high: int | None
    """For a number question: the inclusive range of answers this change stands for."""
    words: str
    newly_asked: bool
    """The question was not asked before: the change set makes the walk ask it."""


@dataclass(frozen=True, slots=True)
class ChangeSet:
    changes: tuple[Change, ...]
    words: str


@dataclass(frozen=True, slots=True)
class Range:
    """Where the element keeps its present state, as far as one number answer goes."""

    question: str
    low: int
    high: int
    words: str


@dataclass(frozen=True, slots=True)
class ElementWhatIf:
    key: str
    label: str
    present: bool
    action: str
    """`remove` for an element of the advice, `add` for one that is not."""
    change_sets: tuple[ChangeSet, ...]
    holds_within: tuple[Range, ...]
    fixed: bool
    fixed_by: tuple[str, ...]
    """When fixed: the facts (question = answer in words) that hold it."""
    words: str


@dataclass(frozen=True, slots=True)
class WhatIfData:
    varied: tuple[str, ...]
    max_changes: int
    elements: tuple[ElementWhatIf, ...]

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def element(self, key: str) -> ElementWhatIf | None:
        return next((e for e in self.elements if e.key == key), None)


def universe(rulebase: RuleBase) -> list[tuple[str, str]]:
    """Every element some rule can conclude, as (key, label), in vocabulary order."""
    vocabulary = rulebase.vocabulary
    keys: dict[str, str] = {}
    for kind in vocabulary.kinds:
        if kind.field is None:
            continue
        if kind.name == "technique":
            keys[f"technique:{BASELINE}"] = kind.words(BASELINE)
        concluded = [r.then for r in rulebase.rules if r.then.kind == kind.name]
        ordered = sorted(
            dict.fromkeys(c.value for c in concluded),  # rule order, then the kind's order
            key=lambda v: kind.values.index(v) if kind.values and v in kind.values else 0,
        )
        for value in ordered:
            key = kind.name if kind.values == () else f"{kind.name}:{value}"
            keys[key] = kind.words(value) if value else kind.words("")
    return list(keys.items())


def parse_targets(targets: Iterable[str], rulebase: RuleBase) -> list[str]:
    """`fine_tuning`, `retriever:keyword`, `reranker`, `finding:ID` -> element keys."""
    known = [key for key, _ in universe(rulebase)]
    found = []
    for target in targets:
        key = target if target in known else f"technique:{target}"
        if key not in known:
            shown = ", ".join(k.removeprefix("technique:") for k in known[:8])
            raise UsageError(
                f"unknown --target '{target}': name a technique, 'kind:value' or 'finding:ID' "
                f"that a rule can conclude (for example {shown})"
            )
        found.append(key)
    return found


def varied_questions(rulebase: RuleBase, vary: Iterable[str] = ()) -> tuple[str, ...]:
    extra = list(vary)
    unknown = [q for q in extra if q not in rulebase.question_by_id]
    if unknown:
        raise UsageError(
            f"unknown question '{unknown[0]}' to vary; the questions are: "
            + ", ".join(q.id for q in rulebase.questions)
        )
    return tuple(q.id for q in rulebase.questions if q.changeable or q.id in extra)


_Core = tuple[
    frozenset[str], "tuple[Question, ...] | None", frozenset[str], "tuple[Stage, ...] | None"
]
"""The walk and the rules for some assignments: questions reached, missing ones, element keys,
planned stages."""


class _Outcomes:
    """Outcome (element keys) of the base answers with some assignments, cached."""

    def __init__(self, decision: Decision) -> None:
        from advisor.engine.compile import compiled
        from advisor.engine.ledger import ledger_evaluators

        self.rulebase = decision.rulebase
        self.plan = compiled(decision.rulebase)
        self.base = {k: v for k, v in decision.given.items() if v is not None}
        self.baseline = f"technique:{decision.techniques[0]}"
        self.cache: dict[Items, frozenset[str] | None] = {}
        self.missing: dict[Items, tuple[Question, ...]] = {}
        vocabulary = decision.rulebase.vocabulary
        self.keys: tuple[str | None, ...] = tuple(
            rule.then.key if vocabulary.kind(rule.then.kind).field is not None else None
            for rule in decision.rulebase.rules
        )
        """Per rule (by position): the element key it concludes; None for a note."""
        self.base_effective = dict(decision.answers)
        self.base_asked = frozenset(decision.answers)
        self.gate_reads = frozenset(
            qid for entry in self.plan.questions for qid in entry.gate_reads
        )
        """The questions some gate reads: a change to any other leaves the walk as it is."""
        self.gate_order = tuple(sorted(self.gate_reads))
        self.shapes: dict[
            tuple[tuple[Any, ...], frozenset[str]],
            tuple[tuple[tuple[str, ...], tuple[Any, ...]], frozenset[str], tuple[Question, ...]],
        ] = {}
        """Per (gate answers, questions answered besides the base answers): the questions
        reached (with their defaults), those asked and those missing; what the walk finds
        depends on nothing else."""
        self.stage_tests = ledger_evaluators(decision.rulebase)
        self.stage_reads = tuple(
            sorted(
                {q for stage, _, _, _ in self.stage_tests for q in cond.questions_in(stage.when)}
            )
        )
        """The questions the latency stages' conditions read."""
        self.stage_keys = frozenset(
            kind if vocabulary.kind(kind).values == () else f"{kind}:{value}"
            for _, kind, value, _ in self.stage_tests
            if kind is not None
        )
        """The element keys that plan a latency stage."""
        self.stages: dict[tuple[tuple[Any, ...], frozenset[str]], tuple[Stage, ...]] = {}
        """Per (answers the stages read, element keys that plan a stage): the stages planned."""
        self.asked: dict[Items, frozenset[str]] = {}
        """Per assignment set: the questions the walk reaches (answered or still needed)."""
        self.planned: dict[Items, tuple[Stage, ...]] = {}
        """Per assignment set: the latency stages its plan holds before the ledger drops any."""
        self.ranges: dict[tuple[Items, int], tuple[int, int]] = {}
        """Per (other assignments, budget): the budgets the ledger treats alike around it."""
        self.parts: dict[tuple[Items, int], list[tuple[int, int, int]]] = {}
        """Per (other assignments, class of budgets): its parts (`budget_ranges`)."""
        self.cores: dict[Items, _Core] = {}
        """Per assignment set with the budget as its class: the walk, the rules and the stages."""
        self.fits: dict[tuple[tuple[Stage, ...], int], tuple[frozenset[str], frozenset[str]]] = {}
        """Per (planned stages, budget): what the ledger drops and raises (`_ledger_effect`)."""
        self.totals: dict[tuple[Stage, ...], set[int]] = {}
        """Per planned stages: the budgets at which the ledger's outcome changes."""
        self.parts_by_stages: dict[
            tuple[int, frozenset[tuple[Stage, ...]]], list[tuple[int, int, int]]
        ] = {}
        """Per (class of budgets, stages planned with each part of the other changes): the
        parts of the class (`budget_ranges`)."""

    def of(self, items: Items) -> frozenset[str] | None:
        found = self.cache.get(items, _UNSEEN)
        if found is not _UNSEEN:
            return found  # type: ignore[no-any-return]
        if len(self.cache) >= MAX_OUTCOMES:
            raise TooComplexError(
                f"what-if would decide more than {MAX_OUTCOMES:,} sets of changed answers "
                "(the shipped rules need under 100,000 at --max-changes 3): the questions it "
                "varies split into too many classes; vary fewer questions (--vary), lower "
                "--max-changes, or compare a number with fewer thresholds in conditions"
            )
        budget = next((v for q, v in items if q == BUDGET_QUESTION), None)
        if budget is not None and self.rulebase.ledger is not None:
            # Within one class of budgets the rules give the same outcome and plan the same
            # stages: decide the class once, and fit only the ledger to each budget of it.
            number_class = self.rulebase.domains.number_class(BUDGET_QUESTION, budget)
            key = (items - {(BUDGET_QUESTION, budget)}) | {
                (BUDGET_QUESTION, ("class", number_class))
            }
            core = self.cores.get(key)
            if core is None:
                core = self.cores[key] = self._decided(items)
            asked, missing, rules_found, stages = core
            self.asked[items] = asked
            result: frozenset[str] | None = None
            if missing is not None:
                self.missing[items] = missing
            elif stages is None:
                result = rules_found
            else:
                self.planned[items] = stages
                result = self._fitted(rules_found, stages, budget)
            self.cache[items] = result
            return result
        asked, missing, rules_found, stages = self._decided(items)
        self.asked[items] = asked
        if missing is not None:
            self.missing[items] = missing
            self.cache[items] = None
            return None
        result = rules_found
        if stages is not None and isinstance(budget := self._budget(items), int):
            self.planned[items] = stages
            result = self._fitted(rules_found, stages, budget)
        self.cache[items] = result
        return result

    def _budget(self, items: Items) -> Any:
        value = next((v for q, v in items if q == BUDGET_QUESTION), None)
        return value if value is not None else self.base.get(BUDGET_QUESTION)

    def _decided(self, items: Items) -> _Core:
        """The walk and the rules for `items`: the questions reached, the missing ones (None when
        complete), the rules' element keys, and the stages they plan (None: no ledger)."""
        from advisor.engine.decide import conclusions_of, fired_positions
        from advisor.engine.walk import walk_compiled

        if self.gate_reads.isdisjoint(map(_first, items)):
            # no gate reads a changed answer: the base walk reaches the same questions, and
            # each change replaces the answer of a reached question (an unreached one is ignored)
            effective = dict(self.base_effective)
            for qid, value in items:
                if qid in effective:
                    effective[qid] = value
            asked = self.base_asked
        else:
            answers = dict(self.base)
            answers.update(items)
            # the walk reaches the same questions for the same gate answers and answered set
            newly = frozenset(qid for qid, _ in items if self.base.get(qid) is None)
            shape_key = (tuple(map(answers.get, self.gate_order)), newly)
            shape = self.shapes.get(shape_key)
            if shape is None:
                walked = walk_compiled(answers, self.plan)
                effective = walked.effective
                asked = frozenset(effective) | {q.id for q in walked.missing}
                missing = tuple(walked.missing)
                entries = [entry for entry in self.plan.questions if entry.id in effective]
                reached = (tuple(e.id for e in entries), tuple(e.default for e in entries))
                self.shapes[shape_key] = (reached, asked, missing)
            else:
                (ids, defaults), asked, missing = shape
                # each reached question's answer, else its default (no answer holds None)
                effective = dict(zip(ids, map(answers.get, ids, defaults), strict=True))
            if missing:
                return asked, missing, frozenset(), None
        positions = fired_positions(effective, self.rulebase)
        found = frozenset(filter(None, map(self.keys.__getitem__, positions))) | {self.baseline}
        if self.rulebase.ledger is None or not isinstance(effective.get(BUDGET_QUESTION), int):
            return asked, None, found, None
        key = (tuple(map(effective.get, self.stage_reads)), found & self.stage_keys)
        stages = self.stages.get(key)
        if stages is None:
            conclusions, _ = conclusions_of(positions, self.plan, self.rulebase.rules)
            stages = self.stages[key] = tuple(
                planned(self.rulebase.ledger, effective, conclusions, self.stage_tests)
            )
        return asked, None, found, stages

    def _fitted(
        self, found: frozenset[str], stages: tuple[Stage, ...], budget: int
    ) -> frozenset[str]:
        """The outcome once the latency ledger has dropped what the budget cannot hold (the
        ledger's own steps, without the wording of its findings: only their ids count here)."""
        key = (stages, budget)
        effect = self.fits.get(key)
        if effect is None:
            effect = self.fits[key] = self._ledger_effect(stages, budget)
        gone, raised = effect
        if not gone:
            return found | raised if raised else found
        return frozenset(k for k in found if k not in gone) | raised

    def _ledger_effect(
        self, stages: tuple[Stage, ...], budget: int
    ) -> tuple[frozenset[str], frozenset[str]]:
        """What the ledger does to the stages under the budget: the conclusions of the stages it
        drops, and the findings it raises."""
        from advisor.engine.ledger import fit

        rules = self.rulebase.ledger
        assert rules is not None
        kept = list(stages)
        dropped, swaps = fit(kept, rules, budget)
        raised = {f"finding:{stage.finding}" for stage in dropped}
        raised |= {f"finding:{old.finding}" for old, _new, _total in swaps}
        if rules.finding is not None and total(kept) > budget:
            raised.add(f"finding:{rules.finding}")
        gone = frozenset(stage.conclusion for stage in dropped if stage.conclusion is not None)
        return gone, frozenset(raised)

    def budget_ranges(self, rest: Items, value: int) -> list[tuple[int, int, int]]:
        """The class of budget `value` (with the other assignments `rest`) split where the
        ledger's outcome changes, with `rest` or any part of it (so a change set's minimality
        holds across each part): (low, high, representative) per part, lowest first."""
        number_class = self.rulebase.domains.number_class(BUDGET_QUESTION, value)
        key = (rest, number_class)
        known = self.parts.get(key)
        if known is not None:
            return known
        planned_by_part = []
        budget_item = {(BUDGET_QUESTION, value)}
        members = tuple(rest)
        for size in range(len(members) + 1):
            for part in itertools.combinations(members, size):
                items = frozenset(part).union(budget_item)
                self.of(items)
                planned_by_part.append(self.planned.get(items, ()))
        # the parts depend only on the class and on the stages planned: kept per both
        shape = (number_class, frozenset(planned_by_part))
        parts = self.parts_by_stages.get(shape)
        if parts is None:
            question = self.rulebase.question_by_id[BUDGET_QUESTION]
            low, high = class_range(question, value, self.rulebase)
            cuts: set[int] = set()
            for stages in shape[1]:
                cuts |= self._breakpoints(stages)
            starts = [low, *sorted(c for c in cuts if low < c <= high)]  # a part per total
            parts = [
                (start, starts[n + 1] - 1 if n + 1 < len(starts) else high, start)
                for n, start in enumerate(starts)
            ]
            self.parts_by_stages[shape] = parts
        for start, end, _ in parts:
            self.ranges[(rest, start)] = (start, end)
        self.parts[key] = parts
        return parts

    def _breakpoints(self, stages: tuple[Stage, ...]) -> set[int]:
        """The totals the ledger's drops pass through for `stages` (kept per stages)."""
        found = self.totals.get(stages)
        if found is None:
            rules = self.rulebase.ledger
            found = self.totals[stages] = breakpoints(stages, rules) if rules else set()
        return found

    def range_of(self, rest: Items, qid: str, value: int) -> tuple[int, int]:
        """The range of answers a number change stands for."""
        question = self.rulebase.question_by_id[qid]
        found = self.ranges.get((rest, value)) if qid == BUDGET_QUESTION else None
        return found or class_range(question, value, self.rulebase)

    def ignores_one(self, items: Items) -> bool:
        """Whether one assignment is not asked once the others are made: the set then decides
        like its part without it, so it can never be minimal (a question's own answer never
        opens its gate, which reads only earlier questions)."""
        for item in items:
            rest = items - {item}
            self.of(rest)
            if item[0] not in self.asked[rest]:
                return True
        return False

    def complete(self, items: Items, depth: int = 2) -> list[Items]:
        """`items`, or its expansions with each class of the questions it makes the walk ask."""
        if self.of(items) is not None:
            return [items]
        missing = self.missing[items]
        asked = {q for q, _ in items}
        if depth == 0 or len(missing) > _MAX_NEW or any(q.id in asked for q in missing):
            return []
        domains = self.rulebase.domains
        found: list[Items] = []
        for values in itertools.product(*(domains.representatives(q) for q in missing)):
            grown = items | {(q.id, v) for q, v in zip(missing, values, strict=True)}
            found.extend(self.complete(frozenset(grown), depth - 1))
        return found


def what_if_decision(
    decision: Decision,
    targets: Sequence[str] | None = None,
    vary: Iterable[str] = (),
    max_changes: int = 2,
) -> WhatIfData:
    """What-if for `decision`'s answers: see the module docstring."""
    if not 1 <= max_changes <= MAX_CHANGES:
        raise UsageError(f"max_changes must be between 1 and {MAX_CHANGES}, not {max_changes}")
    rulebase = decision.rulebase
    by_id = rulebase.question_by_id
    domains = rulebase.domains
    varied = varied_questions(rulebase, vary)
    keys = universe(rulebase)
    if targets is not None:
        wanted = parse_targets(targets, rulebase)
        keys = [(k, label) for k, label in keys if k in wanted]
    outcomes = _Outcomes(decision)
    base_outcome = outcomes.of(frozenset())
    assert base_outcome is not None  # the decision exists: the answers are complete
    current = {q: _current(decision, q) for q in varied}
    budget = current.get(BUDGET_QUESTION) if rulebase.ledger is not None else None
    alternatives = {
        q: [
            v
            for v in domains.representatives(by_id[q])
            if (q == BUDGET_QUESTION and budget is not None)  # the ledger may split its class
            or class_key(by_id[q], v, domains) != class_key(by_id[q], current[q], domains)
        ]
        for q in varied
    }
    unchanged: frozenset[Any] = frozenset()  # the budget's own part: no change on its own
    if budget is not None and BUDGET_QUESTION in alternatives:
        parts, unchanged = _budget_parts(outcomes, frozenset(), budget)
        alternatives[BUDGET_QUESTION] = parts
    candidates: list[Items] = []
    seen: set[Items] = set()
    for size in range(1, max_changes + 1):
        for questions in itertools.combinations(varied, size):
            for values in itertools.product(*(alternatives[q] for q in questions)):
                chosen = frozenset(zip(questions, values, strict=True))
                if size == 1 and questions[0] == BUDGET_QUESTION and values[0] in unchanged:
                    continue  # with other changes, its class splits differently (_refine_budget)
                if size > 1 and outcomes.ignores_one(chosen):
                    continue
                for completed in outcomes.complete(chosen):  # the questions it opens first:
                    for items in _refine_budget(outcomes, completed, budget):  # they plan stages
                        if items not in seen:
                            seen.add(items)
                            candidates.append(items)
    decided = [(items, outcomes.of(items) or frozenset()) for items in candidates]
    single = {  # the answers each question can change to on its own
        q: [v for v in values if q != BUDGET_QUESTION or v not in unchanged]
        for q, values in alternatives.items()
    }
    singles = {
        (qid, value): [outcomes.of(items) for items in outcomes.complete(frozenset({(qid, value)}))]
        for qid in varied
        if by_id[qid].kind == "int"
        for value in single[qid]
    }
    # per element key, the candidates that flip it while no strict part of them does (minimal)
    flipping: dict[str, list[Items]] = {}
    flipped_by: dict[Items, frozenset[str]] = {}
    for items, outcome in decided:
        flipped = outcome ^ base_outcome
        if flipped and len(items) > 1:
            flipped = flipped - _flipped_by_parts(outcomes, items, base_outcome, flipped_by)
        for key in flipped:
            flipping.setdefault(key, []).append(items)
    spans_of = _number_spans(decision, outcomes, singles, varied, single)
    elements = []
    for key, label in keys:
        present = key in base_outcome
        minimal = flipping.get(key, [])
        sets = _merge(minimal, decision, outcomes)
        holds = _holds_within(decision, spans_of, key, present)
        fixed_by: tuple[str, ...] = ()
        if not sets:
            fixed_by = _facts(decision, key, varied)
        elements.append(_element(key, label, present, sets, holds, fixed_by, max_changes, decision))
    return WhatIfData(varied, max_changes, tuple(elements))


def _budget_parts(
    outcomes: _Outcomes, rest: Items, budget: int | None
) -> tuple[list[Any], frozenset[Any]]:
    """A representative of every part of every class of budgets (with the other assignments
    `rest`), and those of the part holding the current budget when nothing else changes: no
    change on their own, but with other changes their class splits anew (`_refine_budget`)."""
    question = outcomes.rulebase.question_by_id[BUDGET_QUESTION]
    found = []
    unchanged = set()
    for value in outcomes.rulebase.domains.representatives(question):
        for low, high, representative in outcomes.budget_ranges(rest, value):
            found.append(representative)
            if not rest and budget is not None and low <= budget <= high:
                unchanged.add(representative)
    return found, frozenset(unchanged)


def _refine_budget(outcomes: _Outcomes, chosen: Items, budget: int | None) -> list[Items]:
    """`chosen`, with a budget change replaced by one per part of its class that the ledger
    tells apart given the other changes (a single budget change is already a part)."""
    value = next((v for q, v in chosen if q == BUDGET_QUESTION), None)
    if value is None or budget is None or len(chosen) == 1:
        return [chosen]
    rest = frozenset(item for item in chosen if item[0] != BUDGET_QUESTION)
    return [
        rest | {(BUDGET_QUESTION, representative)}
        for low, high, representative in outcomes.budget_ranges(rest, value)
        if not low <= budget <= high
    ]


def _current(decision: Decision, qid: str) -> Any:
    value = decision.given.get(qid)
    return decision.answers.get(qid) if value is None else value


def _flipped_by_parts(
    outcomes: _Outcomes,
    items: Items,
    base_outcome: frozenset[str],
    known: dict[Items, frozenset[str]],
) -> frozenset[str]:
    """The elements that some strict part of `items` flips on its own (a part that leaves the
    answers incomplete flips nothing); each part's flips kept in `known`."""
    found: set[str] = set()
    members = tuple(items)
    for size in range(1, len(members)):
        for subset in itertools.combinations(members, size):
            part = frozenset(subset)
            flips = known.get(part)
            if flips is None:
                outcome = outcomes.of(part)
                flips = known[part] = frozenset() if outcome is None else outcome ^ base_outcome
            found |= flips
    return frozenset(found)


def class_range(question: Question, value: int, rulebase: RuleBase) -> tuple[int, int]:
    cuts = rulebase.domains.cuts.get(question.id, ())
    number_class = rulebase.domains.number_class(question.id, value)
    low_bound = question.minimum if question.minimum is not None else -(2**63)
    high_bound = question.maximum if question.maximum is not None else 2**63
    at, exact = divmod(number_class, 2)
    if exact:
        return cuts[at], cuts[at]
    low = cuts[at - 1] + 1 if at > 0 else low_bound
    high = cuts[at] - 1 if at < len(cuts) else high_bound
    return max(low, low_bound), min(high, high_bound)


def range_words(question: Question, low: int, high: int) -> str:
    unit = f" {question.unit}" if question.unit else ""
    low_bound = question.minimum if question.minimum is not None else None
    high_bound = question.maximum if question.maximum is not None else None
    if low == high:
        return f"{question.id} = {low:,}{unit}"
    if high == high_bound:
        return f"{question.id} at least {low:,}{unit}"
    if low == low_bound:
        return f"{question.id} at most {high:,}{unit}"
    return f"{question.id} from {low:,} to {high:,}{unit}"


def _merge(minimal: list[Items], decision: Decision, outcomes: _Outcomes) -> list[ChangeSet]:
    """Change sets in words; adjacent classes of a number question merged into one range when
    everything else in the sets is the same (with two number answers changed, each of them in
    turn, until nothing more merges)."""
    by_id = decision.rulebase.question_by_id
    plain: list[Items] = []
    spanned: list[tuple[Items, dict[str, _Span]]] = []
    for items in minimal:
        numbers = [(q, v) for q, v in items if by_id[q].kind == "int"]
        if not numbers:
            plain.append(items)
            continue
        spans = {}
        for qid, value in numbers:
            rest = frozenset(item for item in items if item[0] != qid)
            low, high = outcomes.range_of(rest, qid, value)
            spans[qid] = (low, high, value)
        fixed = frozenset(item for item in items if item[0] not in spans)
        spanned.append((fixed, spans))
    merging = True
    while merging:
        merging = False
        for qid in sorted({q for _, spans in spanned for q in spans}):
            spanned, merged = _merged_on(qid, spanned)
            merging = merging or merged
    sets = [_change_set(items, {}, decision, outcomes) for items in plain]
    for fixed, spans in spanned:
        items = fixed | {(qid, value) for qid, (_, _, value) in spans.items()}
        ranges = {qid: (low, high) for qid, (low, high, _) in spans.items()}
        sets.append(_change_set(items, ranges, decision, outcomes))
    return sorted(sets, key=lambda s: (len(s.changes), s.words))


_Span = tuple[int, int, Any]
"""A number answer's range in a change set, and the representative answer that stands for it."""


def _merged_on(
    qid: str, spanned: list[tuple[Items, dict[str, _Span]]]
) -> tuple[list[tuple[Items, dict[str, _Span]]], bool]:
    """The change sets with adjacent ranges of `qid` merged where all else is the same, and
    whether any were."""
    groups: dict[Any, list[tuple[Items, dict[str, _Span]]]] = {}
    out: list[tuple[Items, dict[str, _Span]]] = []
    for fixed, spans in spanned:
        if qid not in spans:
            out.append((fixed, spans))
            continue
        others = tuple(sorted((q, low, high) for q, (low, high, _) in spans.items() if q != qid))
        groups.setdefault((fixed, others), []).append((fixed, spans))
    merged_any = False
    for members in groups.values():
        members.sort(key=lambda member: member[1][qid][0])
        kept: list[tuple[Items, dict[str, _Span]]] = []
        for fixed, spans in members:
            low, high, _ = spans[qid]
            if kept and kept[-1][1][qid][1] + 1 == low:
                last = kept[-1][1]
                last[qid] = (last[qid][0], high, last[qid][2])
                merged_any = True
            else:
                kept.append((fixed, dict(spans)))
        out.extend(kept)
    return out, merged_any


def _change_set(
    items: Items, ranges: Mapping[str, tuple[int, int]], decision: Decision, outcomes: _Outcomes
) -> ChangeSet:
    rulebase = decision.rulebase
    order = {q.id: n for n, q in enumerate(rulebase.questions)}
    changes = []
    for qid, value in sorted(items, key=lambda item: order[item[0]]):
        question = rulebase.question_by_id[qid]
        newly = qid not in decision.given and qid not in decision.answers
        low = high = None
        if question.kind == "int":
            rest = frozenset(item for item in items if item[0] != qid)
            low, high = ranges.get(qid) or outcomes.range_of(rest, qid, value)
            words = range_words(question, low, high)
        else:
            words = f"{qid} = {question.format_value(value)}"
        if newly:
            words += " (newly asked)"
        changes.append(Change(qid, plain_answer(value, question), low, high, words, newly))
    return ChangeSet(tuple(changes), " and ".join(c.words for c in changes))


_Spans = list[tuple[str, tuple[int, int], list[tuple[tuple[int, int], list[Any]]]]]
"""Per varied number question answered: the range of its current answer, and per alternative
its range and the outcomes of that single change (with the questions it opens)."""


def _number_spans(
    decision: Decision,
    outcomes: _Outcomes,
    singles: Mapping[tuple[str, Any], list[frozenset[str] | None]],
    varied: Sequence[str],
    alternatives: Mapping[str, list[Any]],
) -> _Spans:
    """What `_holds_within` reads, the same for every element: worked out once per call."""
    rulebase = decision.rulebase
    found: _Spans = []
    for qid in varied:
        question = rulebase.question_by_id[qid]
        if question.kind != "int" or qid not in decision.answers:
            continue
        here = _here(outcomes, qid, decision.answers[qid])
        others = [
            (outcomes.range_of(frozenset(), qid, alternative), singles[(qid, alternative)])
            for alternative in alternatives[qid]
        ]
        found.append((qid, here, others))
    return found


def _holds_within(decision: Decision, spans_of: _Spans, key: str, present: bool) -> list[Range]:
    """For each varied number question: the range around the current answer in which one
    change of that answer alone keeps the element's presence (reported when it is bounded)."""
    rulebase = decision.rulebase
    found = []
    for qid, here, others in spans_of:
        question = rulebase.question_by_id[qid]
        spans = [(here, True)]
        for span, expansions in others:
            keeps = bool(expansions) and all(
                (key in (found or ())) == present for found in expansions
            )
            spans.append((span, keeps))
        spans.sort()
        at = spans.index((here, True))
        first = last = at
        while first > 0 and spans[first - 1][1]:
            first -= 1
        while last < len(spans) - 1 and spans[last + 1][1]:
            last += 1
        if first == 0 and last == len(spans) - 1:
            continue  # no single change of this answer changes the element
        low, high = spans[first][0][0], spans[last][0][1]
        state = "stays" if present else "stays out"
        found.append(Range(qid, low, high, f"{state} for any {range_words(question, low, high)}"))
    return found


def _here(outcomes: _Outcomes, qid: str, value: int) -> tuple[int, int]:
    """The range of answers the current one stands for (a part of its class, for a budget)."""
    if qid == BUDGET_QUESTION and outcomes.rulebase.ledger is not None:
        for low, high, _ in outcomes.budget_ranges(frozenset(), value):
            if low <= value <= high:
                return low, high
    return class_range(outcomes.rulebase.question_by_id[qid], value, outcomes.rulebase)


def _facts(decision: Decision, key: str, varied: Sequence[str]) -> tuple[str, ...]:
    """For an element of the advice, the facts among the minimal supporting answers of the rules
    that concluded it; otherwise the answers not varied that the rules that could conclude it
    (and their gates) read."""
    rulebase = decision.rulebase
    fired = [rule for rule in decision.fired if rule.then.key == key]
    if fired:  # present: the answers that support its rules (exact, minimal), facts only
        from advisor.analysis.support import minimal_support

        held: set[str] = set()
        for rule in fired:
            support = minimal_support(rule, decision.answers, rulebase)
            if not support:
                return (ALWAYS,)
            held |= set(support)
        return tuple(
            f"{q.id} = {q.format_value(decision.answers.get(q.id))}"
            for q in rulebase.questions
            if q.id in held and q.id not in varied and q.id in decision.answers
        )
    reads = _reads_by_key(rulebase).get(key, frozenset())
    facts = []
    for question in rulebase.questions:
        if question.id in reads and question.id not in varied:
            value = decision.answers.get(question.id)
            shown = "not asked" if value is None else question.format_value(value)
            facts.append(f"{question.id} = {shown}")
    return tuple(facts)


def _reads_by_key(rulebase: RuleBase) -> dict[str, frozenset[str]]:
    """Per element key, the questions that the rules that can conclude it read, with the
    questions their gates read in turn; worked out once per rule base."""
    from advisor.engine.compile import compiled

    shared = compiled(rulebase).shared_parts
    found: dict[str, frozenset[str]] | None = shared.get("whatif_reads")
    if found is not None:
        return found
    direct: dict[str, set[str]] = {}
    for rule in rulebase.rules:
        direct.setdefault(rule.then.key, set()).update(cond.questions_in(rule.when))
    found = {}
    for key, reads in direct.items():
        todo = list(reads)
        while todo:
            for source in cond.questions_in(rulebase.question_by_id[todo.pop()].asked_when):
                if source not in reads:
                    reads.add(source)
                    todo.append(source)
        found[key] = frozenset(reads)
    shared["whatif_reads"] = found
    return found


def _element(
    key: str,
    label: str,
    present: bool,
    sets: list[ChangeSet],
    holds: list[Range],
    fixed_by: tuple[str, ...],
    max_changes: int,
    decision: Decision,
) -> ElementWhatIf:
    action = "remove" if present else "add"
    if sets:
        words = f"{len(sets)} minimal change set(s) {action} {label}"
    else:
        state = "part of the advice" if present else "out of the advice"
        facts = (
            ", ".join(fixed_by)
            if fixed_by
            else "changeable answers only, which no change within the bound undoes"
        )
        words = (
            f"{label} is fixed {state}: no change of at most {max_changes} changeable "
            f"answer(s) {action}s it; {'held by' if present else 'the facts its rules read'}: "
            f"{facts}"
        )
    return ElementWhatIf(
        key, label, present, action, tuple(sets), tuple(holds), not sets, fixed_by, words
    )


def what_if(
    answers: Mapping[str, Any] | Any,
    target: str | Sequence[str] | None = None,
    *,
    vary: Iterable[str] = (),
    max_changes: int = 2,
    rulebase: RuleBase | None = None,
) -> WhatIfData:
    """What-if for `answers`: per outcome element (or only `target`: `fine_tuning`,
    `retriever:keyword`, `finding:ID` ...), every minimal set of at most `max_changes` changes
    of changeable answers (plus `vary`) that adds or removes it. Errors as `advisor.decide`."""
    from advisor.engine.decide import decide

    targets = [target] if isinstance(target, str) else target
    return what_if_decision(decide(answers, rulebase), targets, vary, max_changes)
