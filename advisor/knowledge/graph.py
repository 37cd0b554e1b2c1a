"""The decision graph: questions, rules and conclusions as a networkx DiGraph.

Node ids: `q:<question>`, `r:<rule>`, `c:<conclusion key>`. Edges:
- `q:a -> q:b` (kind "gates"): b's `asked_when` reads a, so a must be asked first;
- `q:a -> r:x` (kind "reads"): rule x's condition reads a;
- `r:x -> c:k` (kind "concludes").
The walk order of the questions is the graph's topological order (file order breaks ties), and
analysis tools (lint, what-if, the Mermaid view of a walk) work on the same graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from advisor.knowledge import conditions as cond

if TYPE_CHECKING:
    import networkx as nx

    from advisor.knowledge.questions import Question
    from advisor.knowledge.rules import Rule


def build_graph(questions: Sequence[Question], rules: Sequence[Rule]) -> nx.DiGraph:
    import networkx as nx

    graph = nx.DiGraph()
    for index, question in enumerate(questions):
        graph.add_node(f"q:{question.id}", kind="question", index=index, label=question.text)
    for question in questions:
        for source in sorted(cond.questions_in(question.asked_when)):
            graph.add_edge(
                f"q:{source}", f"q:{question.id}", kind="gates", condition=question.asked_when_text
            )
    for rule in rules:
        rule_node = f"r:{rule.id}"
        graph.add_node(rule_node, kind="rule", index=rule.order, condition=rule.when_text)
        for source in sorted(cond.questions_in(rule.when)):
            graph.add_edge(f"q:{source}", rule_node, kind="reads")
        conclusion = f"c:{rule.then.key}"
        graph.add_node(conclusion, kind="conclusion", label=rule.then.key)
        graph.add_edge(rule_node, conclusion, kind="concludes")
    return graph


def question_order(graph: nx.DiGraph) -> list[str]:
    """Question ids in walk order: gate edges respected, file order otherwise."""
    import networkx as nx

    gates = nx.DiGraph()
    for node, data in graph.nodes(data=True):
        if data["kind"] == "question":
            gates.add_node(node, index=data["index"])
    gates.add_edges_from((a, b) for a, b, data in graph.edges(data=True) if data["kind"] == "gates")
    order = nx.lexicographical_topological_sort(gates, key=lambda n: gates.nodes[n]["index"])
    return [node.removeprefix("q:") for node in order]
