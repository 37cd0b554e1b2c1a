"""`advisor lint` checks that only rule packs can fail (`advisor.knowledge.packs`).

Every other check of `advisor.analysis.lint` already runs over the layered rule base, so the
packs' rules are proved over the combined answer space like the shipped ones. These add:
- `pack-override-unchanged` (warning): an `[[override]]` or `[[severity]]` that changes nothing.
- `pack-disabled-needed` (error): a `[[disable]]`d rule was the only one concluding something
  other rules need (a technique whose sub-choices still fire, a kind a latency stage is for).
- `pack-unread-question` (warning): a question the pack adds that no rule reads.
- `pack-uncited-section` (warning): a kb section the pack adds that no rule or question cites.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.knowledge import conditions as cond

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase

Found = tuple[str, str, str, str, str | None]
"""(code, severity, message, source as `file: line N, ...`, rule or question id)."""


def pack_diagnostics(rulebase: RuleBase) -> Iterable[Found]:
    """The pack checks above, in pack order (nothing without packs)."""
    if not rulebase.layers:
        return
    rules = rulebase.rules
    concluded = {rule.then.key for rule in rules}
    read = set().union(*(cond.questions_in(rule.when) for rule in rules))
    cited = {ref for rule in rules for ref in rule.cite}
    cited |= {ref for q in rulebase.questions for ref in q.see}
    if rulebase.ledger is not None:
        cited |= {ref for _, refs in rulebase.ledger.citations for ref in refs}
    disabled: dict[str, list[str]] = {}  # per conclusion no rule left concludes: who gave it
    for layer in rulebase.layers:
        for change in layer.changes:
            if change.action == "disable" and change.before is not None:
                key = change.before.then.key
                if key not in concluded:
                    disabled.setdefault(key, []).append(change.target)
    for layer in rulebase.layers:
        for change in layer.changes:
            if not change.changed:
                yield (
                    "pack-override-unchanged",
                    "warning",
                    f"[[{change.action}]] of '{change.target}' changes nothing; remove it",
                    change.source,
                    change.target,
                )
            if change.action != "disable" or change.before is None:
                continue
            key = change.before.then.key
            if key in concluded:
                continue
            needs = _needing(rulebase, change.before.then.kind, change.before.then.value)
            if needs:
                yield (
                    "pack-disabled-needed",
                    "error",
                    f"disables '{change.target}', {_only(change.target, disabled[key])} "
                    f"concluding '{key}', which "
                    f"{', '.join(needs)} need{'s' if len(needs) == 1 else ''}; disable those "
                    "too, or [[override]] the rule's condition instead",
                    change.source,
                    change.target,
                )
        for qid in layer.questions:
            if qid not in read:
                yield (
                    "pack-unread-question",
                    "warning",
                    "the pack adds this question but no rule reads it, so its answer changes "
                    "no advice; use it in a rule's condition or remove it",
                    rulebase.question_by_id[qid].source,
                    qid,
                )
        for ref in layer.sections:
            section = rulebase.kb[ref]
            if section.level == 1 or ref in cited:
                continue
            page = Path(layer.info.path) / "kb" / section.file
            yield (
                "pack-uncited-section",
                "warning",
                f"nothing cites '{ref}'; cite it from a rule or question, or remove it",
                f"{page}: line {section.line}",
                None,
            )


def _needing(rulebase: RuleBase, kind: str, value: str) -> list[str]:
    """What needs the conclusion `kind:value`: rules of sub-choices (and notes) owned by a
    technique, latency stages planned for it."""
    needs: list[str] = []
    if kind == "technique":
        for rule in rulebase.rules:
            owner = rulebase.vocabulary.kind(rule.then.kind).owner
            if owner == value or (owner == "value" and rule.then.value == value):
                needs.append(f"rule '{rule.id}' ({rule.then.key})")
    if rulebase.ledger is not None:
        key = f"{kind}:{value}" if value else kind
        for stage in rulebase.ledger.stages:
            if stage.conclusion == key:
                needs.append(f"latency stage '{stage.id}'")
    return needs


def _only(target: str, together: list[str]) -> str:
    """`the only rule`, or how it was the only one together with the others disabled."""
    others = [rule for rule in together if rule != target]
    if not others:
        return "the only rule"
    return f"which with '{', '.join(others)}' (also disabled) were the only rules"
