"""The base of every request body: strict as JSON is, so the document's types are the rules.

Pydantic's lax mode takes ``0`` for a date, ``"12"`` for a number and ``1`` for a boolean,
none of which the OpenAPI document allows. Its strict mode is right only when it validates
JSON text: dates, UUIDs, decimals and enums then come from their JSON strings. FastAPI parses
the body first and validates Python values, where strict mode refuses those strings too, so
each field is validated here as the JSON value it was (``validate_json``, strict), and the
model's own checks (lengths, bounds, patterns) run on the result.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
from typing import Annotated, Any

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    TypeAdapter,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic_core import PydanticCustomError

# RFC 3339 date-time, as the document's ``format: date-time`` says; pydantic also reads a
# number in a string ("0.5") as seconds since 1970, even when strict.
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _date_time_text(value: Any) -> Any:
    if isinstance(value, str) and not _DATE_TIME.match(value):
        raise PydanticCustomError(
            "datetime_parsing", "Input should be a valid datetime (RFC 3339 date-time)"
        )
    return value


# A date-time query parameter: the text of an RFC 3339 date-time with its offset, never a
# number, never read in the server's zone.
QueryInstant = Annotated[AwareDatetime, BeforeValidator(_date_time_text)]


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
        parsed = _json_adapter(cls, info.field_name).validate_json(text, strict=True)
        if isinstance(parsed, dt.datetime):
            _date_time_text(value)
        return handler(parsed)
