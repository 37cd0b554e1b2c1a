"""The pydantic output contract of the analyses: Explanation (HOW), WhatIf and Review.

Each model validates the plain data its analysis produces (`as_dict()`), so the library result
and `--format json` are the same data. Field names may be added, never renamed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

Strength = Literal["essential", "recommended", "optional"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SupportingAnswer(_Model):
    question: str
    value: Any
    words: str
    status: Literal["asked", "defaulted", "not_asked"]
    changeable: bool


class FiredRule(_Model):
    id: str
    because: str
    citations: tuple[str, ...]
    support: tuple[SupportingAnswer, ...]


class Source(_Model):
    ref: str
    title: str


class Element(_Model):
    kind: str
    value: str
    key: str
    label: str
    section: str | None
    severity: str | None
    rules: tuple[FiredRule, ...]
    notes: tuple[FiredRule, ...]
    baseline: bool
    strength: Strength | None = None
    strength_reason: str | None = None


class Explanation(_Model):
    """HOW the advice was reached: per technique, sub-choice and finding, the rules that fired,
    the minimal answers that made each true, the kb sections, and the strength."""

    techniques: tuple[str, ...]
    elements: tuple[Element, ...]
    sources: tuple[Source, ...]
    answers: dict[str, Any]

    def element(self, key: str) -> Element | None:
        return next((e for e in self.elements if e.key == key), None)


class ReviewFinding(_Model):
    """One difference between a proposed approach and the advice."""

    id: str
    severity: Literal["high", "medium", "low", "info"]
    message: str
    improvement: str
    citations: tuple[str, ...]
    question: str | None
    """The answer the finding concerns (for locations), when there is one."""
    rules: tuple[str, ...]


class Review(_Model):
    """A proposed approach checked against the advice."""

    proposal: tuple[str, ...]
    sub_choices: dict[str, tuple[str, ...]]
    advised: tuple[str, ...]
    findings: tuple[ReviewFinding, ...]
