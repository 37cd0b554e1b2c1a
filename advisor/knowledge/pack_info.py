"""What a rule base records about the rule packs layered over it (plain data, no logic).

Kept apart from `advisor.knowledge.packs` (which reads and applies packs) so the rule base and
its disk cache can hold these records without importing the pack loader.
"""

from __future__ import annotations

from dataclasses import dataclass

from advisor.knowledge.rules import Rule

VERSION_TEXT = r"\d{1,18}(\.\d{1,18}){0,15}"
"""The form of a rule base's or a pack's version: numbers joined by dots (`requires` compares
them number by number), at most 16 numbers of at most 18 digits each."""


@dataclass(frozen=True)
class PackInfo:
    """A rule pack in force: its name, version and folder (as given)."""

    name: str
    version: str
    path: str


@dataclass(frozen=True)
class Change:
    """One explicit change a pack made to the rules under it, for `advisor lint`."""

    action: str
    """"override", "disable" or "severity"."""
    target: str
    """A rule id, a finding id or a kb section reference."""
    source: str
    """Where the pack asks for it: `file: line N, [[action]] ...`."""
    changed: bool
    """False: an override or severity that changes nothing."""
    before: Rule | None = None
    """The rule as it was (override, disable)."""


@dataclass(frozen=True)
class PackLayer:
    """What one pack added and changed."""

    info: PackInfo
    questions: tuple[str, ...]
    rules: tuple[str, ...]
    sections: tuple[str, ...]
    changes: tuple[Change, ...]
