"""The decision record: a MADR 4 document an architect can commit next to the code.

Layout (MADR 4.0.0): YAML front matter (status, date, advisor and rule base versions), then
Context and Problem Statement, Decision Drivers, Considered Options, Decision Outcome (with
Consequences and Confirmation), Pros and Cons of the Options, More Information, and finally the
machine-readable block of `advisor.services.records` (answers and outcome, in an HTML comment).

Every sentence is drawn from the recommendation (reasons, sub-choices, findings, kb excerpts) or
from the question data; the few fixed phrases are per technique, never per case. Text that is not
ours (project name, notes, and data from a custom rule base) is escaped so it cannot open a
heading, a list, a code block, an HTML comment or a link, and the output depends only on its
inputs and the date (`date=`, else `SOURCE_DATE_EPOCH`, else today).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from advisor.render.mermaid import render_mermaid
from advisor.render.path import conclusion_label, decision_path
from advisor.render.text import SHORT_NAMES, TECHNIQUE_NAMES, humanize
from advisor.services.records import FrontMatterEntry, RecordError, embed

if TYPE_CHECKING:
    from advisor.knowledge.rulebase import RuleBase
    from advisor.models import RationaleItem, Recommendation

DEFAULT_STATUS = "proposed"
OPTIONS: tuple[tuple[str, ...], ...] = (
    ("prompt_engineering",),
    ("prompt_engineering", "rag"),
    ("prompt_engineering", "fine_tuning"),
    ("prompt_engineering", "rag", "fine_tuning"),
)
# Keys this renderer writes; any other front-matter key of a regenerated record is kept.
_OWN_KEYS = ("status", "date", "advisor-version", "rules", "rules-version")
# What leaving a technique out saves, and what adopting a technique or sub-choice costs: fixed
# per technique (never per case), each backed by a kb section when the kb has it.
_SAVINGS = {
    "rag": "it needs no retrieval pipeline (index, retrievers, freshness checks)",
    "fine_tuning": "it needs no training data, training runs or tuned model to maintain",
}
_COSTS = {
    "rag": (
        "a retrieval pipeline must be built, kept fresh and evaluated, and retrieval adds time "
        "to every request",
        "kb/latency-and-cost.md#where-the-milliseconds-go",
    ),
    "fine_tuning": (
        "training data must be curated, and the tuned model re-evaluated and retrained whenever "
        "the base model or the data changes",
        "kb/evaluation.md#evaluating-a-fine-tuned-model",
    ),
    "tactic:chain_of_thought": (
        "chain-of-thought adds output tokens and time to every answer",
        "kb/latency-and-cost.md#chain-of-thought-costs-tokens-and-time",
    ),
    "reranker": (
        "the re-ranker adds a model call to the latency of every request",
        "kb/retrieval.md#re-ranking-to-a-top-k",
    ),
}
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<|~$#])|&(?=#?[A-Za-z0-9]+;)")
_LINE_START = re.compile(r"^(?:([-+=>])|(\d+)([.)]))")
_URL_UNSAFE = re.compile(r"[\s<>\"'()\\`]")
_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff]")
_SEP = "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}"  # between page and section titles
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# --------------------------------------------------------------------------- escaping


def _clean(text: str) -> str:
    """Drop control and format characters (keeping line breaks and tabs as whitespace)."""
    return "".join(
        " " if ch == "\t" else ch
        for ch in str(text)
        if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
    )


def inline(text: str) -> str:
    """Text safe inside a markdown paragraph, list item or heading: one line, markup escaped."""
    flat = " ".join(_clean(text).split())
    return _INLINE_SPECIAL.sub(lambda m: "\\" + (m.group(1) or "&"), flat)


def block(text: str) -> list[str]:
    """Multi-line text as safe markdown lines (blank lines kept as paragraph breaks)."""
    lines: list[str] = []
    for raw in _clean(text).splitlines():
        line = inline(raw)
        match = _LINE_START.match(line)
        if match and match.group(1):
            line = "\\" + line
        elif match:
            line = f"{match.group(2)}\\{line[len(match.group(2)) :]}"
        if line or (lines and lines[-1]):
            lines.append(line)
    while lines and not lines[-1]:
        lines.pop()
    return lines


def code(text: str) -> str:
    """A code span that holds any text (the fence is longer than any backtick run inside)."""
    flat = " ".join(_clean(text).split())
    fence = "`" * (max((len(r) for r in re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def yaml_string(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax, with YAML's non-printables escaped)."""
    quoted = json.dumps(str(text), ensure_ascii=False)
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def lower_first(text: str) -> str:
    """`The model needs` -> `the model needs`, but `RAG needs` stays (an acronym)."""
    word = text.split(" ", 1)[0]
    if len(word) > 1 and not word[1:].islower():
        return text
    return text[:1].lower() + text[1:]


# --------------------------------------------------------------------------- inputs


def record_date(date: str | None = None) -> str:
    """`date` (YYYY-MM-DD), else the UTC day of `SOURCE_DATE_EPOCH`, else today."""
    if date is not None:
        try:
            if not _DATE.match(date):
                raise ValueError
            return dt.date.fromisoformat(date).isoformat()
        except ValueError:
            raise RecordError("--date", f"'{date}' is not a date of the form YYYY-MM-DD") from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise RecordError(
                "SOURCE_DATE_EPOCH",
                f"'{epoch}' is not a whole number of seconds since 1970-01-01 UTC",
            ) from None
    return dt.date.today().isoformat()


def check_base_url(url: str | None) -> str | None:
    """The kb base URL with a trailing slash; it must be usable as a markdown link target."""
    if url is None or not url.strip():
        return None
    if _URL_UNSAFE.search(url):
        raise RecordError(
            "--kb-base-url",
            f"'{url}' must be a URL or relative path without spaces, quotes, brackets or "
            "backslashes",
        )
    return url if url.endswith("/") else url + "/"


# --------------------------------------------------------------------------- the document


class _Writer:
    """Shared state of one rendering: the rule base, the kb base URL, the cited refs."""

    def __init__(self, recommendation: Recommendation, rulebase: RuleBase, base_url: str | None):
        self.rec = recommendation
        self.rulebase = rulebase
        self.base_url = base_url
        self.extra_refs: list[str] = []
        self.conclusion_of = {s.id: str(s.value) for s in recommendation.trace if s.kind == "fired"}
        self.path = decision_path(recommendation, rulebase)  # drivers and flowchart share it

    def ref(self, ref: str) -> str:
        """A kb section id: a link under the base URL when given, else the id as code."""
        if self.base_url is None:
            return code(ref)
        rest = ref.removeprefix("kb/")
        page, _, anchor = rest.partition("#")
        target = (
            self.base_url
            + quote(page, safe="/")
            + ("#" + quote(anchor, safe="-_") if anchor else "")
        )
        return f"[{code(ref)}]({target})"

    def refs(self, refs: Sequence[str]) -> str:
        return f" ({', '.join(self.ref(r) for r in refs)})" if refs else ""

    def known(self, ref: str) -> bool:
        return ref in self.rulebase.kb

    def cite_extra(self, ref: str) -> str:
        """Cite a section the rules did not cite (confirmation, costs) when the kb has it."""
        if not self.known(ref):
            return ""
        if ref not in self.extra_refs and all(s.ref != ref for s in self.rec.sources):
            self.extra_refs.append(ref)
        return self.refs([ref])

    def reasons(self, technique: str) -> list[RationaleItem]:
        """The reasons of the rules that concluded `technique:<technique>` (why it is adopted)."""
        key = f"technique:{technique}"
        return [i for i in self.rationale(technique) if self.conclusion_of.get(i.rule) == key]

    def rationale(self, technique: str) -> list[RationaleItem]:
        """Every reason given for a technique and its sub-choices (empty if not adopted)."""
        rec = self.rec
        plan = {
            "prompt_engineering": rec.prompt_engineering,
            "rag": rec.rag,
            "fine_tuning": rec.fine_tuning,
        }
        chosen = plan.get(technique)
        return list(chosen.rationale) if chosen is not None else []


def render_markdown(
    recommendation: Recommendation,
    rulebase: RuleBase | None = None,
    *,
    date: str | None = None,
    kb_base_url: str | None = None,
    front_matter: Sequence[FrontMatterEntry] = (),
) -> str:
    """The decision record for a recommendation.

    `date` is the record's date (YYYY-MM-DD; default `SOURCE_DATE_EPOCH`, else today).
    `kb_base_url` makes kb section ids links (e.g. `https://github.com/o/r/blob/main/kb/`);
    without it they are plain ids and the cited excerpts are quoted in the record.
    `front_matter` holds entries of an earlier version of the record (`services.records`): its
    status, decision-makers and any other keys the team added are kept.
    """
    if rulebase is None:
        from advisor.knowledge.loader import default_rulebase

        rulebase = default_rulebase()
    base_url = check_base_url(kb_base_url)
    w = _Writer(recommendation, rulebase, base_url)
    body = [
        *_title(w),
        *_context(w),
        *_drivers(w),
        *_considered(w),
        *_outcome(w),
        *_consequences(w),
        *_confirmation(w),
        *_pros_and_cons(w),
        *_more_information(w),
    ]
    parts = [
        _front_matter(w, record_date(date), front_matter),
        "\n".join(body).rstrip("\n") + "\n",
        embed(recommendation, rulebase.name, base_url),
    ]
    return "\n".join(parts)


def _front_matter(w: _Writer, date: str, kept: Sequence[FrontMatterEntry]) -> str:
    status = next((e for e in kept if e.key == "status"), None)
    lines = ["---", *(status.lines if status else [f"status: {DEFAULT_STATUS}"]), f"date: {date}"]
    for entry in kept:
        if entry.key not in _OWN_KEYS:
            lines.extend(entry.lines)
    lines += [
        f"advisor-version: {yaml_string(w.rec.advisor_version)}",
        f"rules: {yaml_string(w.rulebase.name)}",
        f"rules-version: {yaml_string(w.rec.rules_version)}",
        "---",
    ]
    return "\n".join(lines) + "\n"


def option_title(techniques: Sequence[str]) -> str:
    if tuple(techniques) == ("prompt_engineering",):
        return "Prompt engineering alone"
    names = " + ".join(SHORT_NAMES[t] for t in techniques)
    return names[:1].upper() + names[1:]


def _project(w: _Writer) -> str:
    project = w.rec.answers.get("project")
    return inline(project) if isinstance(project, str) and project.strip() else ""


def _title(w: _Writer) -> list[str]:
    project = _project(w)
    target = project or "the LLM application"
    return [f"# Use {lower_first(option_title(w.rec.techniques))} for {target}", ""]


def _context(w: _Writer) -> list[str]:
    subject = _project(w) or "This LLM application"
    lines = [
        "## Context and Problem Statement",
        "",
        f"{subject} needs a way to adapt a large language model to its task. Should the team rely "
        "on prompt engineering alone, or add retrieval-augmented generation (RAG), fine-tuning, "
        "or both? The decision depends on what the model must know and how it must behave, on "
        "the latency budget and the depth of reasoning, and on the examples, data and model "
        "access available.",
        "",
    ]
    notes = w.rec.answers.get("notes")
    if isinstance(notes, str) and block(notes):
        lines += ["Notes from the team:", ""]
        lines += [f"> {line}" if line else ">" for line in block(notes)]
        lines.append("")
    return lines


def _answer_words(w: _Writer, qid: str, value: Any) -> str:
    question = w.rulebase.question_by_id.get(qid)
    if question is None:
        return str(value)
    if question.kind == "choice" and isinstance(value, str):
        return question.label_of(value)
    if question.kind == "set" and isinstance(value, list):
        return ", ".join(question.label_of(v) for v in question.values if v in value) or "None"
    words = question.format_value(value)
    return words.capitalize() if question.kind == "bool" else words


def _conclusion_words(key: str) -> str:
    kind, _, value = key.partition(":")
    return f"finding {code(value)}" if kind == "finding" else inline(conclusion_label(key))


def _drivers(w: _Writer) -> list[str]:
    path = w.path
    lines = ["## Decision Drivers", ""]
    for answered in path.answered:
        question = w.rulebase.question_by_id.get(answered.id)
        text = inline(question.text) if question else code(answered.id)
        words = inline(_answer_words(w, answered.id, answered.value))
        default = " (default)" if answered.defaulted else ""
        led = [_conclusion_words(c) for c in path.leads_to(answered.id)]
        leads = f" → {', '.join(led)}" if led else ""
        lines.append(f"* {text} **{words}**{default}{leads}")
    lines += [
        "",
        f"{len(path.answered)} questions answered, {len(path.fired)} rules fired; an arrow shows "
        "what an answer led to, and the decision path is drawn under More Information.",
        "",
    ]
    return lines


def _considered(w: _Writer) -> list[str]:
    return ["## Considered Options", "", *(f"* {option_title(o)}" for o in OPTIONS), ""]


def _plan_line(w: _Writer, technique: str) -> str:
    rec = w.rec
    name = f"**{TECHNIQUE_NAMES[technique]}**"
    if technique == "prompt_engineering":
        tactics = ", ".join(humanize(t) for t in rec.prompt_engineering.tactics)
        return f"{name}, tactics: {tactics or 'none'}."
    if technique == "rag" and rec.rag is not None:
        retrievers = ", ".join(humanize(r) for r in rec.rag.retrievers) or "none"
        return (
            f"{name}, retrievers: {retrievers}; re-ranker: {'yes' if rec.rag.reranker else 'no'}."
        )
    purposes = ", ".join(humanize(p) for p in rec.fine_tuning.purposes) if rec.fine_tuning else ""
    return f"{name}, for: {purposes or 'behaviour'}."


def _outcome(w: _Writer) -> list[str]:
    rec = w.rec
    lines = [
        "## Decision Outcome",
        "",
        f'Chosen option: "{option_title(rec.techniques)}", because the answers call for it for the '
        "reasons below, each backed by the cited knowledge-base sections. "
        + ("Adopt the techniques in this order:" if len(rec.techniques) > 1 else "The plan:"),
        "",
    ]
    for number, technique in enumerate(rec.techniques, start=1):
        lines.append(f"{number}. {_plan_line(w, technique)}")
        for item in w.rationale(technique):
            lines.append(f"   * {inline(item.text)}{w.refs(item.citations)}")
    lines.append("")
    if rec.findings:
        lines += ["Findings to act on, most severe first:", ""]
        for finding in rec.findings:
            lines.append(
                f"* **{finding.severity.capitalize()}**, {code(finding.id)}: "
                f"{inline(finding.message)}{w.refs(finding.citations)}"
            )
        lines.append("")
    quoted = [s for s in rec.sources if s.excerpt]
    if quoted:
        lines += ["<details>", "<summary>What the cited knowledge-base sections say</summary>", ""]
        for source in quoted:
            lines += [
                f"> **{inline(source.page)} {_SEP} {inline(source.title)}**{w.refs([source.ref])}",
                ">",
                f"> {inline(source.excerpt)}",
                "",
            ]
        lines += ["</details>", ""]
    return lines


def _costs(w: _Writer, techniques: Sequence[str], *, sub_choices: bool) -> list[str]:
    keys = [t for t in techniques if t in _COSTS]
    if sub_choices:
        keys += [f"tactic:{t}" for t in w.rec.prompt_engineering.tactics if f"tactic:{t}" in _COSTS]
        keys += ["reranker"] if w.rec.rag is not None and w.rec.rag.reranker else []
    return [f"* Bad, because {_COSTS[k][0]}{w.cite_extra(_COSTS[k][1])}." for k in keys]


def _goods(w: _Writer, techniques: Sequence[str]) -> list[str]:
    lines = []
    for technique in techniques:
        if technique != "prompt_engineering" and technique in w.rec.techniques:
            lines += [
                f"* Good, because {inline(lower_first(i.text))}{w.refs(i.citations)}"
                for i in w.reasons(technique)
            ]
    lines += [f"* Good, because {text}." for t, text in _SAVINGS.items() if t not in techniques]
    return lines


def _consequences(w: _Writer) -> list[str]:
    lines = ["### Consequences", "", *_goods(w, w.rec.techniques)]
    lines += _costs(w, w.rec.techniques, sub_choices=True)
    acting = [f for f in w.rec.findings if f.severity != "info"]
    if acting:
        named = ", ".join(f"{code(f.id)} ({f.severity})" for f in acting)
        lines.append(
            "* Bad, because the findings above need action before the plan is safe to rely on: "
            f"{named}."
        )
    info = [f for f in w.rec.findings if f.severity == "info"]
    if info:
        lines.append(
            "* Neutral, because of the findings above for information: "
            f"{', '.join(code(f.id) for f in info)}."
        )
    return [*lines, ""]


# The evaluation plan: (when it applies, what to check, the kb section that explains how).
_CHECKS: tuple[tuple[str, str, str], ...] = (
    (
        "always",
        "**Prompted baseline:** score the best prompt on the evaluation set first; every later "
        "step is measured against it.",
        "kb/prompt-engineering.md#start-with-prompts-and-evals",
    ),
    (
        "reasoning",
        "**Base model:** run a fixed chain-of-thought + few-shot test set on each candidate model "
        "and grade both the answers and the reasoning.{status}",
        "kb/prompt-engineering.md#test-the-base-model-with-a-chain-of-thought-set",
    ),
    (
        "rag",
        "**Retrieval:** score faithfulness and answer relevancy (the answers), context precision "
        "and context recall (the retrieved passages) on the evaluation set, and log the passages "
        "to tell retrieval failures from generation failures.",
        "kb/evaluation.md#evaluating-retrieval-with-four-metrics",
    ),
    (
        "fine_tuning",
        "**Fine-tuned model:** compare it with the best prompted baseline on a held-out set it "
        "never saw in training, and check for regressions (refusals, hallucination, lost general "
        "skills).",
        "kb/evaluation.md#evaluating-a-fine-tuned-model",
    ),
    (
        "always",
        "**Latency:** measure p95 end to end{budget}, stage by stage, under realistic load.",
        "kb/evaluation.md#checking-the-latency-budget",
    ),
    (
        "always",
        "**Acceptance:** set the accuracy threshold from the business cost of failures, and "
        "record it here with the evaluation results.",
        "kb/evaluation.md#deciding-what-is-good-enough",
    ),
)


def _confirmation(w: _Writer) -> list[str]:
    rec, answers = w.rec, w.rec.answers
    applies = {
        "always": True,
        "reasoning": "chain_of_thought" in rec.prompt_engineering.tactics
        or "base_model_eval" in answers,
        "rag": rec.rag is not None,
        "fine_tuning": rec.fine_tuning is not None,
    }
    values = {"status": "", "budget": ""}
    if "base_model_eval" in answers:
        words = _answer_words(w, "base_model_eval", answers["base_model_eval"])
        values["status"] = f" Current status: {inline(words)}."
    if "latency_budget_ms" in answers:
        words = _answer_words(w, "latency_budget_ms", answers["latency_budget_ms"])
        values["budget"] = f" against the {inline(words)} budget"
    intro = w.cite_extra("kb/evaluation.md#build-the-evaluation-set-first")
    lines = [
        "### Confirmation",
        "",
        "Confirm the decision by measurement, on an evaluation set of realistic inputs with "
        f"expected outputs, built before the work starts and partly held out{intro}:",
        "",
    ]
    for when, lead, ref in _CHECKS:
        if applies[when]:
            lines.append(f"* [ ] {lead.format(**values)}{w.cite_extra(ref)}")
    return [*lines, ""]


def _option_warnings(w: _Writer, option: Sequence[str]) -> list[str]:
    """Warnings the rules raise only when the team proposes `option` (rules reading `proposed`)."""
    from advisor.engine.assemble import advise
    from advisor.errors import AdvisorError
    from advisor.knowledge import conditions as cond

    if "proposed" not in w.rulebase.question_by_id:
        return []
    reading = {r.id for r in w.rulebase.rules if "proposed" in cond.questions_in(r.when)}
    if not reading:
        return []
    already = {f.id for f in w.rec.findings}  # raised whatever the option: not a con of it
    try:
        what_if = advise({**w.rec.answers, "proposed": list(option)}, w.rulebase)
    except AdvisorError:
        return []
    return [
        f"* Bad, because the rules warn against proposing it ({code(f.id)}, {f.severity}): "
        f"{inline(f.message)}{w.refs(f.citations)}"
        for f in what_if.findings
        if reading.intersection(f.rules) and f.severity != "info" and f.id not in already
    ]


def _pros_and_cons(w: _Writer) -> list[str]:
    rec = w.rec
    lines = ["## Pros and Cons of the Options", ""]
    for option in OPTIONS:
        lines += [f"### {option_title(option)}", ""]
        if tuple(option) == tuple(rec.techniques):
            lines += ["The chosen option.", ""]
        lines += _goods(w, option)
        for needed in rec.techniques:
            if needed not in option:
                items = w.reasons(needed)
                why = " ".join(inline(i.text) for i in items)
                cited = w.refs(list(dict.fromkeys(c for i in items for c in i.citations)))
                lines.append(
                    f"* Bad, because it leaves out {SHORT_NAMES[needed]}, which these answers "
                    f"call for.{' ' + why if why else ''}{cited}"
                )
        lines += _costs(w, option, sub_choices=False)
        warnings = _option_warnings(w, option)
        if not warnings:
            lines += [
                f"* Bad, because no rule calls for {SHORT_NAMES[t]} with these answers."
                for t in option
                if t not in rec.techniques
            ]
        lines += warnings
        lines.append("")
    return lines


def _more_information(w: _Writer) -> list[str]:
    rec = w.rec
    lines = ["## More Information", "", "Knowledge-base sections cited in this record:", ""]
    refs = [s.ref for s in rec.sources] + w.extra_refs
    for ref in refs:
        section = w.rulebase.kb.get(ref)
        if section is None:
            lines.append(f"* {w.ref(ref)}")
            continue
        reviewed = f", last reviewed {section.reviewed}" if section.reviewed else ""
        lines.append(
            f"* {w.ref(ref)}: {inline(section.page_title)} {_SEP} {inline(section.title)}{reviewed}"
        )
    lines += [
        "",
        "The decision path the advisor walked: the answers in the order asked, the rules they made "
        "fire, and what each rule concluded.",
        "",
        "```mermaid",
        render_mermaid(rec, w.rulebase, w.path).rstrip("\n"),
        "```",
        "",
        f"Generated by llm-advisor {inline(rec.advisor_version)} with the rule base "
        f'"{inline(w.rulebase.name)}" {inline(rec.rules_version)}. The answers are embedded at the '
        "end of this file: `advisor check` reports whether newer rules still give the same "
        "advice, and `advisor recommend --from-record FILE --format markdown --output FILE` "
        "regenerates the record, keeping its status and decision-makers. Revisit the decision "
        "when an answer changes, for example new data sources, a tighter latency budget or "
        "another model.",
        "",
    ]
    return lines
