"""The decision graph: question -> gate -> rule -> conclusion, as a networkx DiGraph.

Node ids and kinds:
- `q:<question>` (question), `g:<question>` (gate: the question's `asked_when`, only for a
  conditional question), `r:<rule>` (rule), `c:<conclusion key>` (conclusion, e.g.
  `c:retriever:vector`, `c:finding:stale_index`).
Edges (attribute `kind`):
- `q:a -> g:b` ("reads"): b's gate reads a; `g:b -> q:b` ("opens"): the gate decides whether b
  is asked;
- `q:a -> r:x` ("reads"): rule x's condition reads a;
- `r:x -> c:k` ("concludes").

Everything that asks "what depends on what" reads this graph: the walk order of the questions
is its topological order (file order breaks ties), `can_change` (what a question can still
change: its descendants) serves WHY and the questionnaire, `led_to` (what led to a conclusion:
its ancestors) serves HOW and the decision record's path, and lint's structural checks (a
question nothing reads, a conclusion kind's owner that no rule concludes) are graph queries.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING

from advisor.knowledge import conditions as cond

if TYPE_CHECKING:
    import networkx as nx

    from advisor.knowledge.questions import Question
    from advisor.knowledge.rules import Rule


def question_node(question_id: str) -> str:
    return f"q:{question_id}"


def gate_node(question_id: str) -> str:
    return f"g:{question_id}"


def rule_node(rule_id: str) -> str:
    return f"r:{rule_id}"


def conclusion_node(key: str) -> str:
    return f"c:{key}"


def build_graph(questions: Sequence[Question], rules: Sequence[Rule]) -> nx.DiGraph:
    import networkx as nx

    graph = nx.DiGraph()
    for index, question in enumerate(questions):
        graph.add_node(question_node(question.id), kind="question", index=index)
    for index, question in enumerate(questions):
        reads = sorted(cond.questions_in(question.asked_when))
        if not reads:
            continue
        gate = gate_node(question.id)
        graph.add_node(gate, kind="gate", index=index, condition=question.asked_when_text)
        for source in reads:
            graph.add_edge(question_node(source), gate, kind="reads")
        graph.add_edge(gate, question_node(question.id), kind="opens")
    for rule in rules:
        node = rule_node(rule.id)
        graph.add_node(node, kind="rule", index=rule.order, condition=rule.when_text)
        for source in sorted(cond.questions_in(rule.when)):
            graph.add_edge(question_node(source), node, kind="reads")
        conclusion = conclusion_node(rule.then.key)
        graph.add_node(conclusion, kind="conclusion", key=rule.then.key)
        graph.add_edge(node, conclusion, kind="concludes")
    return graph


def question_order(graph: nx.DiGraph) -> list[str]:
    """Question ids in walk order: a question comes after every question its gate reads (the
    topological order of questions and gates), file order otherwise."""
    import networkx as nx

    flow = graph.subgraph(
        n for n, data in graph.nodes(data=True) if data["kind"] in ("question", "gate")
    )
    order = nx.lexicographical_topological_sort(
        flow, key=lambda n: (graph.nodes[n]["index"], n.startswith("q:"))
    )
    return [node[2:] for node in order if node.startswith("q:")]


class DecisionGraph:
    """Queries over one rule base's decision graph."""

    def __init__(self, graph: nx.DiGraph) -> None:
        self.graph = graph

    def _of_kind(self, nodes: set[str], kind: str) -> list[str]:
        data = self.graph.nodes
        return sorted(
            (n for n in nodes if data[n]["kind"] == kind), key=lambda n: data[n].get("index", 0)
        )

    def can_change(self, question_id: str) -> tuple[list[str], list[str], list[str]]:
        """What a question's answer can change: the questions it can open or close (through
        gates), the rules whose conditions depend on it (directly or through a question it
        opens), and their conclusions; ids without prefixes, in walk / rule order."""
        import networkx as nx

        below = nx.descendants(self.graph, question_node(question_id))
        return (
            [n[2:] for n in self._of_kind(below, "question")],
            [n[2:] for n in self._of_kind(below, "rule")],
            sorted(n[2:] for n in below if self.graph.nodes[n]["kind"] == "conclusion"),
        )

    def led_to(self, key: str) -> tuple[list[str], list[str]]:
        """What can lead to a conclusion (e.g. `retriever:vector`): the rules concluding it and
        every question they read, directly or through the gates that decide those questions."""
        import networkx as nx

        node = conclusion_node(key)
        if node not in self.graph:
            return [], []
        above = nx.ancestors(self.graph, node)
        return (
            [n[2:] for n in self._of_kind(above, "rule")],
            [n[2:] for n in self._of_kind(above, "question")],
        )

    def concluding(self, key: str) -> list[str]:
        """The rules that conclude `key` directly, in rule order."""
        node = conclusion_node(key)
        if node not in self.graph:
            return []
        return [n[2:] for n in self._of_kind(set(self.graph.predecessors(node)), "rule")]

    def readers(self, question_id: str) -> list[str]:
        """The rules and gates that read a question directly (`r:...` and `g:...` ids)."""
        return sorted(self.graph.successors(question_node(question_id)))

    def unread_questions(self) -> list[str]:
        """Questions that no rule and no gate reads: their answers can change nothing."""
        data = self.graph.nodes
        return [
            n[2:]
            for n in self._of_kind(set(self.graph), "question")
            if not any(data[s]["kind"] in ("rule", "gate") for s in self.graph.successors(n))
        ]

    def concluded(self) -> set[str]:
        """Every conclusion key some rule concludes."""
        return {
            data["key"] for _, data in self.graph.nodes(data=True) if data["kind"] == "conclusion"
        }

    @cached_property
    def walk_order(self) -> list[str]:
        return question_order(self.graph)
