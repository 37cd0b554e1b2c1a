"""The state of one questionnaire session: answers so far, and what the walk needs next.

There is no question list here: every step asks the engine's walk which questions the answers
reach. Going back removes the last answer; changing an answer drops the answers the change makes
unreachable (they are remembered as defaults, in case the user changes their mind again).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.engine.decide import Walk
    from advisor.knowledge.questions import Question
    from advisor.knowledge.rulebase import RuleBase


class Interview:
    """Answers keyed by question id (sets as frozensets, as `validate_answers` returns them)."""

    def __init__(self, rulebase: RuleBase, answers: Mapping[str, Any] | None = None) -> None:
        self.rulebase = rulebase
        self.answers: dict[str, Any] = dict(answers or {})
        self.remembered: dict[str, Any] = {}
        self.history: list[str] = []  # the order "back" undoes answers in, most recent last
        self._prune()
        # Answers given before (a file, a resumed session) can be stepped back into too.
        self.history = [q.id for q in self.answered()]

    def walk(self) -> Walk:
        from advisor.engine.decide import walk

        return walk(self.answers, self.rulebase)

    def next_question(self) -> Question | None:
        """The first reached question without an answer, in walk order.

        Unlike `engine.next_question`, this also asks questions that have a default (new,
        optional questions such as `proposed`): a person should still get to answer them.
        """
        current = self.walk()
        pending = {step.id for step in current.statuses if step.status == "defaulted"}
        pending &= set(current.effective)
        if current.next is not None:
            pending.add(current.next.id)
        for question in self.rulebase.questions:
            if question.id in pending:
                return question
        return None

    def progress(self) -> tuple[int, int]:
        """(number of the question about to be asked, estimated total for these answers)."""
        current = self.walk()
        answered = sum(1 for key in current.effective if key in self.answers)
        defaulted = sum(1 for step in current.statuses if step.status == "defaulted")
        return answered + 1, answered + len(current.missing) + defaulted

    def default_for(self, question: Question) -> Any:
        """What the prompt pre-selects: the current answer, an earlier one, or the suggestion."""
        for source in (self.answers, self.remembered):
            if question.id in source:
                return source[question.id]
        if question.suggest is not None:
            return frozenset(question.suggest) if question.kind == "set" else question.suggest
        if question.has_default:
            return frozenset(question.default) if question.kind == "set" else question.default
        return None

    def answer(self, question: Question, value: Any) -> None:
        self.answers[question.id] = frozenset(value) if question.kind == "set" else value
        if question.id in self.history:
            self.history.remove(question.id)
        self.history.append(question.id)
        self._prune()

    @property
    def can_go_back(self) -> bool:
        return bool(self.history)

    def back(self) -> Question | None:
        """Forget the most recent answer of this session; returns its question (None if none)."""
        if not self.history:
            return None
        qid = self.history.pop()
        self.remembered[qid] = self.answers.pop(qid)
        return self.rulebase.question_by_id[qid]

    def answered(self) -> list[Question]:
        """The answered questions the walk reaches, in walk order (for the review)."""
        return [q for q in self.rulebase.questions if q.id in self.answers]

    def plain_answers(self) -> dict[str, Any]:
        """Answers for a file: question order, sets as lists in the question's value order,
        then the metadata fields (project, notes) if they were given."""
        from advisor.knowledge.answers import METADATA_FIELDS

        plain: dict[str, Any] = {}
        for question in self.rulebase.questions:
            if question.id in self.answers:
                value = self.answers[question.id]
                if question.kind == "set":
                    value = [v for v in question.values if v in value]
                plain[question.id] = value
        plain.update({key: self.answers[key] for key in METADATA_FIELDS if key in self.answers})
        return plain

    def _prune(self) -> None:
        """Drop answers the walk no longer reaches (remembered as defaults for later)."""
        for step in self.walk().statuses:
            if step.status == "ignored":
                self.remembered[step.id] = self.answers.pop(step.id)
                if step.id in self.history:
                    self.history.remove(step.id)
