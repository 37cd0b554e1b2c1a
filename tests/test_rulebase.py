"""Loading the rule base: the shipped one is valid; broken files fail fast with file and place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from advisor.errors import KnowledgeBaseError, RuleFileError
from advisor.knowledge import conditions as c
from advisor.knowledge.loader import load_rulebase
from advisor.knowledge.rulebase import RuleBase


def test_shipped_rule_base_loads_and_every_citation_resolves(rulebase: RuleBase) -> None:
    assert rulebase.rules and rulebase.questions
    for rule in rulebase.rules:
        assert rule.cite, rule.id
        for ref in rule.cite:
            assert ref in rulebase.kb, (rule.id, ref)


def test_walk_order_comes_from_the_graph_and_respects_gates(rulebase: RuleBase) -> None:
    order = [q.id for q in rulebase.questions]
    position = {qid: i for i, qid in enumerate(order)}
    graph = rulebase.graph.graph
    gate_edges = [
        (a, b)
        for a, g, d in graph.edges(data=True)
        if d["kind"] == "reads" and g.startswith("g:")
        for _, b in graph.out_edges(g)
    ]
    assert gate_edges, "the shipped questions have conditional questions"
    for a, b in gate_edges:
        assert position[a.removeprefix("q:")] < position[b.removeprefix("q:")]
    kinds = {d["kind"] for _, d in graph.nodes(data=True)}
    assert kinds == {"question", "gate", "rule", "conclusion"}
    for rule in rulebase.rules:
        assert graph.has_edge(f"r:{rule.id}", f"c:{rule.then.key}")
        for qid in c.questions_in(rule.when):
            assert graph.has_edge(f"q:{qid}", f"r:{rule.id}")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text not found in {path.name}: {old}"
    path.write_text(text.replace(old, new, 1))


def _first_rule(rules: Path) -> tuple[Path, str]:
    path = rules / "rag.toml"
    rule_id = re.search(r'^id = "([a-z_]+)"', path.read_text(), re.MULTILINE)
    assert rule_id
    return path, rule_id.group(1)


def test_unknown_question_in_a_condition(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    path, rule_id = _first_rule(rules)
    text = path.read_text()
    when = re.search(rf'id = "{rule_id}"\nwhen = "([^"]*)"', text)
    assert when
    _edit(path, f'when = "{when.group(1)}"', 'when = "knowlege == general"')
    with pytest.raises(RuleFileError) as info:
        load_rulebase(rules, kb)
    message = str(info.value)
    assert "rag.toml" in message and f"rule '{rule_id}'" in message
    assert "unknown question id 'knowlege'" in message
    assert re.search(r"line \d+", message)


def test_citation_to_a_missing_anchor_suggests_the_closest(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    path = rules / "rag.toml"
    ref = re.search(r'"(kb/[a-z-]+\.md#[a-z0-9-]+)"', path.read_text())
    assert ref
    _edit(path, ref.group(1), ref.group(1) + "x")
    with pytest.raises(KnowledgeBaseError) as info:
        load_rulebase(rules, kb)
    assert f"'{ref.group(1)}x' names no knowledge-base section" in str(info.value)
    assert f"did you mean '{ref.group(1)}'" in str(info.value)


def test_malformed_toml_names_file_and_line(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    (rules / "extra.toml").write_text('[[rule]]\nid = "x"\nwhen = "true\n')
    with pytest.raises(RuleFileError) as info:
        load_rulebase(rules, kb)
    assert "extra.toml" in str(info.value) and "not valid TOML" in str(info.value)
    assert "line 3" in str(info.value)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ('then = "technique:magic"', "'magic' is not one of"),
        ('then = "spell:x"', "unknown kind 'spell'"),
        ('then = "finding:oops"', "a finding needs 'severity'"),
        ('then = "retriever:vector"\nseverity = "high"', "'severity' applies only"),
        ('then = "retriever:vector"\ncolour = "red"', "unknown key(s) colour"),
    ],
)
def test_bad_rule_fields(rules_copy: tuple[Path, Path], rule: str, message: str) -> None:
    rules, kb = rules_copy
    cite = next(iter(load_rulebase(rules, kb).kb))
    (rules / "extra.toml").write_text(
        f'[[rule]]\nid = "bad_rule"\nwhen = "true"\n{rule}\nbecause = "x"\ncite = ["{cite}"]\n'
    )
    with pytest.raises(RuleFileError) as info:
        load_rulebase(rules, kb)
    assert "extra.toml" in str(info.value) and "rule 'bad_rule'" in str(info.value)
    assert message in str(info.value)


def test_rule_without_citation_is_rejected(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    (rules / "extra.toml").write_text(
        '[[rule]]\nid = "uncited"\nwhen = "true"\nthen = "tactic:few_shot"\nbecause = "x"\n'
    )
    with pytest.raises(RuleFileError, match="must cite at least one"):
        load_rulebase(rules, kb)


def test_duplicate_rule_id(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    _, rule_id = _first_rule(rules)
    cite = next(iter(load_rulebase(rules, kb).kb))
    (rules / "zz_extra.toml").write_text(
        f'[[rule]]\nid = "{rule_id}"\nwhen = "true"\nthen = "tactic:few_shot"\n'
        f'because = "x"\ncite = ["{cite}"]\n'
    )
    with pytest.raises(RuleFileError, match=f"duplicate rule id '{rule_id}'"):
        load_rulebase(rules, kb)


def test_question_gate_may_read_a_later_question(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    path = rules / "questions.toml"
    text = path.read_text()
    path.write_text(
        text.replace(
            'asked_when = "knowledge != general"', 'asked_when = "reasoning == complex"', 1
        )
    )
    order = [q.id for q in load_rulebase(rules, kb).questions]
    assert order.index("reasoning") < order.index("data_shapes")  # the graph orders the walk


def test_question_gates_in_a_cycle_are_refused(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    path = rules / "questions.toml"
    text = path.read_text()
    gated = 'suggest = "private_static"\nasked_when = "citations"'
    text = text.replace('suggest = "private_static"', gated, 1)
    path.write_text(text)
    with pytest.raises(RuleFileError) as info:
        load_rulebase(rules, kb)
    assert "questions.toml" in str(info.value)
    assert "gate each other in a cycle" in str(info.value)
    assert "knowledge -> " in str(info.value)


def test_definition_cycle_is_reported(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    (rules / "extra.toml").write_text('[define]\nloop_a = "loop_b"\nloop_b = "loop_a"\n')
    with pytest.raises(RuleFileError, match="cycle: loop_a -> loop_b -> loop_a"):
        load_rulebase(rules, kb)


def test_kb_page_without_title(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    (kb / "broken.md").write_text("Some text\n\n## A section\n")
    with pytest.raises(KnowledgeBaseError, match=r"broken\.md: line 1: a kb page must start"):
        load_rulebase(rules, kb)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("min_choices = 1", 'min_choices = "x"', "'min_choices' applies to set questions"),
        (
            'see = ["kb/rag.md#citations-need-retrieval"]',
            'see = "kb/rag.md"',
            "'see' must be a list",
        ),
    ],
)
def test_bad_question_fields(
    rules_copy: tuple[Path, Path], old: str, new: str, message: str
) -> None:
    rules, kb = rules_copy
    _edit(rules / "questions.toml", old, new)
    with pytest.raises(RuleFileError, match=message):
        load_rulebase(rules, kb)


def test_a_folder_named_like_a_rule_file_is_reported(rules_copy: tuple[Path, Path]) -> None:
    rules, kb = rules_copy
    (rules / "zz_folder.toml").mkdir()
    with pytest.raises(RuleFileError, match=r"zz_folder\.toml: it is a folder"):
        load_rulebase(rules, kb)
