"""A route's JSON answer rendered once, from the pydantic model the route declares.

Given a model instance, FastAPI dumps it to a dict, validates that dict against the
``response_model`` again (a second model), serialises the second model to plain data and
``json.dumps`` it: four passes for one body, a fixed cost on every request that shows on a
read whose own work is small. A route on such a path builds its response model once (its
fields validated on construction, as before) and returns ``model_response(model)``: pydantic's
serialiser writes the bytes in one pass, and FastAPI sends a ``Response`` as it is. The
decorator keeps ``response_model=`` so the OpenAPI document describes the body as before.

The bytes are the ones FastAPI's rendering gives for a model of strings, integers, booleans,
nulls, lists and objects (compact separators, non-ASCII as UTF-8, control characters escaped
alike, fields in declaration order): the same body, so the same ``ETag``
(``shared.http.etag_middleware``). A model with floats, dates or custom serialisers is not
covered by that promise; ``tests/unit/shared/test_json_body.py`` compares the two renderings.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import BaseModel
from starlette.responses import Response

JSON = "application/json"


def model_response(
    model: BaseModel, *, status_code: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    body = model.__pydantic_serializer__.to_json(model)
    return Response(body, status_code=status_code, headers=headers, media_type=JSON)
