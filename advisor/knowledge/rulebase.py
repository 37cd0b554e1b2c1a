"""The validated rule base: questions in walk order, rules, definitions, kb sections, the index.

A `RuleBase` is immutable and shared by every call of the engine; `advisor.knowledge.loader`
builds one from files (or the disk cache).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.knowledge import conditions as cond
from advisor.knowledge.domains import Domains, domains_of
from advisor.knowledge.index import RuleIndex
from advisor.knowledge.kb import Section
from advisor.knowledge.ledger import LedgerRules
from advisor.knowledge.pack_info import PackInfo, PackLayer
from advisor.knowledge.questions import Question, shapes_of
from advisor.knowledge.rules import Rule
from advisor.knowledge.terms import Expansion
from advisor.vocabulary import DEFAULT, Vocabulary

if TYPE_CHECKING:
    from advisor.knowledge.graph import DecisionGraph

QUESTIONS_FILE = "questions.toml"
RULESET_FILE = "ruleset.toml"
VOCABULARY_FILE = "vocabulary.toml"


@dataclass(frozen=True)
class RuleBase:
    """A validated rule base. `questions` is in walk order; `rules` in rationale order."""

    name: str
    version: str
    rules_dir: Path
    kb_dir: Path
    questions: tuple[Question, ...]
    rules: tuple[Rule, ...]
    definitions: dict[str, cond.Node]
    kb: dict[str, Section]
    digest: str
    vocabulary: Vocabulary = DEFAULT
    ledger: LedgerRules | None = None
    """The latency ledger's stages (`rules/latency.toml`); None: the rule base has none."""
    index_table: dict[str, dict[Any, int]] | None = None
    """The rule index's finite tables when read from the disk cache (None: build them)."""
    packs: tuple[PackInfo, ...] = ()
    """The rule packs layered over the rules, in order (`advisor.knowledge.packs`)."""
    layers: tuple[PackLayer, ...] = ()
    """What each pack added and changed (for lint); empty without packs."""
    index_terms: tuple[Expansion | None, ...] | None = None
    """The rule index's expansions of conditions into terms, read from the disk cache."""
    index_domains: Domains | None = None
    """The answer domains, read from the disk cache (None: work them out)."""
    domains: Domains = field(init=False)
    question_by_id: dict[str, Question] = field(init=False)
    compiled_gates: tuple[tuple[Question, cond.Evaluator], ...] = field(init=False)
    rule_index: RuleIndex = field(init=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "question_by_id", {q.id: q for q in self.questions})
        set_(
            self,
            "compiled_gates",
            tuple((q, cond.compile_condition(q.asked_when)) for q in self.questions),
        )
        domains = self.index_domains
        if domains is None:
            conditions = [r.when for r in self.rules] + [q.asked_when for q in self.questions]
            if self.ledger is not None:
                conditions += [stage.when for stage in self.ledger.stages]
            domains = domains_of(conditions)
        set_(self, "domains", domains)
        shapes = shapes_of(self.questions)
        stages = tuple(stage.when for stage in self.ledger.stages) if self.ledger else ()
        index = RuleIndex(
            self.rules, shapes, self.domains, self.index_table, self.index_terms, extra=stages
        )
        set_(self, "rule_index", index)

    @cached_property
    def compiled(self) -> tuple[tuple[Rule, cond.Evaluator], ...]:
        """Each rule with its condition compiled on its own (the engine uses `rule_index`)."""
        return tuple((r, cond.compile_condition(r.when)) for r in self.rules)

    @cached_property
    def graph(self) -> DecisionGraph:
        """The decision graph (built on first use: networkx is not needed to advise)."""
        from advisor.knowledge.graph import DecisionGraph, build_graph

        return DecisionGraph(build_graph(self.questions, self.rules))
