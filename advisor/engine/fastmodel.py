"""Output models built from values the engine made itself, without pydantic re-validating them.

Validation costs more than the rest of `advise()` together (issue 6), and everything the engine
puts in a result comes from a validated rule base and validated answers. `construct()` is what
`model_construct()` does, minus its per-field bookkeeping: it fills pydantic's four instance
slots directly. It is used only while every output model has exactly the fields the engine fills
(`ENGINE_FIELDS`) and pydantic keeps its state in those four slots; otherwise the keyword
constructor takes over, so a new field can never be silently left out.
tests/test_cache_equivalence.py checks that validating a result gives an equal model.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from advisor.models import (
    Finding,
    FineTuningPlan,
    PromptEngineeringPlan,
    RagPlan,
    RationaleItem,
    Recommendation,
    Source,
    TraceStep,
)

Model = TypeVar("Model", bound=BaseModel)

# The fields the engine fills, per output model.
ENGINE_FIELDS: dict[type[BaseModel], frozenset[str]] = {
    TraceStep: frozenset({"kind", "id", "value", "detail"}),
    RationaleItem: frozenset({"text", "citations", "rule"}),
    PromptEngineeringPlan: frozenset({"tactics", "rationale"}),
    RagPlan: frozenset({"retrievers", "reranker", "rationale"}),
    FineTuningPlan: frozenset({"purposes", "rationale"}),
    Finding: frozenset({"id", "severity", "message", "citations", "rules"}),
    Source: frozenset({"ref", "title", "page", "excerpt"}),
    Recommendation: frozenset({
        "techniques", "prompt_engineering", "rag", "fine_tuning", "findings", "sources", "trace",
        "answers", "rules_version", "advisor_version",
    }),
}  # fmt: skip

# Where a model keeps its state; each slot's own setter is about twice as fast as
# object.__setattr__ by name, and `construct()` runs some twenty times per `advise()`.
_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")

ENABLED = set(getattr(BaseModel, "__slots__", ())) == set(_SLOTS) and all(
    set(model.model_fields) == names for model, names in ENGINE_FIELDS.items()
)


def _slot_setter(slot: str) -> Callable[[BaseModel, Any], None]:
    """The setter of one of pydantic's instance slots (a plain setattr if there is no such slot,
    in which case `ENABLED` is False and `construct()` does not use it)."""
    descriptor = vars(BaseModel).get(slot)
    if descriptor is None:
        return lambda model, value: object.__setattr__(model, slot, value)
    setter: Callable[[BaseModel, Any], None] = descriptor.__set__
    return setter


_new = object.__new__
_set_values, _set_fields_set, _set_extra, _set_private = map(_slot_setter, _SLOTS)


def construct(cls: type[Model], values: dict[str, Any], fields_set: set[str]) -> Model:
    """A `cls` holding `values` (every field, in declaration order), trusted as valid.

    `fields_set` (a fresh set: the model keeps it) names the fields a keyword constructor would
    have been given, so `model_dump(exclude_unset=True)` is the same either way.
    """
    if not ENABLED:
        return cls(**{name: value for name, value in values.items() if name in fields_set})
    model = _new(cls)
    _set_values(model, values)
    _set_fields_set(model, fields_set)
    _set_extra(model, None)
    _set_private(model, None)
    return model
