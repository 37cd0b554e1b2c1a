"""WHY: what one question can still change, and the outcome for each of its possible answers.

The decision graph (`knowledge.graph`) gives what the question can change at all: the questions
it opens or closes, the rules that read it (directly or through a question it opens) and their
conclusions. Given the answers so far, each class of the question's answers (every choice; for
a number, each range between the thresholds the rules use) is decided exactly, and its outcome
compared with the outcome for the current answer (or, when unanswered, the suggested one). With
partial answers, the questions the walk still needs are filled with their suggested answer (else
their default), and the result says which were assumed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.analysis.support import class_key
from advisor.errors import UsageError
from advisor.knowledge.answers import plain_answer

if TYPE_CHECKING:
    from advisor.engine.decision import Decision
    from advisor.knowledge.questions import Question
    from advisor.knowledge.rulebase import RuleBase

_MAX_FILL = 100


@dataclass(frozen=True, slots=True)
class ValueOutcome:
    """The outcome for one class of answers to the question."""

    value: Any
    """A representative answer (plain data)."""
    low: int | None
    high: int | None
    words: str
    current: bool
    techniques: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    """Element keys added or removed compared with the current (or suggested) answer."""
    rules_fired: tuple[str, ...]
    """Rules reading this question (directly or through a question it opens) that fire."""
    notes_fired: tuple[str, ...] = ()
    """Those of `rules_fired` that give a note (advice that is not a listed element)."""


@dataclass(frozen=True, slots=True)
class WhyData:
    question: str
    text: str
    why: str
    asked_when: str
    reached: bool
    """Whether the walk asks the question with the answers given (and the assumptions)."""
    current: Any
    current_words: str
    opens: tuple[str, ...]
    rules: tuple[str, ...]
    conclusions: tuple[str, ...]
    """From the decision graph: all the question can change at all."""
    live_rules: tuple[str, ...]
    """Of those rules, the ones whose firing depends on the question, given the other answers."""
    live_conclusions: tuple[str, ...]
    """The elements of the advice some answer to the question adds or removes."""
    values: tuple[ValueOutcome, ...]
    assumed: tuple[str, ...]
    """Unanswered questions filled in to decide (`id = answer (suggested|default)`)."""

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _fill(answers: dict[str, Any], rulebase: RuleBase, assumed: dict[str, str]) -> Decision:
    """Decide `answers`, filling every missing question the walk needs with its suggestion."""
    from advisor.engine.decide import decide_valid
    from advisor.engine.walk import walk

    for _ in range(_MAX_FILL):
        walked = walk(answers, rulebase)
        if not walked.missing:
            return decide_valid(answers, rulebase)
        needed = [q for q in walked.missing if q.id not in walked.maybe_needed]
        for question in needed or walked.missing[:1]:
            value, how = _suggestion(question, rulebase)
            answers[question.id] = value
            assumed.setdefault(
                question.id, f"{question.id} = {question.format_value(value)} ({how})"
            )
    raise UsageError("the walk keeps asking new questions; answer more of them")  # pragma: no cover


def _suggestion(question: Question, rulebase: RuleBase) -> tuple[Any, str]:
    from advisor.knowledge.answers import validate_answers

    for value, how in ((question.suggest, "suggested"), (question.default, "default")):
        if value is not None:
            clean = validate_answers({question.id: value}, rulebase)
            return clean[question.id], how
    return rulebase.domains.representatives(question)[0], "first choice"


def _merged(outcomes: list[ValueOutcome], question: Question) -> list[ValueOutcome]:
    """Adjacent number classes with the same outcome and the same rules fired, as one range."""
    from advisor.analysis.whatif import range_words

    merged: list[ValueOutcome] = []
    for outcome in outcomes:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.high is not None
            and outcome.low == last.high + 1
            and (last.techniques, last.added, last.removed, last.rules_fired)
            == (outcome.techniques, outcome.added, outcome.removed, outcome.rules_fired)
        ):
            assert last.low is not None and outcome.high is not None
            merged[-1] = dataclasses.replace(
                last,
                high=outcome.high,
                words=range_words(question, last.low, outcome.high),
                current=last.current or outcome.current,
                value=last.value if last.current or not outcome.current else outcome.value,
            )
        else:
            merged.append(outcome)
    return merged


def can_change(question_id: str, rulebase: RuleBase) -> tuple[list[str], list[str], list[str]]:
    """`DecisionGraph.can_change` (the question's descendants in the decision graph: questions
    whose gate reads it, transitively; the rules reading it or one of those; their
    conclusions), walked over the same edges without building the networkx graph, whose import
    alone would double the command's start-up. A test checks both agree on every question."""
    from advisor.knowledge import conditions as cond

    opened: list[str] = []
    reached = {question_id}
    for question in rulebase.questions:  # walk order: a gate reads only earlier questions
        if question.id not in reached and cond.questions_in(question.asked_when) & reached:
            reached.add(question.id)
            opened.append(question.id)
    rules = [r for r in rulebase.rules if cond.questions_in(r.when) & reached]
    return (
        [q.id for q in rulebase.questions if q.id in opened],
        [r.id for r in rules],
        sorted({r.then.key for r in rules}),
    )


def _classes(
    question: Question,
    given: Mapping[str, Any],
    current: Any,
    rulebase: RuleBase,
    assumed: dict[str, str],
) -> list[tuple[Any, int | None, int | None]]:
    """(answer to decide, low, high) per class of the question's answers. A number's class is
    split further where the latency ledger's outcome changes (for the budget it compares with),
    and the part holding the current answer is decided with the current answer itself."""
    from advisor.analysis.whatif import class_range
    from advisor.engine.ledger import breakpoints
    from advisor.knowledge.ledger import BUDGET_QUESTION

    found: list[tuple[Any, int | None, int | None]] = []
    for value in rulebase.domains.representatives(question):
        if question.kind != "int":
            found.append((value, None, None))
            continue
        low, high = class_range(question, value, rulebase)
        cuts: list[int] = []
        if question.id == BUDGET_QUESTION and rulebase.ledger is not None:
            decided = _fill({**given, question.id: value}, rulebase, assumed).ledger
            if decided is not None:
                planned = decided.planned
                cuts = sorted(c for c in breakpoints(planned, rulebase.ledger) if low < c <= high)
        starts = [low, *cuts]
        for n, start in enumerate(starts):
            end = starts[n + 1] - 1 if n + 1 < len(starts) else high
            inside = isinstance(current, int) and start <= current <= end
            found.append((current if inside else start, start, end))
    return found


def _keys(decision: Decision) -> set[str]:
    keys = set()
    for kind in decision.rulebase.vocabulary.kinds:
        if kind.field is None or kind.merge == "by_id":
            continue
        for value in decision.conclusions.get(kind.name, ()):
            keys.add(kind.name if kind.values == () else f"{kind.name}:{value}")
    keys |= {f"finding:{f.id}" for f in decision.findings}
    return keys


def why(
    question_id: str, answers: Mapping[str, Any] | Any = None, rulebase: RuleBase | None = None
) -> WhyData:
    """WHY `question_id` is asked and what each of its answers would give (see the module)."""
    from advisor.analysis.whatif import range_words
    from advisor.knowledge.answers import validate_answers
    from advisor.knowledge.loader import default_rulebase

    rulebase = rulebase or default_rulebase()
    question = rulebase.question_by_id.get(question_id)
    if question is None:
        raise UsageError(
            f"unknown question '{question_id}'; the questions are: "
            + ", ".join(q.id for q in rulebase.questions)
        )
    given = dict(validate_answers(answers or {}, rulebase))
    assumed: dict[str, str] = {}
    had_answer = question_id in given
    if not had_answer:
        value, how = _suggestion(question, rulebase)
        given[question_id] = value
        assumed[question_id] = f"{question_id} = {question.format_value(value)} ({how})"
    reference = _fill(dict(given), rulebase, assumed)
    status = reference.status_of(question_id)
    reached = status is not None and status.status in ("asked", "defaulted")
    current = given[question_id]
    reference_keys = _keys(reference)
    opens, rules, concluded = can_change(question_id, rulebase)
    vocabulary = rulebase.vocabulary
    conclusions = [
        key for key in concluded if vocabulary.kind(key.partition(":")[0]).field is not None
    ]
    rule_set = set(rules)
    note_rules = {r.id for r in rulebase.rules if vocabulary.kind(r.then.kind).field is None}
    domains = rulebase.domains
    outcomes = []
    fired_by_value: list[set[str]] = []
    for value, low, high in _classes(question, given, current, rulebase, assumed):
        trial = dict(given)
        trial[question_id] = value
        decision = _fill(trial, rulebase, assumed)
        keys = _keys(decision)
        fired = {r.id for r in decision.fired if r.id in rule_set}
        fired_by_value.append(fired)
        if low is not None and high is not None:
            words = range_words(question, low, high)
            is_current = low <= current <= high
        else:
            words = f"{question_id} = {question.format_value(value)}"
            is_current = class_key(question, value, domains) == class_key(
                question, current, domains
            )
        outcomes.append(
            ValueOutcome(
                plain_answer(value, question),
                low,
                high,
                words,
                is_current,
                decision.techniques,
                tuple(sorted(keys - reference_keys)),
                tuple(sorted(reference_keys - keys)),
                tuple(r for r in rules if r in fired),
                tuple(r for r in rules if r in fired and r in note_rules),
            )
        )
    if question.kind == "int":
        outcomes = _merged(outcomes, question)
    every = set.intersection(*fired_by_value) if fired_by_value else set()
    some = set.union(*fired_by_value) if fired_by_value else set()
    live = tuple(r for r in rules if r in some - every)
    return WhyData(
        question_id,
        question.text,
        question.why,
        question.asked_when_text,
        reached,
        plain_answer(current, question),
        question.format_value(current),
        tuple(opens),
        tuple(rules),
        tuple(conclusions),
        live,
        tuple(sorted({key for o in outcomes for key in (*o.added, *o.removed)})),
        tuple(outcomes),
        tuple(assumed[q.id] for q in rulebase.questions if q.id in assumed),
    )
