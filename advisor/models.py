"""The public output contract: the Recommendation and its parts (pydantic models).

Every part is immutable: models are frozen and their sequences are tuples, so one part (a trace
step, a source, a reason) can be shared by many results and no caller can change another's.

Field names are a contract with design-review tooling: fields may be added, never renamed.
The answers model is generated from the question data (see `advisor.knowledge.answers`).
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

from advisor.vocabulary import (
    EvaluationMethod,
    Purpose,
    Retriever,
    Severity,
    Tactic,
    Technique,
    TrainingMethod,
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    # The engine builds results with `model_construct` and one shared frozenset of field names
    # per model (a set per instance was a third of a result's memory); a copy gets its own set,
    # so `model_copy(update=...)` works as usual.
    def __copy__(self) -> Self:
        copied = super().__copy__()
        object.__setattr__(copied, "__pydantic_fields_set__", set(self.__pydantic_fields_set__))
        return copied

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        copied = super().__deepcopy__(memo)
        object.__setattr__(copied, "__pydantic_fields_set__", set(self.__pydantic_fields_set__))
        return copied


class RationaleItem(_Model):
    """One reason, in words, with the knowledge-base sections that back it."""

    text: str
    citations: tuple[str, ...] = Field(description="References of the form kb/<file>.md#<anchor>.")
    rule: str = Field(description="Id of the rule that gave this reason.")


class _Plan(_Model):
    """A technique's plan; a sub-choice kind added by a rule base's vocabulary.toml shows as an
    extra field after the declared ones."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)


class PromptEngineeringPlan(_Plan):
    tactics: tuple[Tactic, ...]
    rationale: tuple[RationaleItem, ...]


class RagPlan(_Plan):
    retrievers: tuple[Retriever, ...]
    reranker: bool
    rationale: tuple[RationaleItem, ...]


class FineTuningPlan(_Plan):
    purposes: tuple[Purpose, ...]
    methods: tuple[TrainingMethod, ...] = Field(
        default=(), description="Training methods that fit the case, in the vocabulary's order."
    )
    rationale: tuple[RationaleItem, ...]


class EvaluationPlan(_Plan):
    """How to tell whether the application works: methods fitted to the task, and why."""

    methods: tuple[EvaluationMethod, ...]
    rationale: tuple[RationaleItem, ...]


class LedgerStage(_Model):
    """One stage of serving a request, with its typical cost in milliseconds."""

    id: str
    label: str
    low_ms: int
    typical_ms: int
    high_ms: int
    parallel_group: str | None = Field(
        description="Stages of one group run in parallel: the group costs its slowest member."
    )
    citations: tuple[str, ...]


class LatencyLedger(_Model):
    """The planned stages added up and compared with the latency budget."""

    budget_ms: int
    measure: Literal["full_response", "first_token", "first_audio"] = Field(
        description="What the budget bounds: the complete answer, the first streamed token, or "
        "the first audio of a spoken reply."
    )
    stages: tuple[LedgerStage, ...] = Field(description="The kept stages, in pipeline order.")
    dropped: tuple[LedgerStage, ...] = Field(
        description="Stages dropped to fit the budget, in the order they were dropped."
    )
    swapped: tuple[LedgerStage, ...] = Field(
        default=(),
        description="Stages replaced by a cheaper one to fit the budget (the replacement is "
        "among the stages).",
    )
    drop_order: tuple[str, ...] = Field(
        description="The documented order in which optional stages are dropped."
    )
    total_low_ms: int
    total_typical_ms: int = Field(description="The sum the ledger compares with the budget.")
    total_high_ms: int
    fits: bool = Field(description="Whether the kept stages' typical total fits the budget.")


class Finding(_Model):
    """A warning or advice the team should act on, with a stable id and a severity."""

    id: str
    severity: Severity
    message: str
    citations: tuple[str, ...]
    rules: tuple[str, ...] = Field(description="Ids of the rules that raised this finding.")


class Source(_Model):
    """A cited knowledge-base section, with the excerpt that justifies the advice."""

    ref: str
    title: str
    page: str
    excerpt: str


class TraceStep(_Model):
    """One step of the walk: a question asked/skipped/ignored/defaulted, or a rule that fired."""

    kind: Literal["asked", "defaulted", "skipped", "ignored", "fired"]
    id: str
    value: Any = None
    detail: str = ""


class PackRef(_Model):
    """A rule pack in force when the advice was given."""

    name: str
    version: str


def _no_packs(value: tuple[PackRef, ...]) -> bool:
    return not value


class Recommendation(_Model):
    """The advice: techniques to adopt (in order), their sub-choices, findings, sources, trace."""

    techniques: tuple[Technique, ...] = Field(
        description="Techniques to adopt, in adoption order; prompt engineering is always first."
    )
    prompt_engineering: PromptEngineeringPlan
    rag: RagPlan | None
    fine_tuning: FineTuningPlan | None
    evaluation: EvaluationPlan
    latency: LatencyLedger | None = Field(
        description="The latency ledger; None when the rule base has no ledger."
    )
    findings: tuple[Finding, ...] = Field(
        description="Ordered by severity (high first), then rule order."
    )
    sources: tuple[Source, ...] = Field(
        description="Every cited section, in order of first citation."
    )
    trace: tuple[TraceStep, ...]
    answers: dict[str, Any] = Field(
        description="The answers the walk used (unreached ones dropped)."
    )
    rules_version: str
    advisor_version: str
    packs: tuple[PackRef, ...] = Field(
        default=(),
        exclude_if=_no_packs,
        description="The rule packs layered over the rules, in order (left out when none).",
    )


PART_NAMES = (
    "RationaleItem",
    "PromptEngineeringPlan",
    "RagPlan",
    "FineTuningPlan",
    "EvaluationPlan",
    "LedgerStage",
    "LatencyLedger",
    "Finding",
    "Source",
    "TraceStep",
    "PackRef",
    "Recommendation",
)
"""The models `engine.assemble` builds a Recommendation from, by name."""
