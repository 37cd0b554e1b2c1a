"""Review: a team's proposed approach checked against the advice, as findings with stable ids.

The proposal (techniques, and optionally the sub-choices of any vocabulary kind: retrievers,
tactics, ...) is put in the `proposed` answer (when the rule base has that question), so the
finding rules that read the proposal fire (fine-tuning proposed for a knowledge gap is
`fine_tuning_does_not_add_knowledge`, high). Then every difference between the proposal and
the advice for those answers is a finding:

The baseline technique (prompt engineering) is part of every proposal.

- `review.proposal.<finding>`: a finding raised by a rule that reads the proposal;
- `review.missing_technique.<t>` / `review.unneeded_technique.<t>`;
- `review.missing_<kind>.<value>` / `review.unneeded_<kind>.<value>` for the kinds the proposal
  names (`review.missing_reranker` for a flag kind).

A missing element's severity follows its strength (`analysis.strength`): for a technique
essential -> high, recommended -> medium, optional -> low; for a sub-choice one step lower. An
unneeded technique is medium, an unneeded sub-choice low. Each finding carries a message, an
improvement step (for an unneeded element: the smallest change of plan that would make the
advice include it, from what-if), the citations of the rules behind it, and the answer it
concerns (for locations in SARIF and workflow annotations).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from advisor.errors import UsageError
from advisor.vocabulary import BASELINE, SEVERITIES

if TYPE_CHECKING:
    from advisor.analysis.explain import Element, ExplanationData
    from advisor.analysis.models import Review, ReviewFinding
    from advisor.analysis.whatif import ChangeSet
    from advisor.engine.decision import Decision
    from advisor.knowledge.rulebase import RuleBase

PROPOSED = "proposed"
_TECHNIQUE_SEVERITY = {"essential": "high", "recommended": "medium", "optional": "low"}
_SUB_SEVERITY = {"essential": "medium", "recommended": "low", "optional": "info"}


def parse_proposal(
    techniques: Iterable[str],
    rulebase: RuleBase,
    sub_choices: Mapping[str, Iterable[str]] | None = None,
) -> tuple[list[str], dict[str, list[str]]]:
    """Checked proposal: techniques and sub-choices per kind; UsageError names what is wrong."""
    vocabulary = rulebase.vocabulary
    allowed = vocabulary.kind("technique").values or ()
    chosen = [t.strip() for t in techniques if t.strip()]
    for technique in chosen:
        if technique not in allowed:
            raise UsageError(
                f"--proposal: unknown technique '{technique}' (allowed: {', '.join(allowed)})"
            )
    subs: dict[str, list[str]] = {}
    for name, values in (sub_choices or {}).items():
        kind = vocabulary.by_name.get(name)
        if kind is None or kind.field is None or kind.owner in (None, "value"):
            kinds = [k.name for k in vocabulary.kinds if k.owner in allowed and k.field]
            raise UsageError(f"unknown sub-choice kind '{name}' (allowed: {', '.join(kinds)})")
        picked = [v.strip() for v in values if v.strip()]
        if kind.values == ():
            if set(picked) - {"yes", "true", "no", "false"}:
                raise UsageError(f"{name}: a yes/no sub-choice takes yes or no")
            if set(picked) & {"yes", "true"} and set(picked) & {"no", "false"}:
                raise UsageError(f"{name}: proposed as both yes and no; give one")
            subs[name] = [""] if set(picked) & {"yes", "true"} else []
            continue
        repeated = sorted({v for v in picked if picked.count(v) > 1})
        if repeated:
            raise UsageError(f"{name}: '{repeated[0]}' is proposed twice; name it once")
        for value in picked:
            if kind.values and value not in kind.values:
                raise UsageError(
                    f"unknown {kind.label} '{value}' (allowed: {', '.join(kind.values)})"
                )
        subs[name] = picked
    for name in subs:
        owner = vocabulary.kind(name).owner
        if owner in allowed and owner != BASELINE and owner not in chosen and subs[name]:
            raise UsageError(
                f"{name} sub-choices are proposed without {owner}: add it to --proposal, "
                "or drop them"
            )
    return list(dict.fromkeys(chosen)), subs


def review_decision(
    decision: Decision,
    techniques: Sequence[str],
    sub_choices: Mapping[str, Sequence[str]] | None = None,
) -> Review:
    """The Review of a proposal against `decision`'s answers (see the module docstring)."""
    from advisor.analysis.explain import explain_decision
    from advisor.analysis.models import Review
    from advisor.engine.decide import decide_valid

    rulebase = decision.rulebase
    proposal, subs = parse_proposal(techniques, rulebase, sub_choices)
    if BASELINE not in proposal:
        proposal.insert(0, BASELINE)  # every approach starts from prompts and an evaluation set
    original = dict(decision.given)
    given = dict(original)
    if PROPOSED in rulebase.question_by_id:
        question = rulebase.question_by_id[PROPOSED]
        given[PROPOSED] = frozenset(t for t in proposal if t in question.values)
        decision = decide_valid(given, rulebase)
    explanation = explain_decision(decision, with_strength=True)
    findings = _proposal_findings(decision, original) + _differences(
        decision, explanation, proposal, subs
    )
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.id))
    return Review(
        proposal=tuple(proposal),
        sub_choices={k: tuple(v) for k, v in subs.items()},
        advised=decision.techniques,
        findings=tuple(findings),
    )


def review(
    answers: Mapping[str, Any] | Any,
    proposal: Sequence[str],
    *,
    sub_choices: Mapping[str, Sequence[str]] | None = None,
    rulebase: RuleBase | None = None,
) -> Review:
    """Review a proposed approach (`["rag", "fine_tuning"]`, optionally
    `sub_choices={"retriever": ["vector"]}`) against the advice for `answers`."""
    from advisor.engine.decide import decide

    if isinstance(proposal, str):
        proposal = proposal.split(",")
    return review_decision(decide(answers, rulebase), proposal, sub_choices)


def _finding(**fields: Any) -> ReviewFinding:
    from advisor.analysis.models import ReviewFinding

    return ReviewFinding(**fields)


def _proposal_findings(decision: Decision, given: Mapping[str, Any]) -> list[ReviewFinding]:
    """Findings raised by rules that read the proposal; located at the `proposed` answer when
    the answers hold one, else at the first other answer the rule rests on."""
    from advisor.analysis.explain import reason_text
    from advisor.analysis.support import minimal_support
    from advisor.knowledge import conditions as cond

    found = []
    for merged in decision.findings:
        rules = [r for r in merged.rules if PROPOSED in cond.questions_in(r.when)]
        if not rules:
            continue
        question: str | None = PROPOSED
        if PROPOSED not in given:
            support = minimal_support(rules[0], decision.answers, decision.rulebase)
            question = next((q for q in support if q != PROPOSED), None)
        found.append(
            _finding(
                id=f"review.proposal.{merged.id}",
                severity=merged.severity,
                message=" ".join(reason_text(r, decision) for r in rules),
                improvement=_proposal_fix(decision, merged.id),
                citations=tuple(dict.fromkeys(c for r in rules for c in r.cite)),
                question=question,
                rules=tuple(r.id for r in rules),
            )
        )
    return found


def _proposal_fix(decision: Decision, finding_id: str) -> str:
    """The smallest change of the proposal that clears the finding (from what-if), in words."""
    from advisor.analysis.whatif import what_if_decision

    data = what_if_decision(decision, [f"finding:{finding_id}"], max_changes=1)
    advised = set(decision.techniques)
    proposals = [
        list(change_set.changes[0].value)
        for change_set in (data.elements[0].change_sets if data.elements else ())
        if [c.question for c in change_set.changes] == [PROPOSED]
    ]
    if proposals:  # the advised mix if it clears the finding, else the fullest proposal
        best = max(proposals, key=lambda p: (set(p) == advised, len(set(p) & advised), len(p)))
        words = ", ".join(best) if best else "nothing yet"
        return f"Propose {words} instead: that clears this finding."
    return "Change the proposal as the message says, or record why the answers do not fit."


def _differences(
    decision: Decision,
    explanation: ExplanationData,
    proposal: list[str],
    subs: Mapping[str, list[str]],
) -> list[ReviewFinding]:
    vocabulary = decision.rulebase.vocabulary
    technique_kind = vocabulary.kind("technique")
    found = []
    for technique in decision.techniques:
        if technique not in proposal:
            element = explanation.element(f"technique:{technique}")
            assert element is not None
            found.append(_missing(decision, element, "technique", _TECHNIQUE_SEVERITY))
    for technique in proposal:
        if technique not in decision.techniques:
            found.append(
                _unneeded(decision, technique_kind.name, technique, technique_kind.words(technique))
            )
    for name, values in subs.items():
        kind = vocabulary.kind(name)
        advised = decision.conclusions.get(name, ())
        for value in advised:
            if value not in values:
                key = name if kind.values == () else f"{name}:{value}"
                element = explanation.element(key)
                assert element is not None
                found.append(_missing(decision, element, name, _SUB_SEVERITY))
        for value in values:
            if value not in advised:
                found.append(_unneeded(decision, name, value, kind.words(value)))
    return found


def _suffix(kind: str, value: str) -> str:
    return kind if not value else f"{kind}.{value}"


def _missing(
    decision: Decision, element: Element, kind: str, severities: Mapping[str, str]
) -> ReviewFinding:
    strength = element.strength or "recommended"
    first = element.rules[0] if element.rules else None
    reason = first.because if first is not None else "it is always part of the advice."
    question = next((a.question for r in element.rules for a in r.support), None)
    return _finding(
        id=f"review.missing_{_suffix(kind, element.value)}",
        severity=severities[strength],
        message=f"The advice includes {element.label} ({strength}), the proposal does not: "
        + reason,
        improvement=f"Add {element.label} to the plan"
        + (f" ({element.strength_reason})." if element.strength_reason else "."),
        citations=tuple(dict.fromkeys(c for r in element.rules for c in r.citations)),
        question=question,
        rules=tuple(r.id for r in element.rules),
    )


def _unneeded(decision: Decision, kind: str, value: str, label: str) -> ReviewFinding:
    from advisor.analysis.whatif import what_if_decision

    rulebase = decision.rulebase
    key = kind if not value else f"{kind}:{value}"
    concluding = [r for r in rulebase.rules if r.then.key == key]
    severity = "medium" if kind == "technique" else "low"
    improvement = f"Leave {label} out, or record why the answers do not capture the need."
    question = None
    if concluding:
        data = what_if_decision(decision, [key])
        element = data.elements[0]
        if element.change_sets:
            change = _nearest(element.change_sets, decision.answers)
            improvement += f" The advice would include it with {change.words}."
            question = change.changes[0].question
    return _finding(
        id=f"review.unneeded_{_suffix(kind, value)}",
        severity=severity,
        message=f"The proposal includes {label}, which the advice for these answers does not.",
        improvement=improvement,
        citations=tuple(dict.fromkeys(c for r in concluding[:2] for c in r.cite)),
        question=question,
        rules=tuple(r.id for r in concluding),
    )


def _nearest(change_sets: Sequence[ChangeSet], answers: Mapping[str, Any]) -> ChangeSet:
    """The change set nearest the present answers: the fewest changes, then (for a number) the
    range closest to the present answer, relative to it; the first of equals."""

    def distance(change_set: ChangeSet) -> tuple[int, float]:
        far = 0.0
        for change in change_set.changes:
            present = answers.get(change.question)
            if change.low is None and change.high is None:
                continue
            if not isinstance(present, int) or isinstance(present, bool):
                continue
            below = change.low - present if change.low is not None else 0
            above = present - change.high if change.high is not None else 0
            gap = max(below, above, 0)
            far += gap / max(abs(present), 1)
        return len(change_set.changes), far

    return min(change_sets, key=distance)


def fails(review: Review, fail_on: str) -> bool:
    """Whether a finding is at or above `fail_on` (high, medium, low)."""
    limit = SEVERITIES.index(fail_on)
    return any(SEVERITIES.index(f.severity) <= limit for f in review.findings)
