"""The base of every request body: strict as JSON is, so the document's types are the rules.

Pydantic's lax mode takes ``0`` for a date, ``"12"`` for a number and ``1`` for a boolean,
none of which the OpenAPI document allows. Its strict mode is right only when it validates
JSON text: dates, UUIDs, decimals and enums then come from their JSON strings. FastAPI parses
the body first and validates Python values, where strict mode refuses those strings too, so
each field whose type strict Python validation reads differently from JSON (dates, instants,
UUIDs, decimals, enums, tuples, other models) is validated here as the JSON value it was
(``validate_json``, strict), and the model's own checks (lengths, bounds, patterns) run on the
result; the others (text, numbers, flags, lists and objects of them, nested request bodies)
mean the same either way and are validated once, as they are.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import types
from typing import Annotated, Any, Literal, Union, get_args, get_origin

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


_JSON_SCALARS: tuple[Any, ...] = (str, int, float, bool, type(None), Any)


def _same_as_json(annotation: Any) -> bool:
    """Whether strict validation of the Python value JSON parsing gives for ``annotation``
    takes and refuses exactly what strict validation of the JSON text would: JSON's own
    scalars, ``Any``, literals of them, lists, string-keyed objects and unions of those, and
    request bodies (which check their own members). Dates, instants, UUIDs, decimals, enums,
    tuples, sets and other models come from JSON strings or arrays that strict Python
    validation refuses: those take the JSON round trip."""
    if annotation in _JSON_SCALARS:
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        return _same_as_json(args[0])
    if origin is Literal:
        return all(type(arg) in (str, int, bool, type(None)) for arg in args)
    if origin in (Union, types.UnionType):
        return all(_same_as_json(arg) for arg in args)
    if origin is list:
        return all(_same_as_json(arg) for arg in args)
    if origin is dict:
        return len(args) == 2 and _is_str(args[0]) and _same_as_json(args[1])
    return isinstance(annotation, type) and issubclass(annotation, RequestBody)


def _is_str(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        return _is_str(get_args(annotation)[0])
    return annotation is str


@functools.cache
def _needs_round_trip(model: type[BaseModel], field_name: str) -> bool:
    return not _same_as_json(model.model_fields[field_name].annotation)


class RequestBody(BaseModel):
    """Subclass for a request body; ``extra="forbid"`` so a misspelt member is an error."""

    model_config = ConfigDict(strict=True, extra="forbid")

    @field_validator("*", mode="wrap")
    @classmethod
    def _as_json_value(
        cls, value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> Any:
        # Most members (text, numbers, flags, free-form objects, nested bodies) are validated
        # once, as they are: serialising and parsing them again only cost time (a request's
        # figures or materials, thousands of keys, went through json twice over).
        if info.field_name is None or not _needs_round_trip(cls, info.field_name):
            return handler(value)
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):  # built in code, not parsed from JSON
            return handler(value)
        parsed = _json_adapter(cls, info.field_name).validate_json(text, strict=True)
        if isinstance(parsed, dt.datetime):
            _date_time_text(value)
        return handler(parsed)
