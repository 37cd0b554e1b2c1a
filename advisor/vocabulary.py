"""The conclusion vocabulary, declared once: what a rule's `then` may conclude, and how it shows.

Each `Kind` says which values it takes, which technique's plan holds it and under which result
field, how several rules concluding it merge, its words, and whether a decision record's outcome
compares it (so `advisor check` notices when it changes). Parsing rules, the Decision, the
Recommendation, the record's outcome, lint and the renderers all read this table; none of them
names a kind's values. A rule folder may add kinds in `vocabulary.toml` (see `extend`), which is
how a test-only rule base shows that a new kind needs no code outside the renderers.

The Literal types are the typed face of the shipped values for the output models.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Literal, get_args

Severity = Literal["high", "medium", "low", "info"]
Technique = Literal["prompt_engineering", "rag", "fine_tuning"]
Tactic = Literal[
    "clear_instructions",
    "output_format",
    "chain_of_thought",
    "few_shot",
    "context_in_prompt",
    "query_rewriting",
    "dynamic_few_shot",
    "prompt_caching",
    "constrained_decoding",
    "routing",
    "injection_defence",
]
Retriever = Literal["vector", "keyword", "text_to_sql", "tool_call"]
Purpose = Literal["style", "format", "instructions", "skill"]
TrainingMethod = Literal[
    "supervised", "lora", "distillation", "preference", "reinforcement", "continued_pretraining"
]
EvaluationMethod = Literal[
    "cot_test_set",
    "ragas",
    "execution",
    "exact_match",
    "schema_validity",
    "judge_model",
    "human_review",
    "online_ab",
    "latency_slo",
]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
TECHNIQUES: tuple[Technique, ...] = get_args(Technique)
SECTIONS: tuple[str, ...] = (*TECHNIQUES, "evaluation")
"""The plans a recommendation holds: one per technique (present when adopted) and the
evaluation plan (always present)."""
BASELINE: Technique = "prompt_engineering"
"""The technique every recommendation starts from."""

Merge = Literal["list", "flag", "by_id"]
"""How several fired rules of one kind combine: a list of distinct values (in the kind's order),
a yes/no flag (any rule concluding it), or one item per id (findings: the most severe wins)."""

_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Kind:
    """One conclusion kind, e.g. `retriever` (vector, keyword, text_to_sql; in the RAG plan)."""

    name: str
    values: tuple[str, ...] | None
    """Allowed values in output order; () for a flag that takes no value; None for any id."""
    owner: str | None
    """The technique whose plan holds it; None for top-level fields (techniques, findings), and
    `"value"` for a note (its reason goes to the plan of the technique it names)."""
    field: str | None
    """The result field (in the owner's plan, or top level); None when it only adds a reason."""
    merge: Merge
    label: str
    """The kind in words, singular: `retriever`."""
    value_labels: dict[str, str] = dataclasses.field(default_factory=dict)
    """Each value in words, where it reads better than the id."""
    in_outcome: bool = True
    """Whether a decision record's outcome holds it (what `advisor check` compares)."""
    outcome_key: str | None = None
    """The key of the kind in a record's outcome, where the field name alone is ambiguous
    (`methods` is both the fine-tuning plan's and the evaluation plan's); default: the field."""

    @property
    def key(self) -> str:
        """The kind's key in a record's outcome."""
        return self.outcome_key or self.field or self.name

    def words(self, value: str) -> str:
        return self.value_labels.get(value, value.replace("_", " "))

    def section(self, value: str) -> str | None:
        """The technique whose rationale a reason for `kind:value` belongs to."""
        if self.owner == "value":
            return value
        if self.name == "technique":
            return value
        return self.owner


TECHNIQUE = Kind(
    "technique",
    TECHNIQUES,
    None,
    "techniques",
    "list",
    "technique",
    {"prompt_engineering": "prompt engineering", "rag": "RAG", "fine_tuning": "fine-tuning"},
)
FINDING = Kind("finding", None, None, "findings", "by_id", "finding")

SHIPPED: tuple[Kind, ...] = (
    TECHNIQUE,
    Kind(
        "tactic",
        get_args(Tactic),
        "prompt_engineering",
        "tactics",
        "list",
        "prompt tactic",
        {
            "chain_of_thought": "chain-of-thought",
            "few_shot": "few-shot examples",
            "context_in_prompt": "the whole material in a cached prompt",
            "dynamic_few_shot": "retrieved few-shot examples",
            "constrained_decoding": "schema-constrained decoding",
            "routing": "routing or a model cascade",
            "injection_defence": "defence against injected instructions",
        },
    ),
    Kind(
        "retriever",
        get_args(Retriever),
        "rag",
        "retrievers",
        "list",
        "retriever",
        {
            "vector": "vector search",
            "keyword": "keyword search",
            "text_to_sql": "text-to-SQL",
            "tool_call": "a scoped tool call",
        },
    ),
    Kind("reranker", (), "rag", "reranker", "flag", "re-ranker", {"": "a re-ranker"}),
    Kind("purpose", get_args(Purpose), "fine_tuning", "purposes", "list", "fine-tuning purpose"),
    Kind(
        "method",
        get_args(TrainingMethod),
        "fine_tuning",
        "methods",
        "list",
        "training method",
        {
            "supervised": "supervised fine-tuning",
            "lora": "LoRA adapters",
            "preference": "preference tuning (DPO)",
            "reinforcement": "reinforcement fine-tuning against a grader",
            "continued_pretraining": "continued pre-training",
        },
    ),
    Kind(
        "evaluation",
        get_args(EvaluationMethod),
        "evaluation",
        "methods",
        "list",
        "evaluation method",
        {
            "cot_test_set": "chain-of-thought test set",
            "ragas": "retrieval metrics (ragas)",
            "execution": "checks by execution",
            "exact_match": "exact match against references",
            "schema_validity": "schema validity",
            "judge_model": "judge model calibrated on human labels",
            "human_review": "human review",
            "online_ab": "online A/B test on business metrics",
            "latency_slo": "latency SLO check",
        },
        outcome_key="evaluation",
    ),
    Kind("note", SECTIONS, "value", None, "list", "note", in_outcome=False),
    FINDING,
)


@dataclass(frozen=True)
class Vocabulary:
    """The kinds in force for a rule base, in declaration order."""

    kinds: tuple[Kind, ...] = SHIPPED
    by_name: dict[str, Kind] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {kind.name: kind for kind in self.kinds})

    def kind(self, name: str) -> Kind:
        return self.by_name[name]

    def sub_choices(self, technique: str) -> tuple[Kind, ...]:
        """The kinds shown in `technique`'s plan, in declaration order."""
        return tuple(k for k in self.kinds if k.owner == technique and k.field is not None)

    @property
    def outcome_kinds(self) -> tuple[Kind, ...]:
        return tuple(k for k in self.kinds if k.in_outcome and k.field is not None)

    def parse(self, text: Any) -> tuple[str, str]:
        """`kind:value` -> (kind, value); ValueError naming the allowed forms."""
        if not isinstance(text, str):
            raise ValueError("'then' must be a string such as 'technique:rag'")
        name, _, value = text.partition(":")
        kind = self.by_name.get(name)
        if kind is None:
            raise ValueError(
                f"'then' = '{text}': unknown kind '{name}' (allowed: {', '.join(self.by_name)})"
            )
        if kind.values == ():
            if value:
                raise ValueError(f"'then' = '{text}': '{name}' takes no value")
        elif kind.values is None:
            if not _ID.match(value):
                raise ValueError(f"'then' = '{text}': '{name}:' needs a lower_snake_case id")
        elif value not in kind.values:
            raise ValueError(f"'then' = '{text}': '{value}' is not one of {', '.join(kind.values)}")
        return name, value


DEFAULT = Vocabulary()

_KIND_KEYS = {"name", "values", "owner", "field", "label", "value_labels", "flag", "in_outcome"}


def extend(base: Vocabulary, entries: Any) -> Vocabulary:
    """`base` plus the `[[kind]]` tables of a rule folder's `vocabulary.toml`.

    A kind added this way is a sub-choice of one technique's plan: `name`, `values` (a list of
    ids; omit it and set `flag = true` for a yes/no), `owner` (a technique), `field` (the plan's
    field), `label`. ValueError names the problem; the loader adds the file and place.
    """
    from advisor.knowledge.tomlfile import table_problem

    if not isinstance(entries, list):
        raise ValueError("kinds are written as [[kind]] tables")
    kinds = list(base.kinds)
    names = {kind.name for kind in kinds}
    for entry in entries:
        problem = table_problem(entry, "kind", _KIND_KEYS)
        if problem:
            raise ValueError(problem)
        assert isinstance(entry, dict)
        name = entry.get("name")
        if not isinstance(name, str) or not _ID.match(name) or name in names:
            raise ValueError(f"kind name {name!r} must be a new lower_snake_case id")
        owner = entry.get("owner")
        if owner not in SECTIONS:
            raise ValueError(f"kind '{name}': 'owner' must be one of {', '.join(SECTIONS)}")
        field_name = entry.get("field", name + "s")
        flag = entry.get("flag", False) is True
        values = () if flag else entry.get("values")
        if not isinstance(values, list | tuple) or not all(
            isinstance(v, str) and _ID.match(v) for v in values
        ):
            raise ValueError(f"kind '{name}': 'values' must be a list of lower_snake_case ids")
        if not isinstance(field_name, str) or not _ID.match(field_name):
            raise ValueError(f"kind '{name}': 'field' must be a lower_snake_case name")
        labels = entry.get("value_labels", {})
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise ValueError(f"kind '{name}': 'value_labels' must map values to words")
        kinds.insert(
            len(kinds) - 2,  # before note and finding: sub-choices stay together
            Kind(
                name,
                tuple(values),
                owner,
                field_name,
                "flag" if flag else "list",
                str(entry.get("label", name.replace("_", " "))),
                dict(labels),
                entry.get("in_outcome", True) is not False,
            ),
        )
        names.add(name)
    return Vocabulary(tuple(kinds))
