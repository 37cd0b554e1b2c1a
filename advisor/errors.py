"""The project's own exceptions: each carries a message meant for a person.

The CLI turns `AdvisorError` into one clear message and exit code 2; anything else is a bug
(exit 3). Library callers can catch the specific subclasses.
"""

from __future__ import annotations


class AdvisorError(Exception):
    """Base class: a problem the user can fix (bad input, bad rule file, bad kb file)."""

    exit_code = 2


class UsageError(AdvisorError):
    """A command line that cannot work as given (a missing or conflicting option); exit code 2."""


SHOWN_PROBLEMS = 50
"""The most problems an answers error spells out (the rest are counted; `problems` has all)."""


class AnswersError(AdvisorError):
    """Answers that do not fit the questions (unknown id, wrong value or type, unreadable file).

    `problems` holds one human-readable line per problem, so callers can show them all at once.
    """

    heading = "problems in the answers"

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        where = f"{source}: " if source else ""
        if len(self.problems) == 1:
            text = f"{where}{self.problems[0]}"
        else:
            shown = self.problems[:SHOWN_PROBLEMS]
            text = f"{where}{len(self.problems)} {self.heading}:\n" + "\n".join(
                f"  - {p}" for p in shown
            )
            if len(self.problems) > len(shown):
                text += f"\n  ... and {len(self.problems) - len(shown)} more"
        super().__init__(text)

    def with_source(self, source: str) -> AnswersError:
        """The same problems, attributed to a file (front ends know the file, the engine not)."""
        return AnswersError(self.problems, source)


class MissingAnswersError(AnswersError):
    """Questions the walk reaches but that have no answer; `missing` lists their ids in order.
    `nothing_given`: no answer was given at all (an empty file), which the message says first."""

    heading = "answers are missing"

    def __init__(
        self, missing: list[tuple[str, str]], source: str | None = None, nothing_given: bool = False
    ) -> None:
        self.missing = [qid for qid, _ in missing]
        self.reasons = list(missing)
        self.nothing_given = nothing_given
        problems = [f"missing answer '{qid}': {why}" for qid, why in missing]
        if nothing_given:
            self.heading = "answers are needed, and none is given"
        super().__init__(problems, source)

    def with_source(self, source: str) -> MissingAnswersError:
        return MissingAnswersError(self.reasons, source, self.nothing_given)

    def given_nothing(self) -> MissingAnswersError:
        """The same error, saying that no answer was given at all."""
        return MissingAnswersError(self.reasons, self.source, nothing_given=True)


class RuleFileError(AdvisorError):
    """A rule or question file that cannot be used: names the file, the place and the fix."""

    def __init__(self, path: str, location: str, message: str) -> None:
        self.path = path
        self.location = location
        self.message = message
        place = f"{path}: {location}" if location else path
        super().__init__(f"{place}: {message}")


class TooComplexError(AdvisorError):
    """A rule base whose exact analyses (lint, what-if, WHY) would pass their work limit."""


class KnowledgeBaseError(RuleFileError):
    """A knowledge-base file (or a citation into it) that cannot be used."""


class ConditionError(AdvisorError):
    """A condition string that does not parse or does not type-check; `column` is 1-based."""

    def __init__(self, text: str, column: int, message: str) -> None:
        self.text = text
        self.column = column
        self.message = message
        super().__init__(f"{message} at column {column} in condition '{_excerpt(text, column)}'")


_EXCERPT = 60
"""How many characters of a long condition an error shows on each side of the column."""


def _excerpt(text: str, column: int) -> str:
    """A long condition cut down to the part around the column, so an error stays one line."""
    if len(text) <= 4 * _EXCERPT:
        return text
    start = max(column - 1 - _EXCERPT, 0)
    end = min(column - 1 + _EXCERPT, len(text))
    return f"{'...' if start else ''}{text[start:end]}{'...' if end < len(text) else ''}"


class OutputError(AdvisorError):
    """A file the user asked us to write cannot be written (a folder, a missing drive, ...)."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason} (name another file)")
