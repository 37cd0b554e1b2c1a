"""Re-evaluate one decision record with the current rules: current or stale, and what changed.

Shared by the front ends that check records (`advisor check` over files, the MCP tool
`check_record` over a record's text): the record's embedded answers are run through the rule
base and the outcome is compared with the one recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase
    from advisor.services.records import Record


@dataclass(frozen=True, slots=True)
class RecordCheck:
    """The verdict on one record: `changes` lists the differences (empty when current)."""

    verdict: Literal["current", "stale"]
    rules_version: str
    """The recorded rules version, `-> current` appended when it differs, and the version of
    each rule pack in force, likewise."""
    changes: tuple[str, ...]
    notes: tuple[str, ...]


def check_record(record: Record, rulebase: RuleBase) -> RecordCheck:
    """Current or stale; a record whose answers no longer fit the questions is a RecordError."""
    from advisor.engine.decide import decide
    from advisor.errors import AnswersError
    from advisor.services.records import Outcome, RecordError, compare

    try:
        current = decide(record.answers, rulebase)
    except AnswersError as exc:
        problems = "; ".join(exc.problems)
        raise RecordError(
            record.source,
            f"the recorded answers do not fit the current questions ({problems}); "
            "fix them in the embedded llm-advisor:record block, then regenerate",
        ) from None
    notes = []
    if record.rules != rulebase.name:
        notes.append(
            f"note: recorded with the rule base '{record.rules}', checked with '{rulebase.name}'"
        )
    changes = compare(record.outcome, Outcome.of(current), rulebase.vocabulary)
    versions = f"rules {record.rules_version}"
    if record.rules_version != rulebase.version:
        versions += f" -> {rulebase.version}"
    recorded = {p.name: p.version for p in record.packs}
    for pack in rulebase.packs:
        versions += f", pack {pack.name} {recorded.get(pack.name, '?')}"
        if recorded.get(pack.name) != pack.version:
            versions += f" -> {pack.version}"
    verdict: Literal["current", "stale"] = "stale" if changes else "current"
    return RecordCheck(verdict, versions, tuple(changes), tuple(notes))


def record_packs(record: Record, in_force: RuleBase) -> list[str]:
    """The folders of the packs a record was made under: a pack in force of the same name, else
    the recorded folder; a pack found in neither is a RecordError naming it and the fix."""
    from pathlib import Path

    from advisor.knowledge.packs import PACK_FILE
    from advisor.services.records import RecordError

    by_name = {p.name: p.path for p in in_force.packs}
    folders = []
    for pack in record.packs:
        folder = by_name.get(pack.name, pack.path)
        if pack.name not in by_name and not (Path(folder) / PACK_FILE).is_file():
            raise RecordError(
                record.source,
                f"it was made with the rule pack '{pack.name}' {pack.version} (from "
                f"{pack.path}), which is not available here: pass --pack DIR, set "
                "ADVISOR_PACKS, or list it in [tool.llm-advisor] packs of pyproject.toml",
            )
        folders.append(folder)
    return folders


class RecordBases:
    """The rule base each record is checked with: the rules in force with the packs the record
    was made under (`record_packs`), each set of packs loaded once by `load` (the front end's
    own loader: the same --rules and --kb, other packs)."""

    def __init__(self, in_force: RuleBase, load: Callable[[list[str]], RuleBase]) -> None:
        self.load = load
        self.in_force = in_force
        self.bases: dict[tuple[str, ...], RuleBase] = {
            tuple(p.path for p in in_force.packs): in_force
        }

    def rulebase_for(self, record: Record) -> RuleBase:
        key = tuple(record_packs(record, self.in_force))
        if key not in self.bases:
            self.bases[key] = self.load(list(key))
        return self.bases[key]
