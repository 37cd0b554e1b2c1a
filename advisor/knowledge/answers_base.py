"""`AnswersBase`: the static type of the generated `Answers` model.

`advisor.Answers` is built at run time from the question data (`answers_model`), so a type
checker cannot see its fields; every generated model subclasses this one, so
`advisor.Answers` has a precise static type (a pydantic model class) instead of `Any`, and
`isinstance(x, AnswersBase)` holds for the answers model of any rule base.
Importing this module imports pydantic: only the answers model's builder and type checkers do.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class AnswersBase(BaseModel):
    """Answers about the LLM application (fields generated from rules/questions.toml)."""

    model_config = ConfigDict(extra="forbid", title="Answers")
