"""Typed inputs and outputs of the MCP tools that the library does not already model.

The recommendation, explanation and review are the library's own pydantic models; these wrap
the question specs, the next question, the what-if analysis (plain dataclasses in the library)
and a record's check, so every tool has a precise output schema (structured content).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.analysis.whatif import ElementWhatIf


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ChoiceInfo(_Model):
    value: str
    label: str
    help: str


class PresetInfo(_Model):
    value: int
    label: str


class QuestionInfo(_Model):
    """One question, as `advisor questions --format json` lists it."""

    id: str
    type: Literal["choice", "set", "bool", "int"]
    text: str
    why: str
    asked_when: str = Field(description="The condition on earlier answers that asks it.")
    choices: list[ChoiceInfo] = []
    min: int | None = None
    max: int | None = None
    unit: str | None = None
    presets: list[PresetInfo] = []
    default: Any = None
    suggest: Any = None
    see: list[str] = Field(default=[], description="Knowledge-base sections (kb://...).")


class QuestionList(_Model):
    questions: list[QuestionInfo]


class NextQuestion(_Model):
    """The next question the walk needs, or `done` when the answers are complete."""

    done: bool
    question: QuestionInfo | None


class WhatIfResult(_Model):
    """Per piece of advice, the minimal answer changes that add or remove it."""

    varied: tuple[str, ...]
    max_changes: int
    elements: tuple[ElementWhatIf, ...]


class RecordCheckResult(_Model):
    """A decision record re-evaluated with the current rules."""

    status: Literal["current", "stale", "skipped"]
    rules_version: str | None = Field(description="Recorded rules version (-> current one).")
    changes: list[str] = Field(description="What the current rules advise differently.")
    notes: list[str]
