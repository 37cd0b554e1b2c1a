"""The latency ledger's data: `rules/latency.toml`, the stages a plan can spend its budget on.

Each `[[stage]]` is one step of serving a request (generating the answer, a retriever, a
re-ranker, query rewriting, chain-of-thought, a tool call, a guardrail pass...) with a typical
low-high range in milliseconds and the typical figure the ledger adds up, each backed by cited
knowledge-base figures. A stage is planned when the conclusion it names (`for`) is in the
decision and its `when` condition holds. Stages of one `group` run in parallel (the group costs
its slowest member); every other stage adds. An optional stage has a `drop` rank: when the
typical total exceeds the budget, optional stages are dropped in rank order until it fits, each
drop raising its `finding`. `[ledger]` names the finding raised when the kept stages still do not
fit. Like rules, the file is data: conditions are parsed into the same trees rules use.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from advisor.errors import ConditionError, RuleFileError
from advisor.knowledge import conditions as cond
from advisor.knowledge.tomlfile import id_lines, place, read_toml, table_problem
from advisor.vocabulary import SEVERITIES, Severity, Vocabulary

LEDGER_FILE = "latency.toml"
BUDGET_QUESTION = "latency_budget_ms"
"""The number question the ledger compares its total with; no ledger without it."""
MEASURE_QUESTION = "latency_measure"

_STAGE_KEYS = {
    "id",
    "label",
    "for",
    "when",
    "low",
    "typical",
    "high",
    "group",
    "drop",
    "swap",
    "finding",
    "severity",
    "because",
    "cite",
    "bounds",
}
MEASURES = ("full_response", "first_token", "first_audio")
"""What a latency budget can bound (`Stage.bounds`, and the answers of `latency_measure`)."""
_LEDGER_KEYS = {"finding", "severity", "because", "cite", "drop_cite", "swap_before"}
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
LEDGER_PLACEHOLDERS = frozenset(
    {"stage", "stage_low", "stage_typical", "stage_high", "total", "total_low", "total_high",
     "kept", "dropped", "budget"}
)  # fmt: skip
"""Names a ledger message may use besides question ids, filled with the ledger's numbers."""
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
MAX_MS = 86_400_000
MAX_STAGES = 64
"""The most stages a ledger may hold (the shipped one has 15): `advisor lint` splits the answer
space on every stage, so their number bounds its work."""


@dataclass(frozen=True, slots=True, eq=False)
class Stage:
    """One stage of serving a request, with its cost in milliseconds."""

    id: str
    label: str
    conclusion: str | None
    """The conclusion (`kind:value`, or a flag kind) that plans the stage; None: `when` alone."""
    when: cond.Node
    when_text: str
    low: int
    typical: int
    high: int
    group: str | None
    """Stages of one group run in parallel: the group costs its slowest member."""
    drop: int | None
    """Rank in the documented drop order (1 is dropped first); None: the stage is required."""
    finding: str | None
    severity: Severity | None
    because: str
    cite: tuple[str, ...]
    source: str
    swap: str | None = None
    """The id of a cheaper stage that replaces this one when the plan still exceeds the budget
    once the optional stages ranked before `LedgerRules.swap_before` (without it, every optional
    stage) are dropped: a hosted large model -> a small fast one."""
    bounds: str | None = None
    """What the budget bounds when this stage is planned (one of `MEASURES`): the plan's
    measure is that of its last planned stage that says, else the answer to latency_measure."""


@dataclass(frozen=True, slots=True)
class LedgerRules:
    """The stages, and the finding raised when the kept stages still exceed the budget."""

    stages: tuple[Stage, ...]
    finding: str | None
    """Raised when the kept stages still exceed the budget; None leaves that to the rules
    (`advisor lint` then proves a rule's `latency_*` finding covers every such case)."""
    severity: Severity | None
    because: str
    cite: tuple[str, ...]
    source: str
    drop_cite: tuple[str, ...] = ()
    """Cited, before the stage's own sections, by every finding a drop raises."""
    swap_before: int | None = None
    """The drop rank from which swapping (`Stage.swap`) comes first: a plan that still exceeds
    the budget once the stages ranked lower are dropped swaps before it drops any stage of this
    rank or later. None: the swap comes after every optional stage is dropped."""

    @property
    def drop_order(self) -> tuple[Stage, ...]:
        ranked = [s for s in self.stages if s.drop is not None]
        return tuple(sorted(ranked, key=lambda s: (s.drop, s.id)))

    @property
    def citations(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """(source, refs) pairs for the loader's citation check."""
        return (
            (self.source, (*self.cite, *self.drop_cite)),
            *((s.source, s.cite) for s in self.stages),
        )

    def stage(self, stage_id: str) -> Stage:
        return next(stage for stage in self.stages if stage.id == stage_id)

    @property
    def optional_ids(self) -> frozenset[str]:
        return frozenset(s.id for s in self.stages if s.drop is not None)


def load_ledger(
    path: Path,
    shapes: Mapping[str, cond.QuestionShape],
    definitions: Mapping[str, cond.Node],
    vocabulary: Vocabulary,
) -> LedgerRules | None:
    """The ledger of a rule folder, or None when it has no `latency.toml` (or no budget)."""
    if not path.is_file():
        return None
    if BUDGET_QUESTION not in shapes:
        raise RuleFileError(
            str(path), "", f"the latency ledger needs a number question '{BUDGET_QUESTION}'"
        )
    data, text = read_toml(path)
    unknown = set(data) - {"ledger", "stage"}
    if unknown:
        raise RuleFileError(
            str(path), "", f"unknown key(s) {', '.join(sorted(unknown))} (allowed: ledger, stage)"
        )
    head = data.get("ledger", {})
    problem = table_problem(head, "ledger", _LEDGER_KEYS)
    if problem:
        raise RuleFileError(str(path), "[ledger]", problem)
    assert isinstance(head, dict)
    checker = _Checker(str(path), "[ledger]", shapes)
    finding: str | None = None
    severity: Severity | None = None
    because = ""
    cite: tuple[str, ...] = ()
    drop_cite = checker.cite(head.pop("drop_cite")) if "drop_cite" in head else ()
    swap_before = head.pop("swap_before", None)
    if swap_before is not None and not _rank(swap_before):
        raise checker.fail("'swap_before' must be a drop rank from 1 to 1000")
    if head:
        for key in ("finding", "severity", "because", "cite"):
            if key not in head:
                raise checker.fail(f"'{key}' is required with a finding")
        finding = checker.ident(head["finding"], "finding")
        severity = checker.severity(head["severity"])
        because = checker.text(head["because"])
        cite = checker.cite(head["cite"])
    entries = data.get("stage", [])
    if not isinstance(entries, list) or not entries:
        raise RuleFileError(str(path), "", "stages are written as [[stage]] tables")
    if len(entries) > MAX_STAGES:
        raise RuleFileError(
            str(path), "", f"{len(entries)} stages, more than the limit of {MAX_STAGES}"
        )
    lines = id_lines(text)
    stages: list[Stage] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = place("stage", entry.get("id") if isinstance(entry, dict) else None, index, lines)
        stage = _stage(entry, _Checker(str(path), where, shapes), definitions, vocabulary)
        if stage.id in seen:
            raise RuleFileError(str(path), where, f"duplicate stage id '{stage.id}'")
        seen.add(stage.id)
        stages.append(stage)
    ids = {stage.id for stage in stages}
    for stage in stages:
        if stage.swap is not None and (stage.swap not in ids or stage.swap == stage.id):
            raise RuleFileError(
                str(path),
                stage.source.partition(": ")[2],
                f"'swap' = '{stage.swap}' names no other stage of the ledger",
            )
    return LedgerRules(
        tuple(stages), finding, severity, because, cite, f"{path}: [ledger]", drop_cite, swap_before
    )


def _rank(value: Any) -> bool:
    """Whether `value` is a drop rank: a whole number from 1 (dropped first) to 1000."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1000


def _stage(
    entry: Any,
    c: _Checker,
    definitions: Mapping[str, cond.Node],
    vocabulary: Vocabulary,
) -> Stage:
    problem = table_problem(entry, "stage", _STAGE_KEYS, ("id", "label"))
    if problem:
        raise c.fail(problem)
    for key in ("low", "typical", "high"):
        if key not in entry:
            raise c.fail(f"'{key}' is required: the stage's milliseconds")
    stage_id = c.ident(entry["id"], "id")
    conclusion = entry.get("for")
    if conclusion is not None:
        try:
            kind, value = vocabulary.parse(conclusion)
        except ValueError as exc:
            raise c.fail(f"for: {exc}") from None
        conclusion = kind if not value else f"{kind}:{value}"
    when_text = entry.get("when", "true")
    if not isinstance(when_text, str):
        raise c.fail("'when' must be a condition string")
    try:
        when = cond.parse(when_text, c.shapes, definitions)
    except ConditionError as exc:
        raise c.fail(f"when: {exc}") from None
    low, typical, high = (c.ms(entry[k], k) for k in ("low", "typical", "high"))
    if not low <= typical <= high:
        raise c.fail("needs low <= typical <= high")
    group = entry.get("group")
    if group is not None:
        group = c.ident(group, "group")
    drop = entry.get("drop")
    swap = entry.get("swap")
    bounds = entry.get("bounds")
    if bounds is not None and bounds not in MEASURES:
        raise c.fail(f"'bounds' must be one of: {', '.join(MEASURES)}")
    finding = severity = None
    because = ""
    if swap is not None:
        swap = c.ident(swap, "swap")
        if drop is not None or entry.get("for") is not None:
            raise c.fail("a stage with 'swap' is required: it has neither 'drop' nor 'for'")
        finding, severity, because = c.raised(entry, "a stage with 'swap'")
    elif drop is not None:
        if not _rank(drop):
            raise c.fail("'drop' must be a rank from 1 (dropped first) to 1000")
        finding, severity, because = c.raised(entry, "an optional stage (with 'drop')")
        if conclusion is None:
            raise c.fail("an optional stage needs 'for': the conclusion dropped with it")
    else:
        for key in ("finding", "severity", "because"):
            if key in entry:
                raise c.fail(f"'{key}' applies only to a stage with 'drop' or 'swap'")
    return Stage(
        id=stage_id,
        label=c.text(entry["label"]),
        conclusion=conclusion,
        when=when,
        when_text=when_text,
        low=low,
        typical=typical,
        high=high,
        group=group,
        drop=drop,
        swap=swap,
        finding=finding,
        severity=severity,
        because=because,
        cite=c.cite(entry.get("cite", [])),
        source=f"{c.path}: {c.where}",
        bounds=bounds,
    )


class _Checker:
    """Checks of single values, each error naming the file and the table."""

    def __init__(self, path: str, where: str, shapes: Mapping[str, cond.QuestionShape]) -> None:
        self.path, self.where, self.shapes = path, where, shapes

    def fail(self, message: str) -> RuleFileError:
        return RuleFileError(self.path, self.where, message)

    def ident(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not _ID.match(value):
            raise self.fail(f"'{key}' must be a lower_snake_case id")
        return value

    def raised(self, entry: dict[str, Any], what: str) -> tuple[str, Severity, str]:
        """The finding a drop or swap raises: its id, severity and message."""
        for key in ("finding", "severity", "because"):
            if key not in entry:
                raise self.fail(f"{what} needs '{key}' (the finding it raises)")
        return (
            self.ident(entry["finding"], "finding"),
            self.severity(entry["severity"]),
            self.text(entry["because"]),
        )

    def severity(self, value: Any) -> Severity:
        if value not in SEVERITIES:
            raise self.fail(f"'severity' must be one of: {', '.join(SEVERITIES)}")
        severity: Severity = value
        return severity

    def ms(self, value: Any, key: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_MS:
            raise self.fail(f"'{key}' must be a whole number of milliseconds (0 to {MAX_MS:,})")
        return value

    def text(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail("labels and messages must be non-empty strings")
        text = " ".join(value.split())
        for name in _PLACEHOLDER.findall(text):
            if name not in self.shapes and name not in LEDGER_PLACEHOLDERS:
                raise self.fail(
                    f"placeholder '{{{name}}}' is neither a question id nor one of "
                    f"{', '.join(sorted(LEDGER_PLACEHOLDERS))}"
                )
        return text

    def cite(self, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not all(isinstance(c, str) for c in value) or not value:
            raise self.fail("'cite' must list at least one 'kb/<file>.md#<anchor>' section")
        return tuple(value)
