"""The markdown decision record: MADR structure, front matter, Mermaid, links, escaping, parsing.

Every document is parsed with markdown-it-py; expectations come from the recommendation (the
API), never from the renderer's own wording, because the rules and the kb keep changing.
The helpers here (`parse_document`, `check_mermaid`, `scenario`) are shared by the other
test_record*.py modules.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from advisor import render
from advisor.engine.alternatives import alternatives
from advisor.engine.assemble import advise, given_answers, recommendation
from advisor.engine.decide import decide
from advisor.engine.decision import Decision
from advisor.engine.support import decision_path, support
from advisor.knowledge import conditions as cond
from advisor.knowledge.rulebase import RuleBase
from advisor.models import Recommendation
from advisor.render.markdown import render_markdown
from advisor.render.mermaid import mermaid_label, render_mermaid
from advisor.services.record_data import record_data
from advisor.services.records import (
    FORMAT,
    Outcome,
    RecordError,
    compare,
    parse_front_matter,
    parse_record,
)

GOLDEN = Path(__file__).parent / "golden"
SCENARIOS = sorted(p.stem for p in GOLDEN.glob("*.json"))
DATE = "2025-01-15"
BASE_URL = "https://github.com/example/llm-advisor/blob/main/kb/"
MADR_H2 = [
    "Context and Problem Statement",
    "Decision Drivers",
    "Considered Options",
    "Decision Outcome",
    "Pros and Cons of the Options",
    "More Information",
]
# Front matter values we write: a plain word/date/number, or a JSON (= YAML) double-quoted string.
_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_KEY = re.compile(r"^([a-z][a-z0-9-]*): (.+)$")


def scenario(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    return data


def render_scenario(name: str, rulebase: RuleBase, **options: Any) -> tuple[Recommendation, str]:
    data = scenario(name)
    decision = decide(data["answers"], rulebase)
    options.setdefault("date", data.get("date", DATE))
    options.setdefault("kb_base_url", data.get("kb_base_url"))
    return recommendation(decision), record_of(decision, **options)


def record_of(decision: Decision, **options: Any) -> str:
    """The markdown record of a decision, through the registry of output formats."""
    return render.render(decision, "markdown", **options)


@dataclass
class Doc:
    front_matter: list[str]
    body: str
    tokens: list[Token]
    headings: list[tuple[int, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    fences: list[tuple[str, str]] = field(default_factory=list)
    html_blocks: list[str] = field(default_factory=list)
    html_inline: list[str] = field(default_factory=list)

    def section(self, title: str) -> list[Token]:
        """Tokens from the heading `title` to the next heading of the same or a higher level."""
        start = next(
            i
            for i, t in enumerate(self.tokens)
            if t.type == "heading_open" and inline_text(self.tokens[i + 1]) == title
        )
        level = self.tokens[start].tag
        end = next(
            (
                i
                for i in range(start + 1, len(self.tokens))
                if self.tokens[i].type == "heading_open" and self.tokens[i].tag <= level
            ),
            len(self.tokens),
        )
        return self.tokens[start:end]

    def section_text(self, title: str) -> str:
        return " ".join(inline_text(t) for t in self.section(title)[3:] if t.type == "inline")


def inline_text(token: Token) -> str:
    """What a reader sees of an inline token: text and code, escapes resolved."""
    parts = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return "".join(parts)


def parse_document(text: str) -> Doc:
    assert text.startswith("---\n"), "a record starts with YAML front matter"
    end = text.index("\n---\n", 4)
    doc = Doc(text[4:end].split("\n"), text[end + 5 :], [])
    doc.tokens = MarkdownIt("commonmark").parse(doc.body)
    for index, token in enumerate(doc.tokens):
        if token.type == "heading_open":
            doc.headings.append((int(token.tag[1]), inline_text(doc.tokens[index + 1])))
        elif token.type == "fence":
            doc.fences.append((token.info.strip(), token.content))
        elif token.type == "html_block":
            doc.html_blocks.append(token.content)
        elif token.type == "inline":
            for child in token.children or []:
                if child.type == "link_open":
                    doc.links.append(str(child.attrs["href"]))
                elif child.type == "html_inline":
                    doc.html_inline.append(child.content)
    return doc


def front_matter_map(lines: list[str]) -> dict[str, str]:
    """A strict reading of the front matter we write: `key: scalar` lines, nothing else."""
    values: dict[str, str] = {}
    for line in lines:
        match = _KEY.match(line)
        assert match, f"front matter line is not 'key: value': {line!r}"
        key, raw = match.groups()
        assert key not in values, f"duplicate front matter key {key}"
        if raw.startswith('"'):
            values[key] = json.loads(raw)
        else:
            assert _PLAIN.match(raw), f"unquoted value must be a plain scalar: {raw!r}"
            values[key] = raw
    return values


_MERMAID_ID = r"[A-Za-z_][A-Za-z0-9_]*"
_MERMAID_LABEL = r'"[^"<>`\n]*"'
_MERMAID_NODE = re.compile(
    rf"^({_MERMAID_ID})(?:\[{_MERMAID_LABEL}\]|\(\[{_MERMAID_LABEL}\]\)|\[\[{_MERMAID_LABEL}\]\]"
    rf"|\{{\{{{_MERMAID_LABEL}\}}\}})$"
)
_MERMAID_EDGE = re.compile(rf"^({_MERMAID_ID}) (?:-->|-\.->) ({_MERMAID_ID})$")
_MERMAID_SUBGRAPH = re.compile(rf"^subgraph ({_MERMAID_ID})\[{_MERMAID_LABEL}\]$")
_MERMAID_RESERVED = {
    "end",
    "graph",
    "subgraph",
    "flowchart",
    "style",
    "class",
    "click",
    "direction",
}


def check_mermaid(source: str) -> dict[str, str]:
    """Validate the flowchart subset we emit; returns node id -> label. Fails on anything else."""
    lines = [line.strip() for line in source.strip().split("\n")]
    assert re.match(r"^flowchart (LR|TD|TB|RL|BT)$", lines[0]), lines[0]
    nodes: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    depth = 0
    for line in lines[1:]:
        if line == "end":
            depth -= 1
            assert depth >= 0, "'end' without 'subgraph'"
        elif re.match(r"^direction (LR|TD|TB|RL|BT)$", line):
            assert depth > 0
        elif match := _MERMAID_SUBGRAPH.match(line):
            depth += 1
            assert match.group(1) not in nodes
        elif match := _MERMAID_NODE.match(line):
            node = match.group(1)
            assert node not in nodes, f"node {node} defined twice"
            assert node.lower() not in _MERMAID_RESERVED
            nodes[node] = re.search(r'"([^"]*)"', line).group(1)  # type: ignore[union-attr]
        elif match := _MERMAID_EDGE.match(line):
            edges.append((match.group(1), match.group(2)))
        else:
            raise AssertionError(f"not a well-formed mermaid line: {line!r}")
    assert depth == 0, "unclosed subgraph"
    for source_id, target in edges:
        assert source_id in nodes and target in nodes, (
            f"edge to an undefined node: {source_id} -> {target}"
        )
    return nodes


def considered_options(doc: Doc) -> list[str]:
    """The list items under Considered Options (the heading itself left out)."""
    return [inline_text(t) for t in doc.section("Considered Options")[3:] if t.type == "inline"]


def madr_headings(doc: Doc) -> list[tuple[int, str]]:
    """The expected MADR outline of `doc`, built from its own Considered Options list."""
    options = considered_options(doc)
    assert len(options) >= 2
    title = doc.headings[0]
    return [
        title,
        (2, "Context and Problem Statement"),
        (2, "Decision Drivers"),
        (2, "Considered Options"),
        (2, "Decision Outcome"),
        (3, "Consequences"),
        (3, "Confirmation"),
        (2, "Pros and Cons of the Options"),
        *((3, option) for option in options),
        (2, "More Information"),
    ]


# --------------------------------------------------------------------------- structure


@pytest.mark.parametrize("name", SCENARIOS)
def test_record_has_the_madr_sections_in_order(name: str, rulebase: RuleBase) -> None:
    rec, text = render_scenario(name, rulebase)
    doc = parse_document(text)
    assert doc.headings[0][0] == 1
    assert doc.headings == madr_headings(doc)
    chosen = re.search(r'Chosen option: "([^"]+)"', doc.section_text("Decision Outcome"))
    assert chosen is not None
    assert chosen.group(1) in considered_options(doc)
    assert ("RAG" in chosen.group(1)) == ("rag" in rec.techniques)
    assert ("fine-tuning" in chosen.group(1)) == ("fine_tuning" in rec.techniques)


@pytest.mark.parametrize("name", SCENARIOS)
def test_front_matter_is_valid_and_carries_status_date_and_versions(
    name: str, rulebase: RuleBase
) -> None:
    rec, text = render_scenario(name, rulebase)
    values = front_matter_map(parse_document(text).front_matter)
    assert values == {
        "status": "proposed",
        "date": scenario(name).get("date", DATE),
        "advisor-version": rec.advisor_version,
        "rules": rulebase.name,
        "rules-version": rec.rules_version,
    }


def test_front_matter_parses_as_yaml(rulebase: RuleBase) -> None:
    yaml = pytest.importorskip("yaml")  # PyYAML is not a dependency: an extra check when present
    for name in SCENARIOS:
        _, text = render_scenario(name, rulebase)
        loaded = yaml.safe_load("\n".join(parse_document(text).front_matter))
        assert set(loaded) == {"status", "date", "advisor-version", "rules", "rules-version"}
        assert str(loaded["date"]) == scenario(name).get("date", DATE)


@pytest.mark.parametrize("name", SCENARIOS)
def test_decision_outcome_lists_each_technique_with_its_reasons(
    name: str, rulebase: RuleBase
) -> None:
    rec, text = render_scenario(name, rulebase)
    tokens = parse_document(text).section("Decision Outcome")
    ordered = next(i for i, t in enumerate(tokens) if t.type == "ordered_list_open")
    items: list[int] = []  # reasons per top-level item
    depth = 0
    for token in tokens[ordered:]:
        if token.type in ("ordered_list_open", "bullet_list_open"):
            depth += 1
        elif token.type in ("ordered_list_close", "bullet_list_close"):
            depth -= 1
            if depth == 0:
                break
        elif token.type == "list_item_open":
            if depth == 1:
                items.append(0)
            else:
                items[-1] += 1
    plans = [rec.prompt_engineering, rec.rag, rec.fine_tuning]
    expected = [len(p.rationale) for p in plans if p is not None]
    assert items == expected
    outcome = parse_document(text).section_text("Decision Outcome")
    for finding in rec.findings:
        assert finding.id in outcome


def test_confirmation_fits_the_outcome(rulebase: RuleBase) -> None:
    metrics = ("faithfulness", "answer relevancy", "context precision", "context recall")
    for name in SCENARIOS:
        rec, text = render_scenario(name, rulebase)
        plan = parse_document(text).section_text("Confirmation").lower()
        assert all(m in plan for m in metrics) == (rec.rag is not None), name
        assert ("held-out set" in plan) == (rec.fine_tuning is not None), name
        budget = rulebase.question_by_id["latency_budget_ms"].format_value(
            rec.answers["latency_budget_ms"]
        )
        assert budget in plan
        cot = "chain_of_thought" in rec.prompt_engineering.tactics
        answered = "base_model_eval" in scenario(name)["answers"]  # by the user, not a default
        assert ("chain-of-thought" in plan) == (cot or answered), name


def test_decision_drivers_give_every_answer_in_words(rulebase: RuleBase) -> None:
    rec, text = render_scenario("support_bot", rulebase)
    drivers = parse_document(text).section_text("Decision Drivers")
    asked = [s for s in rec.trace if s.kind in ("asked", "defaulted")]
    for step in asked:
        question = rulebase.question_by_id[step.id]
        assert question.text in drivers
        if question.kind == "choice":
            assert question.label_of(step.value) in drivers


# --------------------------------------------------------------------------- mermaid, links


@pytest.mark.parametrize("name", SCENARIOS)
def test_mermaid_block_is_well_formed_and_follows_the_trace(name: str, rulebase: RuleBase) -> None:
    rec, text = render_scenario(name, rulebase)
    fences = parse_document(text).fences
    mermaid = [content for info, content in fences if info == "mermaid"]
    assert len(mermaid) == 1 and len(fences) == 1
    labels = list(check_mermaid(mermaid[0]).values())
    for step in rec.trace:
        if step.kind in ("asked", "defaulted"):
            assert any(label.startswith(f"{step.id}: ") for label in labels), step.id
        elif step.kind == "fired":
            assert step.id in labels
    for finding in rec.findings:
        assert any(finding.id in label and finding.severity in label for label in labels)


def test_mermaid_labels_escape_quotes_brackets_and_markup() -> None:
    label = mermaid_label('say "hi" <b>[x]</b> `c` #1 & 50% end\nnext')
    assert label.startswith('"') and label.endswith('"')
    inner = label[1:-1]
    assert not set(inner) & set('"<>`\n')
    assert "#quot;hi#quot;" in inner and "#35;1" in inner


def test_support_keeps_only_the_answers_that_decide() -> None:
    a_is_x = cond.Compare("a", "==", "x")
    b_is_y = cond.Compare("b", "==", "y")
    answers = {"a": "x", "b": "z"}
    assert support(cond.Or((a_is_x, b_is_y)), answers) == {"a"}
    assert support(cond.And((a_is_x, cond.Not(b_is_y))), answers) == {"a", "b"}
    assert support(cond.Not(cond.And((b_is_y, a_is_x))), answers) == {"b"}
    assert support(cond.TRUE, answers) == frozenset()


def test_links_point_at_kb_sections_under_the_base_url(rulebase: RuleBase) -> None:
    rec, text = render_scenario("support_bot", rulebase, kb_base_url=BASE_URL)
    doc = parse_document(text)
    assert doc.links
    for href in doc.links:
        assert href.startswith(BASE_URL), href
        assert "kb/" + href[len(BASE_URL) :] in rulebase.kb, href
    linked = {"kb/" + href[len(BASE_URL) :] for href in doc.links}
    assert {s.ref for s in rec.sources} <= linked


def test_without_a_base_url_sections_are_plain_ids_and_quoted(rulebase: RuleBase) -> None:
    rec, text = render_scenario("support_bot", rulebase, kb_base_url=None)
    doc = parse_document(text)
    assert doc.links == []
    every_word = " ".join(inline_text(t) for t in doc.tokens if t.type == "inline")
    for source in rec.sources:
        assert source.ref in every_word
        if source.excerpt:
            assert " ".join(source.excerpt.split()) in every_word


# --------------------------------------------------------------------------- escaping


HOSTILE_PROJECT = "Evil # </details> <!-- x --> [a](javascript:alert(1)) `c` *e* | $x$ ~~s~~ \\"
HOSTILE_NOTES = (
    "# Heading\n---\n* item\n1. ordered\n> quote\n```\nfence\n<!-- comment -->\n"
    "<script>alert(1)</script>\n[ref]: http://evil.example\n    indented\n===\n"
    "| a | b |\n|---|---|\n"
    "-->\n<!-- llm-advisor:record\n{}\n-->\n\u2028 end"
)


def test_user_text_cannot_break_the_document(rulebase: RuleBase, answers: dict[str, Any]) -> None:
    plain = record_of(decide(answers, rulebase), date=DATE)
    hostile_answers = {**answers, "project": HOSTILE_PROJECT, "notes": HOSTILE_NOTES}
    text = record_of(decide(hostile_answers, rulebase), date=DATE)
    doc, plain_doc = parse_document(text), parse_document(plain)
    assert doc.headings[1:] == plain_doc.headings[1:]
    assert doc.headings[0] == (1, plain_doc.headings[0][1].replace(
        "the LLM application", " ".join(HOSTILE_PROJECT.split())
    ))  # fmt: skip
    assert doc.links == [] and doc.html_inline == []
    assert [info for info, _ in doc.fences] == ["mermaid"]
    assert len(doc.html_blocks) == len(plain_doc.html_blocks)
    assert front_matter_map(doc.front_matter) == front_matter_map(plain_doc.front_matter)
    context = doc.section_text("Context and Problem Statement")
    assert "<script>alert(1)</script>" in context and "[ref]: http://evil.example" in context
    kinds = {t.type for t in doc.section("Context and Problem Statement")[3:]}
    assert kinds <= {"paragraph_open", "paragraph_close", "inline", "blockquote_open",
                     "blockquote_close"}  # fmt: skip
    gfm = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(doc.body)
    plain_gfm = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(plain_doc.body)
    tables = [t for t in gfm if t.type == "table_open"]  # the latency ledger's table only
    assert len(tables) == len([t for t in plain_gfm if t.type == "table_open"]) == 1
    assert not {t.type for t in gfm} & {"s_open"}
    record = parse_record(text, "hostile.md")
    assert record is not None
    assert record.answers["project"] == HOSTILE_PROJECT
    assert record.answers["notes"] == HOSTILE_NOTES


# --------------------------------------------------------------------------- determinism, dates


def test_output_is_deterministic(rulebase: RuleBase) -> None:
    first = render_scenario("all_three", rulebase)[1]
    assert render_scenario("all_three", rulebase)[1] == first


def test_date_comes_from_the_argument_then_source_date_epoch(
    rulebase: RuleBase, answers: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    decision = decide(answers, rulebase)

    def date_of(**options: Any) -> str:
        text = record_of(decision, **options)
        return front_matter_map(parse_document(text).front_matter)["date"]

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    assert date_of() == "2023-11-14"
    assert date_of(date="2024-02-29") == "2024-02-29"
    for bad in ("2024-02-30", "24-1-1", "yesterday"):
        with pytest.raises(RecordError, match="--date"):
            date_of(date=bad)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "soon")
    with pytest.raises(RecordError, match="SOURCE_DATE_EPOCH"):
        date_of()


def test_a_base_url_that_would_break_links_is_refused(
    rulebase: RuleBase, answers: dict[str, Any]
) -> None:
    decision = decide(answers, rulebase)
    with pytest.raises(RecordError, match="--kb-base-url"):
        record_of(decision, date=DATE, kb_base_url="https://x.example/a b/")


# --------------------------------------------------------------------------- reading records back


def test_a_record_reads_back_its_answers_and_outcome(rulebase: RuleBase) -> None:
    rec, text = render_scenario("support_bot", rulebase)
    decision = decide(scenario("support_bot")["answers"], rulebase)
    record = parse_record(text, "0001.md")
    assert record is not None
    defaulted = {s.id for s in rec.trace if s.kind == "defaulted"}
    ignored = {s.id for s in rec.trace if s.kind == "ignored"}
    assert ignored, "the scenario gives an answer the walk does not reach"
    # every answer given is kept, reached or not; defaults are applied again
    assert record.answers == given_answers(decision)
    assert ignored <= set(record.answers) and not defaulted & set(record.answers)
    assert record.outcome == Outcome.of(decision)
    assert (record.rules, record.rules_version) == (rulebase.name, rec.rules_version)
    assert record.status == "proposed" and not record.closed
    assert advise(record.answers, rulebase) == rec


def test_regenerating_keeps_the_teams_front_matter(rulebase: RuleBase) -> None:
    rec, text = render_scenario("brand_voice", rulebase)
    edited = text.replace(
        "status: proposed\n",
        "status: accepted  # by the architecture board\ndecision-makers:\n  - Ada\n  - Linus\n"
        "consulted: [Grace]\n",
    )
    record = parse_record(edited, "0002.md")
    assert record is not None and record.status == "accepted"
    decision = decide(record.answers, rulebase)
    again = render_markdown(decision, date="2025-03-01", front_matter=record.front_matter)
    assert again == record_of(decision, date="2025-03-01", front_matter=record.front_matter)
    lines = parse_document(again).front_matter
    assert lines[:7] == [  # the team's keys keep their place; the date is updated in place
        "status: accepted  # by the architecture board",
        "decision-makers:",
        "  - Ada",
        "  - Linus",
        "consulted: [Grace]",
        "date: 2025-03-01",
        f'advisor-version: "{rec.advisor_version}"',
    ]
    assert sum(line.startswith("date:") for line in lines) == 1


def test_closed_decisions_are_recognised(rulebase: RuleBase) -> None:
    _, text = render_scenario("prompt_only", rulebase)
    for status in ("deprecated", '"superseded by [ADR-0005](0005-example.md)"', "Rejected"):
        record = parse_record(text.replace("status: proposed", f"status: {status}"), "r.md")
        assert record is not None and record.closed, status


def test_documents_without_a_record_block_are_not_records() -> None:
    assert parse_record("# Notes\n\nNothing to see.\n") is None
    shown = (
        "# Format\n\n```\n<!-- llm-advisor:record\n{}\n-->\n```\n\n"
        "Inline `<!-- llm-advisor:record`.\n"
    )
    assert parse_record(shown) is None


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda t: t.replace('"format": 1,', '"format": 1'),
            r"line \d+, column \d+: the embedded record is not valid JSON",
        ),
        (lambda t: t[: t.rindex("-->")], "not closed with '-->'"),
        (lambda t: t + "\n" + t[t.index("<!-- llm-advisor:record") :], "more than one"),
        (
            lambda t: t.replace(f'"format": {FORMAT},', '"format": 99,'),
            "newer than this llm-advisor",
        ),
        (lambda t: t.replace('"answers": {', '"answers_": {'), "no 'answers' object"),
        (lambda t: t.replace('"reranker": ', '"reranker": "maybe", "x": '), "outcome.reranker"),
        (
            lambda t: t.replace("status: proposed", "status proposed"),
            "line 2: expected 'key: value'",
        ),
    ],
)
def test_damaged_records_fail_with_the_file_and_the_problem(
    rulebase: RuleBase, damage: Any, message: str
) -> None:
    _, text = render_scenario("support_bot", rulebase)
    with pytest.raises(RecordError, match=message) as caught:
        parse_record(damage(text), "docs/decisions/0001.md")
    assert str(caught.value).startswith("docs/decisions/0001.md: ")


def test_front_matter_entries_keep_raw_lines() -> None:
    entries = parse_front_matter('---\nstatus: "accepted"\n# note\nlist:\n- a\n- b\n---\n# T\n')
    assert [(e.key, e.value) for e in entries] == [("status", "accepted"), ("list", None)]
    assert entries[1].lines == ("list:", "- a", "- b")


def test_a_record_without_a_newer_kind_reads_it_as_empty() -> None:
    recorded = Outcome({"techniques": ("prompt_engineering",), "findings": {}})
    current = Outcome({"techniques": ("prompt_engineering",), "tactics": ("few_shot",),
                       "reranker": True, "findings": {}})  # fmt: skip
    assert compare(recorded, current) == ["tactics: added few_shot", "re-ranker: no -> yes"]
    assert compare(current, recorded) == ["tactics: removed few_shot", "re-ranker: yes -> no"]


def test_alternatives_cost_one_decision_per_option(
    rulebase: RuleBase, answers: dict[str, Any]
) -> None:
    options = record_data(rulebase).options
    decision = decide(answers, rulebase)
    found = alternatives(decision, options)
    assert found.decisions == len(options)
    assert found.path == decision_path(decision)
    own = decide({**answers, "proposed": list(options[1])}, rulebase)
    assert alternatives(own, options).decisions == len(options) - 1  # its own proposal reused
    for option in options:
        what_if = decide({**answers, "proposed": list(option)}, rulebase)
        assert [f.id for f in found.of(option)] == [
            f.id for f in what_if.findings if any("proposed" in r.when_text for r in f.rules)
        ]
    assert "fine_tuning_does_not_add_knowledge" in {
        f.id for f in found.of(("prompt_engineering", "fine_tuning"))
    }


def test_compare_names_what_changed() -> None:
    old = Outcome({"techniques": ("prompt_engineering", "rag"), "tactics": ("clear_instructions",),
                   "retrievers": ("vector", "keyword"), "reranker": True, "purposes": (),
                   "findings": {"a": "medium", "b": "low"}})  # fmt: skip
    new = Outcome({"techniques": ("prompt_engineering", "rag", "fine_tuning"),
                   "tactics": ("clear_instructions",), "retrievers": ("vector",),
                   "reranker": False, "purposes": ("style",),
                   "findings": {"a": "high", "c": "info"}})  # fmt: skip
    assert compare(old, old) == []
    assert compare(old, new) == [
        "techniques: added fine_tuning",
        "retrievers: removed keyword",
        "purposes: added style",
        "re-ranker: yes -> no",
        "findings: added c (info), removed b (low), a severity medium -> high",
    ]


def test_mermaid_source_matches_the_record_block(rulebase: RuleBase) -> None:
    _, text = render_scenario("all_three", rulebase)
    decision = decide(scenario("all_three")["answers"], rulebase)
    fence = next(content for info, content in parse_document(text).fences if info == "mermaid")
    assert fence == render_mermaid(decision, decision_path(decision), record_data(rulebase))


def test_options_say_a_technique_is_out_of_reach_where_a_finding_says_so(
    rulebase: RuleBase, answers: dict[str, Any]
) -> None:
    """A behaviour gap with too few examples: the record's options must not claim that no rule
    calls for fine-tuning next to the finding that says it is called for but out of reach."""
    answers.update(
        knowledge="general", behavior="hard_to_describe", labelled_examples=10,
        model_access="open_weights",
    )  # fmt: skip
    decision = decide(answers, rulebase)
    assert "too_few_examples_for_fine_tuning" in {f.id for f in decision.findings}
    text = record_of(decision, date=DATE)
    options = text.split("## Pros and Cons of the Options", 1)[1]
    assert "no rule calls for fine-tuning" not in options
    assert "out of reach for now (see `too_few_examples_for_fine_tuning`)" in options
    # without the gap nothing is out of reach: the option is plainly not called for
    plain = record_of(decide({**answers, "behavior": "default"}, rulebase), date=DATE)
    assert "out of reach for now" not in plain.split("## Pros and Cons of the Options", 1)[1]
