"""The Recommendation as JSON, byte-identical to `model_dump_json(indent=2)`, without pydantic's
serializer.

The CLI prints JSON once per process; building pydantic's serializer for the output models costs
more than the rest of `advisor recommend --format json` together (the models are declared with
`defer_build`), so the CLI walks the models' fields itself. A test checks the two agree.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel


def to_json(model: BaseModel) -> str:
    """`model.model_dump_json(indent=2)`, for models whose fields hold plain JSON data."""
    return json.dumps(_plain(model), indent=2, ensure_ascii=False)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return {name: _plain(getattr(value, name)) for name in type(value).model_fields}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
