"""The Recommendation as JSON (the `json` output format), without pydantic.

`engine.assemble.plain()` lays the Recommendation out as plain dicts in the output models' field
order, so `json.dumps(..., indent=2, ensure_ascii=False)` gives the same bytes as pydantic's
`Recommendation.model_dump_json(indent=2)` (a test checks every scenario), and printing JSON
imports neither pydantic nor the output models.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from advisor.engine.assemble import plain

if TYPE_CHECKING:
    from advisor.engine.decision import Decision


def render(decision: Decision) -> str:
    """`recommendation(decision).model_dump_json(indent=2)`, from plain data."""
    return json.dumps(plain(decision), indent=2, ensure_ascii=False)
