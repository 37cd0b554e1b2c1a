"""The state of one questionnaire session: answers so far, and what the walk needs next.

There is no question list here: every step asks the engine's walk which questions the answers
reach. The answers are `AnswerLayers` (`advisor.services.answers`): what was given before the
session (--set, --answers, a resumed partial file) and what is typed in it, the "questionnaire"
layer. Going back forgets the last answer; changing an answer leaves the answers the change makes
unreachable out of the walk (remembered as defaults, in case the user changes their mind again)
but keeps them in the layers, so a saved answers file still has them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from advisor.services.answers import PARTIAL, QUESTIONNAIRE, AnswerLayers, Layer

if TYPE_CHECKING:
    from advisor.engine.decide import Walk
    from advisor.knowledge.questions import Question
    from advisor.knowledge.rulebase import RuleBase


class Interview:
    """Answers keyed by question id (sets as frozensets, as `validate_answers` returns them).

    `answers` are the given answers the walk reaches (what the prompts and the review show);
    `layers.given()` every answer given, reached or not (what the files keep).
    """

    def __init__(
        self, rulebase: RuleBase, answers: AnswerLayers | Mapping[str, Any] | None = None
    ) -> None:
        self.rulebase = rulebase
        if not isinstance(answers, AnswerLayers):
            answers = AnswerLayers([Layer(QUESTIONNAIRE, QUESTIONNAIRE, answers or {})])
        self.layers = answers
        self.answers: dict[str, Any] = {}
        self.remembered: dict[str, Any] = {}
        self.unreached: set[str] = set()  # given, but out of the walk until answered again
        self.history: list[str] = []  # the order "back" undoes answers in, most recent last
        self._prune()
        # Answers typed in a questionnaire before (a resumed session) can be stepped back into
        # too; answers from --answers, --set or a record are not: Back never takes them away
        # (they are changed at the review).
        self.history = [q.id for q in self.answered() if self._typed_before(q.id)]

    def walk(self) -> Walk:
        from advisor.engine.decide import walk

        return walk(self.answers, self.rulebase)

    def next_question(self) -> Question | None:
        """The first reached question without an answer, in walk order.

        As `engine.next_question(..., include_optional=True)`, this also asks questions that
        have a default (optional questions such as `proposed`): a person should still get to
        answer them.
        """
        from advisor.engine.decide import first_open

        return first_open(self.walk(), self.rulebase)

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
        value = frozenset(value) if question.kind == "set" else value
        self.layers = self.layers.with_answer(QUESTIONNAIRE, question.id, value)
        self.unreached.discard(question.id)
        if question.id in self.history:
            self.history.remove(question.id)
        self.history.append(question.id)
        self._prune()

    def set_metadata(self, name: str, value: str | None) -> None:
        """A metadata answer (the project name) typed in the questionnaire; None: no answer."""
        if value is None:
            self.layers = self.layers.without(name)
        else:
            self.layers = self.layers.with_answer(QUESTIONNAIRE, name, value)
        self._prune()

    def _typed_before(self, qid: str) -> bool:
        source = self.layers.provenance(qid)
        return source is not None and source.layer in (QUESTIONNAIRE, PARTIAL)

    @property
    def can_go_back(self) -> bool:
        return bool(self.history)

    def back(self) -> Question | None:
        """Forget the most recent answer of this session; returns its question (None if none)."""
        if not self.history:
            return None
        qid = self.history.pop()
        self.remembered[qid] = self.answers.pop(qid)
        self.layers = self.layers.without(qid)
        return self.rulebase.question_by_id[qid]

    def answered(self) -> list[Question]:
        """The answered questions the walk reaches, in walk order (for the review)."""
        return [q for q in self.rulebase.questions if q.id in self.answers]

    def given(self) -> dict[str, Any]:
        """Every answer given so far, reached by the walk or not, metadata included."""
        return self.layers.given()

    def plain_answers(self) -> dict[str, Any]:
        """Answers for a file or the engine: every given answer in question order (reached or
        not), sets as lists in the question's value order, then the metadata (project, notes)."""
        from advisor.knowledge.answers import plain_answers

        return plain_answers(self.given(), self.rulebase)

    def _prune(self) -> None:
        """Take answers the walk no longer reaches out of `answers` (remembered as defaults for
        later; still given); the walk reads only reached answers, so one pass is enough."""
        given = self.given()
        self.answers = {k: v for k, v in given.items() if k not in self.unreached}
        for step in self.walk().statuses:
            if step.status == "ignored":
                self.unreached.add(step.id)
                self.remembered[step.id] = self.answers.pop(step.id)
                if step.id in self.history:
                    self.history.remove(step.id)
