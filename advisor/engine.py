"""The engine: walk the decision graph over the answers, fire the rules, build the advice.

`walk()` is the one place that decides which questions are reached; `next_question()` and
`advise()` both use it, so the questionnaire, the library and the CLI cannot disagree.
`fired_rules()` is the evaluation step on its own (effective answers in, the rules that fire
out, in rule order), for tools and benchmarks that need no explanation.

Speed (issue 6; see benchmarks/): the rule base's `rule_index` lets an evaluation test only the
rules an answer can fire, with shared sub-conditions evaluated once. Whatever depends on the rule
base alone (trace steps of skipped questions, of choice answers and of fired rules, sources,
reason templates) is built once per rule base and shared between results; shared pieces are
frozen models holding only strings, numbers, booleans or None, while anything holding a list is
built afresh for every call. Output models are assembled without re-validating what the engine
produced from a validated rule base (`_make`); a test checks that validating every result gives
an equal model.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel

from advisor import conditions as cond
from advisor._version import __version__
from advisor.answers import METADATA_FIELDS, validate_answers
from advisor.errors import MissingAnswersError
from advisor.models import (
    Finding,
    FineTuningPlan,
    PromptEngineeringPlan,
    RagPlan,
    RationaleItem,
    Recommendation,
    Source,
    TraceStep,
)
from advisor.questions import Question
from advisor.rulebase import RuleBase, default_rulebase
from advisor.rules import _PLACEHOLDER, PURPOSES, RETRIEVERS, SEVERITIES, TACTICS, TECHNIQUES, Rule

_M = TypeVar("_M", bound=BaseModel)
_new = object.__new__
_set = object.__setattr__
_SEVERITY_RANK = {s: n for n, s in enumerate(SEVERITIES)}
_ADDED_TECHNIQUES = tuple((t, f"technique:{t}") for t in TECHNIQUES if t != "prompt_engineering")
_TACTIC_KEYS = tuple((t, f"tactic:{t}") for t in TACTICS)
_RETRIEVER_KEYS = tuple((r, f"retriever:{r}") for r in RETRIEVERS)
_PURPOSE_KEYS = tuple((p, f"purpose:{p}") for p in PURPOSES)
_INT_STEPS_CACHED = 512  # distinct numbers per question whose "asked" step is kept for reuse


def _make(cls: type[_M], values: dict[str, Any], fields_set: set[str]) -> _M:
    """An output model from values the engine produced (what `model_construct` does, faster).

    `values` holds every field in declaration order; `fields_set` (a fresh set) names the fields
    a keyword constructor would have received, so `model_dump(exclude_unset=True)` is unchanged.
    If the models gained fields the engine does not fill, the keyword constructor is used.
    """
    if not _FAST:
        return cls(**{name: values[name] for name in values if name in fields_set})
    obj = _new(cls)
    _set(obj, "__dict__", values)
    _set(obj, "__pydantic_fields_set__", fields_set)
    _set(obj, "__pydantic_extra__", None)
    _set(obj, "__pydantic_private__", None)
    return obj


# The fields the engine fills, per output model: the fast path is used only while they match.
_FILLED: dict[type[BaseModel], set[str]] = {
    TraceStep: {"kind", "id", "value", "detail"},
    RationaleItem: {"text", "citations", "rule"},
    PromptEngineeringPlan: {"tactics", "rationale"},
    RagPlan: {"retrievers", "reranker", "rationale"},
    FineTuningPlan: {"purposes", "rationale"},
    Finding: {"id", "severity", "message", "citations", "rules"},
    Source: {"ref", "title", "page", "excerpt"},
    Recommendation: {
        "techniques", "prompt_engineering", "rag", "fine_tuning", "findings", "sources", "trace",
        "answers", "rules_version", "advisor_version",
    },
}  # fmt: skip
_FAST = all(set(model.model_fields) == names for model, names in _FILLED.items())


def _step(kind: str, qid: str, value: Any = None, detail: str = "") -> TraceStep:
    if kind == "skipped":
        names = {"kind", "id", "detail"}
    else:
        names = {"kind", "id", "value", "detail"} if detail else {"kind", "id", "value"}
    return _make(TraceStep, {"kind": kind, "id": qid, "value": value, "detail": detail}, names)


@dataclass
class Walk:
    """Which questions the answers reach: the effective answers and what is still missing."""

    effective: dict[str, Any] = field(default_factory=dict)
    steps: list[TraceStep] = field(default_factory=list)
    missing: list[Question] = field(default_factory=list)
    next: Question | None = None


# One question of the walk, with what the loop needs looked up once: (id, kind, allowed values,
# lower bound (fewest choices for a set), upper bound, gate or None when always asked, type of
# answers whose trace step is cached, the cache, and the rarely needed rest: (question, is a set
# question, has a default, step when skipped, step when defaulted or None for a set)).
_WalkEntry = tuple[
    str,
    str,
    frozenset[str],
    "int | None",
    "int | None",
    Any,
    "type | None",
    dict[Any, TraceStep],
    tuple[Question, bool, bool, TraceStep, "TraceStep | None"],
]
# One rule, for building the output: (id, conclusion key, rationale section or None, finding id
# or None, severity, because, template split at placeholders or None, citations, fired step).
_RuleEntry = tuple[
    str,
    str,
    "str | None",
    "str | None",
    Any,
    str,
    "tuple[str, ...] | None",
    tuple[str, ...],
    TraceStep,
]


@dataclass(frozen=True)
class _Plan:
    """What the output takes from the rule base alone, built once per rule base."""

    walk: tuple[_WalkEntry, ...]
    known: frozenset[str]
    ignored_detail: dict[str, str]
    rules: tuple[_RuleEntry, ...]
    set_questions: tuple[Question, ...]
    sources: dict[str, Source] = field(default_factory=dict)
    outlines: dict[tuple[int, ...], _Outline] = field(default_factory=dict)


_OUTLINES_KEPT = 4096  # distinct sets of fired rules whose outline is kept per rule base


@dataclass(frozen=True)
class _Outline:
    """Everything of a result that depends only on which rules fired (not on answer words).

    `sections` holds, for prompt engineering, RAG and fine-tuning, the rule entries giving its
    reasons (None for a plan the result leaves out); `findings` is sorted by severity, each as
    (id, severity, rule entries, citations, rule ids).
    """

    techniques: tuple[str, ...]
    tactics: tuple[str, ...]
    retrievers: tuple[str, ...]
    reranker: bool
    purposes: tuple[str, ...]
    sections: tuple[
        tuple[tuple[str, str, tuple[str, ...] | None, tuple[str, ...]], ...] | None, ...
    ]
    findings: tuple[
        tuple[
            str,
            Any,
            tuple[tuple[str, tuple[str, ...] | None], ...],
            tuple[str, ...],
            tuple[str, ...],
        ],
        ...,
    ]
    fired_steps: tuple[TraceStep, ...]
    sources: tuple[Source, ...]


_PLANS: dict[int, tuple[weakref.ref[RuleBase], _Plan]] = {}


def _plan(rulebase: RuleBase) -> _Plan:
    key = id(rulebase)
    entry = _PLANS.get(key)
    if entry is not None and entry[0]() is rulebase:
        return entry[1]
    plan = _build_plan(rulebase)
    _PLANS[key] = (weakref.ref(rulebase, lambda _: _PLANS.pop(key, None)), plan)
    return plan


def _build_plan(rulebase: RuleBase) -> _Plan:
    entries: list[_WalkEntry] = []
    for q, gate in rulebase.compiled_gates:
        cached: dict[Any, TraceStep] = {}
        kind: type | None = None
        if q.kind == "choice":
            kind, cached = str, {v: _step("asked", q.id, v) for v in q.values}
        elif q.kind == "bool":
            kind, cached = bool, {v: _step("asked", q.id, v) for v in (True, False)}
        elif q.kind == "int":
            kind = int
        defaulted = (
            _step("defaulted", q.id, q.default) if q.has_default and q.kind != "set" else None
        )
        skipped = _step("skipped", q.id, detail=f"asked only when {q.asked_when_text}")
        always = q.asked_when == cond.TRUE
        low = q.min_choices if q.kind == "set" else q.minimum
        rest = (q, q.kind == "set", q.has_default, skipped, defaulted)
        gate_or_none = None if always else gate
        entries.append(
            (q.id, q.kind, frozenset(q.values), low, q.maximum, gate_or_none, kind, cached, rest)
        )
    rules: list[_RuleEntry] = []
    for r in rulebase.rules:
        parts = tuple(_PLACEHOLDER.split(r.because))
        finding = r.then.value if r.then.kind == "finding" else None
        rules.append(
            (
                r.id,
                r.then.key,
                None if finding is not None else r.then.section,
                finding,
                r.severity,
                r.because,
                parts if len(parts) > 1 else None,
                r.cite,
                _step("fired", r.id, r.then.key, r.when_text),
            )
        )
    return _Plan(
        walk=tuple(entries),
        known=frozenset(q.id for q in rulebase.questions) | frozenset(METADATA_FIELDS),
        ignored_detail={
            q.id: f"not asked because this does not hold: {q.asked_when_text}"
            for q in rulebase.questions
        },
        rules=tuple(rules),
        set_questions=tuple(q for q in rulebase.questions if q.kind == "set"),
    )


def walk(answers: Mapping[str, Any], rulebase: RuleBase) -> Walk:
    """Visit the questions in graph order; a question is reached when its gate is true.

    A gate that is unknown (it reads an unanswered question) counts as reached for the purpose of
    reporting missing answers, so one error can list everything still needed.
    """
    walked = _walk(answers, rulebase, check=False)
    assert walked is not None
    return walked


def _walk(answers: Mapping[Any, Any], rulebase: RuleBase, check: bool) -> Walk | None:
    """`walk()`; with `check`, also validate each raw answer as `answers._plain_valid` does
    and return None at the first answer that is not plainly valid (the caller then runs the
    full validation, which words the errors). The fused pass is `advise()`'s hot path."""
    plan = _plan(rulebase)
    result = Walk()
    effective = result.effective
    steps = result.steps
    get = answers.get
    for qid, shape, values, low, high, gate, kind, cached, rest in plan.walk:
        value = get(qid)
        if check and value is not None:
            value_type = type(value)
            if shape == "choice":
                if value_type is not str or value not in values:
                    return None
            elif shape == "bool":
                if value_type is not bool:
                    return None
            elif shape == "int":
                if (
                    value_type is not int
                    or (low is not None and value < low)
                    or (high is not None and value > high)
                ):
                    return None
            else:
                if value_type is not list and value_type is not tuple:
                    return None
                for item in value:
                    if type(item) is not str or item not in values:
                        return None
                chosen = frozenset(value)
                if len(chosen) != len(value) or len(chosen) < (low or 0):
                    return None
                value = chosen
        reached = True if gate is None else gate(effective)
        if reached is False:
            question, _, _, skipped, _ = rest
            if value is None:
                steps.append(skipped)
            else:
                detail = plan.ignored_detail[qid]
                steps.append(_step("ignored", qid, _plain(value, question), detail))
            continue
        if value is None:
            question, is_set, has_default, _, defaulted = rest
            if not has_default:
                result.missing.append(question)
                if result.next is None and reached:
                    result.next = question
                continue
            value = question.default
            if is_set:
                value = frozenset(value)
                steps.append(_step("defaulted", qid, _plain(value, question)))
            else:
                steps.append(defaulted)  # type: ignore[arg-type]
        elif type(value) is kind:
            step = cached.get(value)
            if step is None:
                step = _step("asked", qid, value)
                if kind is int and len(cached) < _INT_STEPS_CACHED:
                    cached[value] = step
            steps.append(step)
        else:
            steps.append(_step("asked", qid, _plain(value, rest[0])))
        if reached:
            effective[qid] = value
    return result


def fired_rules(effective: Mapping[str, Any], rulebase: RuleBase) -> list[Rule]:
    """The rules whose condition is definitely true for the effective answers, in rule order.

    `effective` maps the reached question ids to answers (a set answer as a frozenset); this is
    the evaluation step of `advise()` without validation, walk or explanation.
    """
    rules = rulebase.rules
    return [rules[i] for i in _fired(effective, rulebase)]


def _fired(effective: Mapping[str, Any], rulebase: RuleBase) -> list[int]:
    """Positions of the rules that fire: candidates from the index, then their other tests."""
    index = rulebase.rule_index
    tests = index.tests
    memo: dict[int, bool | None] = {}
    return [
        i
        for i in index.candidates(effective)
        if (test := tests[i]) is None or test(effective, memo) is True
    ]


def next_question(
    partial_answers: Mapping[str, Any] | Any = None, rulebase: RuleBase | None = None
) -> Question | None:
    """The next question the walk needs, given the answers so far; None when none is left.

    Answers are validated first (AnswersError on an unknown id or value), so a front end can
    pass whatever the user typed and show the error.
    """
    rulebase = rulebase or default_rulebase()
    answers = validate_answers(partial_answers or {}, rulebase)
    return walk(answers, rulebase).next


def advise(answers: Mapping[str, Any] | Any, rulebase: RuleBase | None = None) -> Recommendation:
    """Recommend techniques for the answers (an `Answers` model or a plain mapping).

    Prompt engineering is always the baseline; RAG and fine-tuning are added when the rules find
    a context gap or a behaviour gap. Every reason cites knowledge-base sections, `findings` lists
    warnings by severity, and `trace` records the walk and the rules that fired, in order.

    Raises `AnswersError` for unknown ids or values, and `MissingAnswersError` (a subclass)
    listing every question the walk reaches that has no answer. Answers to questions the walk
    does not reach are accepted and ignored (the trace says so).
    """
    rulebase = rulebase or default_rulebase()
    data = answers.model_dump(exclude_unset=True) if isinstance(answers, BaseModel) else answers
    checked = _checked_walk(data, rulebase) if isinstance(data, Mapping) else None
    if checked is None:
        clean = validate_answers(data, rulebase)
        reached = walk(clean, rulebase)
    else:
        reached, clean = checked
    if reached.missing:
        raise MissingAnswersError([(q.id, f"{q.text} ({q.why})") for q in reached.missing])
    return _recommend(reached, rulebase, clean)


def _checked_walk(
    data: Mapping[Any, Any], rulebase: RuleBase
) -> tuple[Walk, dict[str, Any]] | None:
    """`walk(validate_answers(data))` in one pass for plainly valid answers, with the metadata
    answers; None for anything else (the caller falls back to the full validation)."""
    plan = _plan(rulebase)
    known = plan.known
    for key in data:
        if key not in known:
            return None
    meta: dict[str, Any] = {}
    for key in METADATA_FIELDS:
        value = data.get(key)
        if value is not None:
            if type(value) is not str:
                return None
            meta[key] = value
    walked = _walk(data, rulebase, check=True)
    if walked is None:
        return None
    return walked, meta


def _recommend(reached: Walk, rulebase: RuleBase, clean: Mapping[str, Any]) -> Recommendation:
    plan = _plan(rulebase)
    effective = reached.effective
    fired = tuple(_fired(effective, rulebase))
    outline = plan.outlines.get(fired)
    if outline is None:
        outline = _outline(fired, plan, rulebase)
    trace = list(reached.steps)
    trace += outline.fired_steps
    words: dict[str, str] = {}
    plans: list[list[RationaleItem] | None] = []
    for entries in outline.sections:
        if entries is None:
            plans.append(None)
            continue
        items = []
        for rid, because, template, cite in entries:
            text = because if template is None else _fill(template, effective, rulebase, words)
            if _FAST:
                item = _new(RationaleItem)
                _set(item, "__dict__", {"text": text, "citations": list(cite), "rule": rid})
                _set(item, "__pydantic_fields_set__", {"text", "citations", "rule"})
                _set(item, "__pydantic_extra__", None)
                _set(item, "__pydantic_private__", None)
            else:
                item = RationaleItem(text=text, citations=list(cite), rule=rid)
            items.append(item)
        plans.append(items)
    pe_items, rag_items, ft_items = plans
    findings = []
    for fid, severity, reasons, cites, rids in outline.findings:
        texts = [
            because if template is None else _fill(template, effective, rulebase, words)
            for because, template in reasons
        ]
        values = {"id": fid, "severity": severity, "message": " ".join(texts)}
        values["citations"] = list(cites)
        values["rules"] = list(rids)
        findings.append(_make(Finding, values, {"id", "severity", "message", "citations", "rules"}))
    pe = _make(
        PromptEngineeringPlan,
        {"tactics": list(outline.tactics), "rationale": pe_items},
        {"tactics", "rationale"},
    )
    rag = None
    if rag_items is not None:
        values = {"retrievers": list(outline.retrievers), "reranker": outline.reranker}
        values["rationale"] = rag_items
        rag = _make(RagPlan, values, {"retrievers", "reranker", "rationale"})
    fine_tuning = None
    if ft_items is not None:
        fine_tuning = _make(
            FineTuningPlan,
            {"purposes": list(outline.purposes), "rationale": ft_items},
            {"purposes", "rationale"},
        )
    return _make(
        Recommendation,
        {
            "techniques": list(outline.techniques),
            "prompt_engineering": pe,
            "rag": rag,
            "fine_tuning": fine_tuning,
            "findings": findings,
            "sources": list(outline.sources),
            "trace": trace,
            "answers": _used_answers(effective, clean, plan),
            "rules_version": rulebase.version,
            "advisor_version": __version__,
        },
        set(_FILLED[Recommendation]),
    )


def _outline(fired: tuple[int, ...], plan: _Plan, rulebase: RuleBase) -> _Outline:
    """The answer-independent shape of a result for a set of fired rules (kept for reuse)."""
    entries = [plan.rules[i] for i in fired]
    concluded = {entry[1] for entry in entries}
    techniques = ["prompt_engineering"]
    techniques += [t for t, key in _ADDED_TECHNIQUES if key in concluded]
    sections = tuple(
        tuple((e[0], e[5], e[6], e[7]) for e in entries if e[2] == t) if t in techniques else None
        for t in TECHNIQUES
    )
    collected: dict[str, list[Any]] = {}
    for entry in entries:
        rid, _, _, finding, severity, _, _, cite, _ = entry
        if finding is None:
            continue
        found = collected.get(finding)
        if found is None:
            collected[finding] = [severity, [entry], list(dict.fromkeys(cite)), [rid]]
            continue
        if _SEVERITY_RANK[severity or "info"] < _SEVERITY_RANK[found[0]]:
            found[0] = severity
        found[1].append(entry)
        found[2].extend(c for c in cite if c not in found[2])
        found[3].append(rid)
    findings = sorted(
        (
            (fid, severity, tuple((e[5], e[6]) for e in rules), tuple(cites), tuple(rids))
            for fid, (severity, rules, cites, rids) in collected.items()
        ),
        key=lambda f: _SEVERITY_RANK[f[1]],
    )
    refs = [c for part in sections if part for e in part for c in e[3]]
    refs += [c for f in findings for c in f[3]]
    outline = _Outline(
        techniques=tuple(techniques),
        tactics=tuple(t for t, key in _TACTIC_KEYS if key in concluded),
        retrievers=tuple(r for r, key in _RETRIEVER_KEYS if key in concluded),
        reranker="reranker" in concluded,
        purposes=tuple(p for p, key in _PURPOSE_KEYS if key in concluded),
        sections=sections,
        findings=tuple(findings),
        fired_steps=tuple(e[8] for e in entries),
        sources=tuple(_sources(plan, refs, rulebase)),
    )
    if len(plan.outlines) >= _OUTLINES_KEPT:
        plan.outlines.clear()
    plan.outlines[fired] = outline
    return outline


def _fill(
    template: tuple[str, ...],
    effective: Mapping[str, Any],
    rulebase: RuleBase,
    words: dict[str, str],
) -> str:
    """`because` with `{question_id}` replaced by the answer in words (`fill_placeholders`)."""
    parts = list(template)
    for n in range(1, len(parts), 2):
        name = parts[n]
        word = words.get(name)
        if word is None:
            question = rulebase.question_by_id.get(name)
            word = (
                "{" + name + "}" if question is None else question.format_value(effective.get(name))
            )
            words[name] = word
        parts[n] = word
    return "".join(parts)


def _sources(plan: _Plan, refs: list[str], rulebase: RuleBase) -> list[Source]:
    """The cited sections in order of first citation (shared, immutable Source models)."""
    known = plan.sources
    sources = []
    for ref in dict.fromkeys(refs):
        source = known.get(ref)
        if source is None:
            section = rulebase.kb[ref]
            values = {"ref": ref, "title": section.title, "page": section.page_title}
            values["excerpt"] = section.summary
            source = known[ref] = _make(Source, values, {"ref", "title", "page", "excerpt"})
        sources.append(source)
    return sources


def _used_answers(
    effective: Mapping[str, Any], clean: Mapping[str, Any], plan: _Plan
) -> dict[str, Any]:
    used = dict(effective)
    for question in plan.set_questions:
        value = used.get(question.id)
        if isinstance(value, frozenset):
            used[question.id] = [v for v in question.values if v in value]
    for key in METADATA_FIELDS:
        value = clean.get(key)
        if value is not None:
            used[key] = value
    return used


def _plain(value: Any, question: Question) -> Any:
    """Sets become lists in the question's own value order: JSON, and deterministic."""
    return [v for v in question.values if v in value] if isinstance(value, frozenset) else value
