"""`advisor lint`: checks that hold for every combination of answers, proved exactly.

Each check is one or more queries to `answer_space.Diagrams` ("is there any set of answers
such that ..."), so a check never samples: it finds a counter-example or proves there is none.
The method is described in `advisor.analysis.answer_space`: numbers are split at the thresholds
the rules use, every condition and the walk itself become reduced, shared multi-valued decision
diagrams over the questions, and a query is the conjunction of diagrams. Checking the shipped
rules takes well under a second, where enumerating their 10^8 combinations once per check
would take hours.

Checks (code, severity):
- `no-baseline` (error): some answers fire no `technique:prompt_engineering` rule, so the
  recommendation's baseline has no reason or citation.
- `orphan-retriever`, `orphan-reranker`, `orphan-purpose`, `orphan-tactic` (error): a sub-choice
  can fire while its technique (RAG, fine-tuning, prompt engineering) does not, so the advice
  would list a retriever without RAG, or its reason would be dropped.
- `orphan-note` (warning): a `note:<technique>` can fire without its technique; its reason is
  then silently left out of the recommendation.
- `dead-rule` (error): no answers make the rule fire.
- `unreached-read` (warning): for some answers the rule's condition is undetermined because it
  reads a question the walk did not reach there (an unreached question is unknown, and a rule
  fires only when its condition is definitely true): guard it with the question's `asked_when`
  or make sure that is intended.
- `unreachable-question` (warning): no answers make the walk ask the question.
- `unread-question` (warning): no rule and no gate reads the question (a decision-graph query),
  so its answer can change nothing.
- `finding-severity` (warning): rules raising the same finding disagree on its severity and can
  fire together (the highest wins); intended, but worth a look.
- `ledger-over-budget` (error): for some answers the latency ledger's kept stages exceed the
  budget and no latency finding says so (neither the ledger's own nor a rule's `latency_*`
  finding). Proved per pattern of planned stages the rules can produce, for every class of
  budgets and every budget at which the ledger's greedy drops change the outcome.
- `ledger-unplanned-stage` (warning): no answers plan the stage (no rule concludes what it is
  `for`, or its `when` never holds with it), so its figures are never used.
- `kb-page-unreviewed` (warning): a knowledge-base page without a real `Last reviewed:
  YYYY-MM-DD` date under its title.
- with rule packs, the checks of `advisor.analysis.pack_lint` (an override that changes nothing,
  a disabled rule others need, a pack question no rule reads, a pack kb section nothing cites).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.analysis.answer_space import NOT_TRUE, TRUE, UNKNOWN, UNREACHED, Diagrams, describe
from advisor.analysis.pack_lint import pack_diagnostics
from advisor.knowledge import conditions as cond
from advisor.vocabulary import TECHNIQUES

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase
    from advisor.knowledge.rules import Rule


# Sub-choice kinds and the technique whose plan they belong to.
_LINE = re.compile(r"line (\d+)")


@dataclass(frozen=True)
class Diagnostic:
    """One finding of the linter, as data (see `as_dict`) and as one line of text (`str`)."""

    code: str
    severity: str
    message: str
    file: str
    line: int | None
    rule: str | None

    @property
    def location(self) -> str:
        """`file:rule` (or `file:question`), with the line when known: `rules/rag.toml:12:x`."""
        parts = [self.file, str(self.line) if self.line else "", self.rule or ""]
        return ":".join(part for part in parts if part)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "location": self.location,
            "file": self.file,
            "line": self.line,
            "rule": self.rule,
        }

    def __str__(self) -> str:
        return f"{self.location}: {self.severity}: {self.code}: {self.message}"


@dataclass(frozen=True)
class Report:
    diagnostics: tuple[Diagnostic, ...]
    rules: int
    questions: int
    combinations: int
    queries: int
    nodes: int  # decision-diagram nodes built
    seconds: float

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "warning")


def lint(rulebase: RuleBase) -> Report:
    """Run every check over the whole answer space of `rulebase`."""
    started = time.perf_counter()
    checker = _Checker(rulebase)
    diagnostics = [
        *checker.baseline(),
        *checker.orphans(),
        *checker.dead_and_undetermined(),
        *checker.unreachable_questions(),
        *checker.unread_questions(),
        *checker.severities(),
        *checker.ledger(),
        *checker.kb_pages(),
        *(
            Diagnostic(code, severity, message, *_place(source), target)
            for code, severity, message, source, target in pack_diagnostics(rulebase)
        ),
    ]
    return Report(
        diagnostics=tuple(diagnostics),
        rules=len(rulebase.rules),
        questions=len(rulebase.questions),
        combinations=checker.finder.space.size(),
        queries=checker.queries,
        nodes=len(checker.finder.nodes),
        seconds=time.perf_counter() - started,
    )


class _Checker:
    def __init__(self, rulebase: RuleBase) -> None:
        self.rulebase = rulebase
        self.finder = Diagrams(rulebase)
        self.queries = 0
        self.graph = rulebase.graph
        by_id = {rule.id: rule for rule in rulebase.rules}
        # The rules concluding each technique: the decision graph's rule -> conclusion edges.
        self.techniques: dict[str, list[Rule]] = {
            technique: [by_id[rid] for rid in self.graph.concluding(f"technique:{technique}")]
            for technique in TECHNIQUES
        }

    def find(self, constraints: list[tuple[cond.Node, int]]) -> dict[str, Any] | None:
        self.queries += 1
        return self.finder.find(constraints)

    def where(self, witness: dict[str, Any]) -> str:
        return describe(witness, self.rulebase)

    def baseline(self) -> Iterable[Diagnostic]:
        owners = self.techniques.get("prompt_engineering", [])
        first = self.rulebase.rules[0]
        if not owners:
            yield _at(
                first,
                "no-baseline",
                "error",
                "no rule concludes 'technique:prompt_engineering': the baseline has no "
                'reason; add one with when = "true"',
                own=False,
            )
            return
        witness = self.find([(rule.when, NOT_TRUE) for rule in owners])
        if witness is not None:
            yield _at(
                owners[0],
                "no-baseline",
                "error",
                "no 'technique:prompt_engineering' rule fires when "
                f"{self.where(witness)}: the baseline has no reason there",
            )

    def orphans(self) -> Iterable[Diagnostic]:
        for rule in self.rulebase.rules:
            kind = self.rulebase.vocabulary.kind(rule.then.kind)
            if kind.owner == "value":  # a note: explains a technique other rules choose
                technique, severity, code = rule.then.value, "warning", f"orphan-{kind.name}"
            elif kind.owner is not None:
                technique, severity, code = kind.owner, "error", f"orphan-{kind.name}"
            else:
                continue
            if technique not in TECHNIQUES:  # a plan every recommendation has (evaluation)
                continue
            owners = self.techniques.get(technique, [])
            constraints = [(rule.when, TRUE)] + [(o.when, NOT_TRUE) for o in owners]
            witness = self.find(constraints)
            if witness is None:
                continue
            if severity == "error":
                message = (
                    f"'{rule.then.key}' fires without 'technique:{technique}' when "
                    f"{self.where(witness)}; require the technique's condition too"
                )
            else:
                message = (
                    f"'{rule.then.key}' fires without 'technique:{technique}' when "
                    f"{self.where(witness)}, so its reason is left out"
                )
            yield _at(rule, code, severity, message)

    def dead_and_undetermined(self) -> Iterable[Diagnostic]:
        for rule in self.rulebase.rules:
            if self.find([(rule.when, TRUE)]) is None:
                yield _at(
                    rule,
                    "dead-rule",
                    "error",
                    f"can never fire: no answers make '{rule.when_text}' true",
                )
                continue
            witness = self.find([(rule.when, UNKNOWN)])
            if witness is not None:
                unreached = [
                    qid
                    for qid in sorted(cond.questions_in(rule.when), key=self._position)
                    if witness.get(qid) is UNREACHED
                ]
                yield _at(
                    rule,
                    "unreached-read",
                    "warning",
                    f"reads {', '.join(unreached)}, which the walk does not ask when "
                    f"{self.where(witness)}; the condition is then undetermined and the "
                    "rule does not fire",
                )

    def unreachable_questions(self) -> Iterable[Diagnostic]:
        for question in self.rulebase.questions:
            if question.asked_when == cond.TRUE:
                continue
            if self.find([(question.asked_when, TRUE)]) is None:
                file, line = _place(question.source)
                yield Diagnostic(
                    "unreachable-question",
                    "warning",
                    f"never asked: no answers make '{question.asked_when_text}' true",
                    file,
                    line,
                    question.id,
                )

    def unread_questions(self) -> Iterable[Diagnostic]:
        by_id = self.rulebase.question_by_id
        for qid in self.graph.unread_questions():
            file, line = _place(by_id[qid].source)
            yield Diagnostic(
                "unread-question",
                "warning",
                "no rule and no question's asked_when reads it, so its answer changes nothing; "
                "use it in a rule or remove it",
                file,
                line,
                qid,
            )

    def severities(self) -> Iterable[Diagnostic]:
        by_finding: dict[str, list[Rule]] = {}
        for rule in self.rulebase.rules:
            if rule.then.kind == "finding":
                by_finding.setdefault(rule.then.value, []).append(rule)
        for rules in by_finding.values():
            for n, first in enumerate(rules):
                for second in rules[n + 1 :]:
                    if first.severity == second.severity:
                        continue
                    witness = self.find([(first.when, TRUE), (second.when, TRUE)])
                    if witness is not None:
                        yield _at(
                            second,
                            "finding-severity",
                            "warning",
                            f"raises '{second.then.value}' as {second.severity} while "
                            f"rule '{first.id}' raises it as {first.severity}, both when "
                            f"{self.where(witness)}",
                        )

    def kb_pages(self) -> Iterable[Diagnostic]:
        """Knowledge-base pages without a real `Last reviewed: YYYY-MM-DD` date: every page says
        when its figures were last checked against their sources."""
        import datetime

        first: dict[str, Any] = {}
        for section in self.rulebase.kb.values():
            first.setdefault(section.file, section)
        for file, section in sorted(first.items()):
            try:
                datetime.date.fromisoformat(section.reviewed)
                continue
            except ValueError:
                pass
            problem = (
                f"'Last reviewed: {section.reviewed}' is not a real date"
                if section.reviewed
                else "there is no 'Last reviewed: YYYY-MM-DD' line"
            )
            yield Diagnostic(
                "kb-page-unreviewed",
                "warning",
                f"{problem}: say under the title when the page's figures were last checked",
                f"kb/{file}",
                section.line,
                None,
            )

    def ledger(self) -> Iterable[Diagnostic]:
        rules = self.rulebase.ledger
        if rules is None:
            return
        from advisor.analysis.ledger_space import LedgerSpace

        space = LedgerSpace(self.rulebase, self.finder)
        for stage in space.unplanned():
            file, line = _place(stage.source)
            yield Diagnostic(
                "ledger-unplanned-stage",
                "warning",
                f"no answers plan stage '{stage.id}', so its figures are never used",
                file,
                line,
                stage.id,
            )
        problem = space.uncovered_excess()
        self.queries += space.queries
        if problem is not None:
            witness, budget, typical = problem
            file, line = _place(rules.source)
            yield Diagnostic(
                "ledger-over-budget",
                "error",
                f"with a {budget:,} ms budget the kept stages add up to {typical:,} ms and no "
                f"latency finding says so, when {self.where(witness)}; give [ledger] a "
                "'finding' or add a rule raising a latency_* finding there",
                file,
                line,
                None,
            )

    def _position(self, qid: str) -> int:
        return self.finder.position.get(qid, 0)


def _at(rule: Rule, code: str, severity: str, message: str, *, own: bool = True) -> Diagnostic:
    """A diagnostic located at `rule` (or only at its file when `own` is false)."""
    file, line = _place(rule.source)
    return Diagnostic(
        code, severity, message, file, line if own else None, rule.id if own else None
    )


def _place(source: str) -> tuple[str, int | None]:
    """`/abs/rules/rag.toml: line 12, rule 'x'` -> (`rules/rag.toml`, 12), relative to cwd."""
    path, _, where = source.partition(": ")
    match = _LINE.search(where)
    shown = path
    with contextlib.suppress(ValueError, OSError):
        shown = str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    return shown, int(match.group(1)) if match else None


__all__ = ["Diagnostic", "Report", "lint"]
