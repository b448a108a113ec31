"""The base of every request body: strict as JSON is, so the document's types are the rules.

Pydantic's lax mode takes ``0`` for a date, ``"12"`` for a number and ``1`` for a boolean,
none of which the OpenAPI document allows. Its strict mode is right only when it validates
JSON text: dates, UUIDs, decimals and enums then come from their JSON strings. FastAPI parses
the body first and validates Python values, where strict mode refuses those strings too, so
each field is validated here as the JSON value it was (``validate_json``, strict), and the
model's own checks (lengths, bounds, patterns) run on the result.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    TypeAdapter,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)


@functools.cache
def _json_adapter(model: type[BaseModel], field_name: str) -> TypeAdapter[Any]:
    return TypeAdapter(model.model_fields[field_name].annotation)


class RequestBody(BaseModel):
    """Subclass for a request body; ``extra="forbid"`` so a misspelt member is an error."""

    model_config = ConfigDict(strict=True, extra="forbid")

    @field_validator("*", mode="wrap")
    @classmethod
    def _as_json_value(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        if info.field_name is None:
            return handler(value)
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):  # built in code, not parsed from JSON
            return handler(value)
        return handler(_json_adapter(cls, info.field_name).validate_json(text, strict=True))
