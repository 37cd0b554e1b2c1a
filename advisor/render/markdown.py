"""The decision record: a MADR 4 document an architect can commit next to the code.

Layout (MADR 4.0.0): YAML front matter (status, date, advisor and rule base versions), then
Context and Problem Statement, Decision Drivers, Considered Options, Decision Outcome (with
Consequences and Confirmation), Pros and Cons of the Options, More Information, and finally the
machine-readable block of `advisor.services.records` (answers and outcome, in an HTML comment).

Every sentence is drawn from the Decision (reasons, sub-choices, findings, kb excerpts), from the
question data, or from the rule folder's record data (`record/record.toml`, read by
`advisor.services.record_data`: the considered options, savings, costs, plan wording and the
evaluation checklist, keyed by the conclusion vocabulary); the few fixed phrases here are per
section, never per case. What the record shows about the other options (the findings a proposal
of each would raise) and the decision path are computed once by the engine
(`advisor.engine.alternatives`) and passed in: this renderer never runs the engine. Text that is not
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
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from advisor.engine import assemble
from advisor.engine.decision import Decision
from advisor.render.mermaid import render_mermaid
from advisor.render.path import conclusion_label, leads_to
from advisor.render.text import MEASURES, TECHNIQUE_NAMES, humanize, ms_range, parallel_groups
from advisor.services.record_data import PLACEHOLDER
from advisor.services.records import FrontMatterEntry, RecordError, embed
from advisor.vocabulary import BASELINE, DEFAULT, TECHNIQUES, Vocabulary

if TYPE_CHECKING:
    from advisor.engine.alternatives import Alternatives
    from advisor.services.record_data import RecordData

DEFAULT_STATUS = "proposed"
# Keys this renderer writes; any other front-matter key of a regenerated record is kept.
_OWN_KEYS = ("status", "date", "advisor-version", "rules", "rules-version", "packs")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<|~$#])|&(?=#?[A-Za-z0-9]+;)")
_LINE_START = re.compile(r"^(?:([-+=>])|(\d+)([.)]))")
# Autolinks (GFM's extended autolinks, linkify's fuzzy links): a scheme's `:` before `//` or
# `mailto:`-like schemes, a dot between host labels, an `@` of an address or mention.
_AUTOLINK_COLON = re.compile(r"(?<=[A-Za-z0-9])(?<!\\):(?=//|[^\s]*@)")
_AUTOLINK_DOT = re.compile(r"(?<=[^\s\\.])\.(?=[^\W_])", re.UNICODE)
_AUTOLINK_AT = re.compile(r"(?<!\\)@(?=\S)")
_URL_UNSAFE = re.compile(r"[\s<>\"'()\\`]")
_URL_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A scheme as a browser reads one: `javascript:`, `data:`, `C:` (anything before a colon that
# comes ahead of the first `/`, `?` or `#`).
_URL_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
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


def line_start(line: str) -> str:
    """A line whose start cannot open a blockquote, list, setext underline or ordered list."""
    match = _LINE_START.match(line)
    if match and match.group(1):
        return "\\" + line
    if match:
        return f"{match.group(2)}\\{line[len(match.group(2)) :]}"
    return line


def unlinked(text: str) -> str:
    """Escaped inline text (`inline`) in which no bare URL, `www.` host, domain or e-mail address
    autolinks under GFM or linkify: `https\\://`, `www\\.x\\.y`, `a\\@b`. Renders as typed."""
    text = _AUTOLINK_COLON.sub(r"\\:", text)
    text = _AUTOLINK_DOT.sub(r"\\.", text)
    return _AUTOLINK_AT.sub(r"\\@", text)


def block(text: str, *, links: bool = True) -> list[str]:
    """Multi-line text as safe markdown lines (blank lines kept as paragraph breaks); with
    `links=False` bare URLs are not autolinked (`unlinked`)."""
    lines: list[str] = []
    for raw in _clean(text).splitlines():
        line = inline(raw) if links else unlinked(inline(raw))
        line = line_start(line)
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
            raise RecordError(
                "--date", f"'{_cut(date)}' is not a date of the form YYYY-MM-DD"
            ) from None
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date().isoformat()
        except (ValueError, OverflowError, OSError):
            raise RecordError(
                "SOURCE_DATE_EPOCH",
                f"'{_cut(epoch)}' is not a whole number of seconds since 1970-01-01 UTC",
            ) from None
    return dt.date.today().isoformat()


def _cut(text: str) -> str:
    from advisor.knowledge.answers import cut

    return cut(text)


MAX_BASE_URL = 2000
"""The longest kb base URL accepted (it is repeated in every link of a record)."""


def base_url_problem(url: str) -> str | None:
    """Why `url` cannot be the kb base URL, or None: it must be an `https://` or `http://` URL,
    or a path without a scheme (`../kb/`, `/docs/kb/`), usable as a markdown link target, with
    no query or fragment (the cited file and anchor are appended to it), at most
    `MAX_BASE_URL` characters."""
    if len(url) > MAX_BASE_URL:
        return f"a URL of {len(url):,} characters; the limit is {MAX_BASE_URL:,}"
    raw, url = url, "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in url)
    if _URL_UNSAFE.search(raw) or _URL_CONTROL.search(raw):
        return (
            f"'{url}' must be a URL or relative path without spaces, quotes, brackets or "
            "backslashes"
        )
    scheme = _URL_SCHEME.match(raw)
    if scheme and scheme.group(1).lower() not in ("http", "https"):
        return (
            f"'{url}' must start with https:// or http://, or be a relative path "
            f"(not '{scheme.group(1)}:')"
        )
    if scheme and not raw[scheme.end() :].startswith("//"):
        return f"'{url}' must start with https:// or http://, or be a relative path"
    if "?" in raw or "#" in raw:
        return (
            f"'{url}' has a query or fragment; the cited file and anchor are appended to the "
            "base, so give the folder only (https://example.org/kb/)"
        )
    if not scheme and raw.startswith(("//", "/\\")):  # a browser reads `//host/` as another site
        return (
            f"'{url}' names another host without a scheme: write https://{url.lstrip('/')} "
            "or a relative path such as ../kb/"
        )
    return None


def check_base_url(url: str | None) -> str | None:
    """The kb base URL with a trailing slash (see `base_url_problem`); RecordError if refused."""
    if url is None or not url.strip():
        return None
    problem = base_url_problem(url)
    if problem is not None:
        raise RecordError("--kb-base-url", problem)
    return url if url.endswith("/") else url + "/"


# --------------------------------------------------------------------------- the document


class _Writer:
    """Shared state of one rendering: the decision, its plain data, the inputs, the cited refs."""

    def __init__(
        self,
        decision: Decision,
        alternatives: Alternatives,
        record: RecordData,
        base_url: str | None,
    ) -> None:
        self.decision = decision
        self.rec: dict[str, Any] = assemble.plain(decision)
        self.rulebase = decision.rulebase
        self.vocabulary: Vocabulary = decision.rulebase.vocabulary
        self.alternatives = alternatives
        self.record = record
        self.base_url = base_url
        self.extra_refs: list[str] = []
        self.conclusion_of = {rule.id: rule.then.key for rule in decision.fired}
        self.path = alternatives.path  # drivers and flowchart share it

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

    def cite_extra(self, ref: str | None) -> str:
        """Cite a section the rules did not cite (confirmation, costs) when the kb has it."""
        if ref is None or not self.known(ref):
            return ""
        if ref not in self.extra_refs and all(s["ref"] != ref for s in self.rec["sources"]):
            self.extra_refs.append(ref)
        return self.refs([ref])

    def reasons(self, technique: str) -> list[dict[str, Any]]:
        """The reasons of the rules that concluded `technique:<technique>` (why it is adopted)."""
        key = f"technique:{technique}"
        return [i for i in self.rationale(technique) if self.conclusion_of.get(i["rule"]) == key]

    def rationale(self, technique: str) -> list[dict[str, Any]]:
        """Every reason given for a technique and its sub-choices (empty if not adopted)."""
        plan = self.rec.get(technique)
        return list(plan["rationale"]) if plan is not None else []

    def technique_words(self, technique: str) -> str:
        return self.vocabulary.kind("technique").words(technique)

    def holds(self, kind: str, value: str) -> bool:
        """Whether a sub-choice or technique was concluded (and its technique adopted)."""
        decision = self.decision
        if kind == "technique":
            return value in decision.techniques
        owner = self.vocabulary.kind(kind).owner
        adopted = owner is None or owner in decision.techniques or owner not in TECHNIQUES
        return adopted and decision.has(kind, value)


def render(
    decision: Decision,
    *,
    alternatives: Alternatives,
    record: RecordData,
    date: str | None = None,
    kb_base_url: str | None = None,
    front_matter: Sequence[FrontMatterEntry] = (),
) -> str:
    """The decision record of a Decision (the `markdown` output format).

    `alternatives` (`advisor.engine.alternatives.alternatives(decision, record.options)`) and
    `record` (`advisor.services.record_data.record_data(rulebase)`) are computed by the caller,
    once; `advisor.services.records.record_inputs(decision)` gives both.
    `date` is the record's date (YYYY-MM-DD; default `SOURCE_DATE_EPOCH`, else today).
    `kb_base_url` makes kb section ids links (e.g. `https://github.com/o/r/blob/main/kb/`);
    without it they are plain ids and the cited excerpts are quoted in the record.
    `front_matter` holds entries of an earlier version of the record (`services.records`): its
    status, decision-makers and any other keys the team added are kept.
    """
    base_url = check_base_url(kb_base_url)
    w = _Writer(decision, alternatives, record, base_url)
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
        embed(decision, base_url),
    ]
    return "\n".join(parts)


def render_markdown(
    decision: Decision,
    *,
    date: str | None = None,
    kb_base_url: str | None = None,
    front_matter: Sequence[FrontMatterEntry] = (),
) -> str:
    """`render()` for callers that do not prepare its inputs (scripts): they come from the
    record service (`advisor.services.records.record_inputs`), computed once here."""
    from advisor.services.records import record_inputs

    return render(
        decision,
        **record_inputs(decision),
        date=date,
        kb_base_url=kb_base_url,
        front_matter=front_matter,
    )


def _front_matter(w: _Writer, date: str, kept: Sequence[FrontMatterEntry]) -> str:
    """The front matter: the advisor's own keys with their current values, and every key the
    team added kept verbatim. A regenerated record keeps the keys in their order and place
    (the team's status too); only the values of the advisor's keys change, in place, and an own
    key the record lacks is added (status and date first, the versions last)."""
    own = {
        "status": [f"status: {DEFAULT_STATUS}"],
        "date": [f"date: {date}"],
        "advisor-version": [f"advisor-version: {yaml_string(w.rec['advisor_version'])}"],
        "rules": [f"rules: {yaml_string(w.rulebase.name)}"],
        "rules-version": [f"rules-version: {yaml_string(w.rec['rules_version'])}"],
    }
    if w.rulebase.packs:  # a record made under rule packs names them (none: no key)
        names = ", ".join(yaml_string(f"{p.name} {p.version}") for p in w.rulebase.packs)
        own["packs"] = [f"packs: [{names}]"]
    lines: list[str] = []
    written: set[str] = set()
    for entry in kept:
        if entry.key == "packs" and "packs" not in own:
            continue  # regenerated without packs
        if entry.key not in own:
            lines.extend(entry.lines)
        elif entry.key not in written:  # a repeated own key is written once
            lines.extend(entry.lines if entry.key == "status" else own[entry.key])
            written.add(entry.key)
    head = [line for key in ("status", "date") if key not in written for line in own[key]]
    tail = [line for key in _OWN_KEYS[2:] if key not in written for line in own.get(key, ())]
    return "\n".join(["---", *head, *lines, *tail, "---"]) + "\n"


def option_title(techniques: Sequence[str], vocabulary: Vocabulary = DEFAULT) -> str:
    """`Prompt engineering alone`, `Prompt engineering + RAG`, ..."""
    words = vocabulary.kind("technique").words
    if tuple(techniques) == (BASELINE,):
        names = f"{words(BASELINE)} alone"
    else:
        names = " + ".join(words(t) for t in techniques)
    return names[:1].upper() + names[1:]


def _packs_words(w: _Writer) -> str:
    """`, with the rule packs "a" 1.0.0, "b" 2.1` (empty without packs)."""
    packs = w.rulebase.packs
    if not packs:
        return ""
    names = ", ".join(f'"{inline(p.name)}" {inline(p.version)}' for p in packs)
    return f", with the rule pack{'s' if len(packs) > 1 else ''} {names}"


def _project(w: _Writer) -> str:
    """The project name as inline text: markup escaped and no autolink (`unlinked`)."""
    project = w.rec["answers"].get("project")
    return unlinked(inline(project)) if isinstance(project, str) and project.strip() else ""


def _title(w: _Writer) -> list[str]:
    project = _project(w)
    target = project or "the LLM application"
    title = option_title(w.rec["techniques"], w.vocabulary)
    return [f"# Use {lower_first(title)} for {target}", ""]


def _context(w: _Writer) -> list[str]:
    subject = line_start(_project(w)) or "This LLM application"  # starts the paragraph
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
    notes = w.rec["answers"].get("notes")
    noted = block(notes, links=False) if isinstance(notes, str) else []
    if noted:
        lines += ["Notes from the team:", ""]
        lines += [f"> {line}" if line else ">" for line in noted]
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


def _conclusion_words(w: _Writer, key: str) -> str:
    name, _, value = key.partition(":")
    kind = w.vocabulary.by_name.get(name)
    if kind is not None and kind.merge == "by_id":
        return f"{inline(kind.label)} {code(value)}"
    return inline(conclusion_label(key, w.vocabulary, w.record))


def _drivers(w: _Writer) -> list[str]:
    path = w.path
    lines = ["## Decision Drivers", ""]
    for answered in path.answered:
        question = w.rulebase.question_by_id.get(answered.id)
        text = inline(question.text) if question else code(answered.id)
        words = inline(_answer_words(w, answered.id, answered.value))
        default = " (default)" if answered.defaulted else ""
        led = [_conclusion_words(w, c) for c in leads_to(path, answered.id, w.vocabulary)]
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
    options = (f"* {option_title(o, w.vocabulary)}" for o in w.alternatives.options)
    return ["## Considered Options", "", *options, ""]


def _plan_line(w: _Writer, technique: str) -> str:
    """`**RAG**, retrievers: vector, keyword; re-ranker: yes.`: the plan's sub-choices, in the
    vocabulary's order, worded by the record data."""
    name = f"**{TECHNIQUE_NAMES[technique]}**"
    plan = w.rec.get(technique) or {}
    parts = []
    for kind in w.vocabulary.sub_choices(technique):
        words = w.record.plan_words(kind)
        value = plan.get(kind.field or kind.name)
        if kind.merge == "flag":
            parts.append(f"{inline(words.lead)}: {'yes' if value else 'no'}")
        else:
            chosen = ", ".join(humanize(v) for v in value or ())
            parts.append(f"{inline(words.lead)}: {chosen or inline(words.none)}")
    return f"{name}, {'; '.join(parts)}." if parts else f"{name}."


def _outcome(w: _Writer) -> list[str]:
    rec = w.rec
    techniques = rec["techniques"]
    lines = [
        "## Decision Outcome",
        "",
        f'Chosen option: "{option_title(techniques, w.vocabulary)}", because the answers call for '
        "it for the reasons below, each backed by the cited knowledge-base sections. "
        + ("Adopt the techniques in this order:" if len(techniques) > 1 else "The plan:"),
        "",
    ]
    for number, technique in enumerate(techniques, start=1):
        lines.append(f"{number}. {_plan_line(w, technique)}")
        for item in w.rationale(technique):
            lines.append(f"   * {inline(item['text'])}{w.refs(item['citations'])}")
    lines.append("")
    if rec["findings"]:
        lines += ["Findings to act on, most severe first:", ""]
        for finding in rec["findings"]:
            lines.append(
                f"* **{finding['severity'].capitalize()}**, {code(finding['id'])}: "
                f"{inline(finding['message'])}{w.refs(finding['citations'])}"
            )
        lines.append("")
    quoted = [s for s in rec["sources"] if s["excerpt"]]
    if quoted:
        lines += ["<details>", "<summary>What the cited knowledge-base sections say</summary>", ""]
        for source in quoted:
            lines += [
                f"> **{inline(source['page'])} {_SEP} {inline(source['title'])}**"
                f"{w.refs([source['ref']])}",
                ">",
                f"> {inline(source['excerpt'])}",
                "",
            ]
        lines += ["</details>", ""]
    return lines


def _costs(w: _Writer, techniques: Sequence[str], *, sub_choices: bool) -> list[str]:
    """What the option's techniques cost and, for the chosen option (`sub_choices`), what the
    concluded sub-choices cost, in the vocabulary's kind order."""
    record = w.record
    costs = [c for t in techniques if (c := record.cost("technique", t)) is not None]
    if sub_choices:
        for kind in w.vocabulary.kinds:
            if kind.name == "technique" or kind.field is None or kind.merge == "by_id":
                continue
            for value in w.decision.conclusions.get(kind.name, ()):
                cost = record.cost(kind.name, value)
                if cost is not None and w.holds(kind.name, value):
                    costs.append(cost)
    return [f"* Bad, because {inline(c.text)}{w.cite_extra(c.cite)}." for c in costs]


def _goods(w: _Writer, techniques: Sequence[str]) -> list[str]:
    lines = []
    for technique in techniques:
        if technique != BASELINE and technique in w.rec["techniques"]:
            lines += [
                f"* Good, because {inline(lower_first(i['text']))}{w.refs(i['citations'])}"
                for i in w.reasons(technique)
            ]
    lines += [
        f"* Good, because {inline(text)}." for t, text in w.record.savings if t not in techniques
    ]
    return lines


def _consequences(w: _Writer) -> list[str]:
    findings = w.rec["findings"]
    lines = ["### Consequences", "", *_goods(w, w.rec["techniques"])]
    lines += _costs(w, w.rec["techniques"], sub_choices=True)
    acting = [f for f in findings if f["severity"] != "info"]
    if acting:
        named = ", ".join(f"{code(f['id'])} ({f['severity']})" for f in acting)
        lines.append(
            "* Bad, because the findings above need action before the plan is safe to rely on: "
            f"{named}."
        )
    info = [f for f in findings if f["severity"] == "info"]
    if info:
        lines.append(
            "* Neutral, because of the findings above for information: "
            f"{', '.join(code(f['id']) for f in info)}."
        )
    return [*lines, ""]


def _fill(w: _Writer, text: str, answer_text: Mapping[str, str]) -> str:
    """A check's text, escaped, with `{question_id}` replaced by its answer_text (the answer in
    words for `{}`), or dropped with the space before it when the question was not answered."""
    answers = w.rec["answers"]
    out: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(text):
        out.append(_inline_keeping_spaces(text[position : match.start()]))
        qid = match.group(1)
        if qid in answers and qid in answer_text:
            words = inline(_answer_words(w, qid, answers[qid]))
            out.append(" " + inline(answer_text[qid]).replace("{}", words))
        position = match.end()
    out.append(_inline_keeping_spaces(text[position:]))
    return "".join(out)


def _inline_keeping_spaces(text: str) -> str:
    inner = inline(text)
    if not inner:
        return ""
    before = " " if text[:1].isspace() else ""
    after = " " if text[-1:].isspace() else ""
    return before + inner + after


def _confirmation(w: _Writer) -> list[str]:
    answers = w.rec["answers"]
    given = w.decision.given  # answered by the user, not a default
    intro = w.cite_extra(w.record.confirmation_cite)
    lines = [
        "### Confirmation",
        "",
        "Confirm the decision by measurement, on an evaluation set of realistic inputs with "
        f"expected outputs, built before the work starts and partly held out{intro}:",
        "",
    ]
    for check in w.record.checks:
        applies = not check.when or any(
            (value in given and value in answers) if kind == "answered" else w.holds(kind, value)
            for kind, value in check.when
        )
        if applies:
            text = _fill(w, check.text, check.answer_text)
            lines.append(f"* [ ] **{inline(check.title)}:** {text}{w.cite_extra(check.cite)}")
    return [*lines, "", *_evaluation_plan(w), *_ledger(w)]


def _ledger(w: _Writer) -> list[str]:
    """The latency ledger as a table: what to measure each stage's p95 against."""
    ledger = w.rec.get("latency")
    if not ledger:
        return []
    measure = MEASURES.get(ledger["measure"], ledger["measure"])
    lines = [
        f"Latency ledger: the planned stages against the {ledger['budget_ms']:,} ms budget for "
        f"{measure}, typical figures to replace with measured p95s"
        f"{w.refs(('kb/latency-and-cost.md#the-latency-ledger',))}.",
        "",
        "| Stage | Typical | Range |",
        "|---|---|---|",
    ]
    shared = parallel_groups(ledger["stages"])
    for stage in ledger["stages"]:
        parallel = " (in parallel)" if stage["parallel_group"] in shared else ""
        lines.append(
            f"| {inline(stage['label'])}{parallel} | {stage['typical_ms']:,} ms | "
            f"{ms_range(stage['low_ms'], stage['high_ms'])} |"
        )
    verdict = "fits the budget" if ledger["fits"] else "exceeds the budget"
    lines.append(
        f"| **Total** | **{ledger['total_typical_ms']:,} ms** | "
        f"{ledger['total_low_ms']:,}-{ledger['total_high_ms']:,} ms |"
    )
    lines += ["", f"The typical total {verdict}."]
    if ledger["dropped"]:
        dropped = ", ".join(
            f"{inline(s['label'])} ({s['typical_ms']:,} ms)" for s in ledger["dropped"]
        )
        lines[-1] += f" Dropped to fit it: {dropped}."
    if ledger.get("swapped"):
        swapped = ", ".join(
            f"{inline(s['label'])} ({s['typical_ms']:,} ms)" for s in ledger["swapped"]
        )
        lines[-1] += f" Swapped for a cheaper stage: {swapped}."
    return [*lines, ""]


def _evaluation_plan(w: _Writer) -> list[str]:
    """The evaluation plan: each method fitted to the task, with its reasons."""
    plan = w.rec.get("evaluation")
    if not plan or not plan["methods"]:
        return []
    kind = w.vocabulary.kind("evaluation")
    words = ", ".join(kind.words(m) for m in plan["methods"])
    lines = [f"Evaluation plan: {inline(words)}.", ""]
    for item in plan["rationale"]:
        lines.append(f"* {inline(item['text'])}{w.refs(item['citations'])}")
    return [*lines, ""]


def _option_warnings(w: _Writer, option: Sequence[str]) -> list[str]:
    """Warnings the rules raise only when the team proposes `option` (rules reading `proposed`),
    as the engine computed them (`Alternatives`); findings raised whatever the option are not a
    con of it, and information is not a warning."""
    already = {f["id"] for f in w.rec["findings"]}
    return [
        f"* Bad, because the rules warn against proposing it ({code(f.id)}, {f.severity}): "
        f"{inline(f.message)}{w.refs(f.citations)}"
        for f in w.alternatives.of(option)
        if f.severity != "info" and f.id not in already
    ]


def _not_called_for(w: _Writer, technique: str) -> str:
    """Why an option's extra technique is a con: not called for, or called for but out of
    reach for now (a finding of the record data's `[deferred]` table says so)."""
    present = {f["id"] for f in w.rec["findings"]}
    deferred = [i for i in w.record.deferred.get(technique, ()) if i in present]
    if deferred:
        named = ", ".join(code(i) for i in deferred)
        return (
            f"* Bad, because {w.technique_words(technique)} would close a gap these answers "
            f"show but is out of reach for now (see {named})."
        )
    return f"* Bad, because no rule calls for {w.technique_words(technique)} with these answers."


def _pros_and_cons(w: _Writer) -> list[str]:
    techniques = w.rec["techniques"]
    lines = ["## Pros and Cons of the Options", ""]
    for option in w.alternatives.options:
        lines += [f"### {option_title(option, w.vocabulary)}", ""]
        if tuple(option) == tuple(techniques):
            lines += ["The chosen option.", ""]
        lines += _goods(w, option)
        for needed in techniques:
            if needed not in option:
                items = w.reasons(needed)
                why = " ".join(inline(i["text"]) for i in items)
                cited = w.refs(list(dict.fromkeys(c for i in items for c in i["citations"])))
                lines.append(
                    f"* Bad, because it leaves out {w.technique_words(needed)}, which these "
                    f"answers call for.{' ' + why if why else ''}{cited}"
                )
        lines += _costs(w, option, sub_choices=False)
        warnings = _option_warnings(w, option)
        if not warnings:
            lines += [_not_called_for(w, t) for t in option if t not in techniques]
        lines += warnings
        lines.append("")
    return lines


def _more_information(w: _Writer) -> list[str]:
    rec = w.rec
    lines = ["## More Information", "", "Knowledge-base sections cited in this record:", ""]
    refs = [s["ref"] for s in rec["sources"]] + w.extra_refs
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
        render_mermaid(w.decision, w.path, w.record).rstrip("\n"),
        "```",
        "",
        f"Generated by llm-advisor {inline(rec['advisor_version'])} with the rule base "
        f'"{inline(w.rulebase.name)}" {inline(rec["rules_version"])}{_packs_words(w)}. The '
        "answers are embedded at the end of this file: `advisor check` reports whether newer "
        "rules still give the same advice, and "
        "`advisor recommend --from-record FILE --format markdown --output FILE` regenerates the "
        "record, "
        "keeping its status and decision-makers. Revisit the decision "
        "when an answer changes, for example new data sources, a tighter latency budget or "
        "another model.",
        "",
    ]
    return lines
