"""The decision graph (question -> gate -> rule -> conclusion) is what the walk and lint use."""

from __future__ import annotations

import shutil
from pathlib import Path

import advisor
from advisor.analysis.lint import lint
from advisor.knowledge import conditions as cond
from advisor.knowledge.rulebase import RuleBase

ROOT = Path(__file__).resolve().parents[1]

QUESTIONS = """
[[question]]
id = "detail"
type = "choice"
text = "Which detail?"
why = "w"
asked_when = "base == b"
choices = [{ value = "x", label = "X" }, { value = "y", label = "Y" }]

[[question]]
id = "base"
type = "choice"
text = "Which base?"
why = "w"
choices = [{ value = "a", label = "A" }, { value = "b", label = "B" }]
{extra}
"""
RULES = """
[[rule]]
id = "baseline"
when = "true"
then = "technique:prompt_engineering"
because = "b"
cite = ["kb/prompt-engineering.md#start-with-prompts-and-evals"]

[[rule]]
id = "detail_rag"
when = "detail == x"
then = "technique:rag"
because = "b"
cite = ["kb/prompt-engineering.md#start-with-prompts-and-evals"]
"""
UNREAD = """
[[question]]
id = "loose"
type = "bool"
text = "Loose?"
why = "w"
default = false
"""


def _rulebase(tmp_path: Path, extra: str = "") -> RuleBase:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "questions.toml").write_text(QUESTIONS.replace("{extra}", extra))
    (rules / "rules.toml").write_text(RULES)
    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "kb", kb)
    return advisor.load_rulebase(rules, kb)


def test_walk_order_is_the_graphs_topological_order(tmp_path: Path) -> None:
    rulebase = _rulebase(tmp_path)
    # the file lists 'detail' first, but its gate reads 'base': the graph puts base first
    assert [q.id for q in rulebase.questions] == ["base", "detail"]
    assert advisor.next_question({}, rulebase).id == "base"
    assert advisor.next_question({"base": "b"}, rulebase).id == "detail"
    assert advisor.next_question({"base": "a"}, rulebase) is None


def test_what_a_question_can_change_follows_gates(tmp_path: Path) -> None:
    graph = _rulebase(tmp_path).graph
    questions, rules, conclusions = graph.can_change("base")
    assert questions == ["detail"]  # through the gate
    assert rules == ["detail_rag"]  # base is not read by the rule, but opens what it reads
    assert conclusions == ["technique:rag"]
    assert graph.can_change("detail") == ([], ["detail_rag"], ["technique:rag"])


def test_what_led_to_a_conclusion_is_its_ancestors(tmp_path: Path) -> None:
    graph = _rulebase(tmp_path).graph
    assert graph.led_to("technique:rag") == (["detail_rag"], ["base", "detail"])
    assert graph.led_to("technique:fine_tuning") == ([], [])


def test_shipped_graph_agrees_with_the_conditions(rulebase: RuleBase) -> None:
    graph = rulebase.graph
    for rule in rulebase.rules:
        rules, questions = graph.led_to(rule.then.key)
        assert rule.id in rules
        assert cond.questions_in(rule.when) <= set(questions)
        assert set(graph.concluding(rule.then.key)) == {
            r.id for r in rulebase.rules if r.then.key == rule.then.key
        }
    for question in rulebase.questions:
        _, rules, _ = graph.can_change(question.id)
        direct = {r.id for r in rulebase.rules if question.id in cond.questions_in(r.when)}
        assert direct <= set(rules)
    assert graph.unread_questions() == []


def test_lint_reports_a_question_nothing_reads(tmp_path: Path) -> None:
    report = lint(_rulebase(tmp_path, UNREAD))
    unread = [d for d in report.diagnostics if d.code == "unread-question"]
    assert [d.rule for d in unread] == ["loose"]
