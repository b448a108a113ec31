"""The HTTP conventions in the OpenAPI document, where the code applies them.

- ``Idempotency-Key``: the middleware takes it on every POST that carries a bearer token,
  except under the service's exempt prefixes (uploads, idempotent by their content). Such a
  POST documents the header; its stored answers (2xx, 409, 422) may come back replayed with
  ``Idempotent-Replayed: true``, and a 409 for a request still running carries
  ``Retry-After``.
- ``If-Match``: 412 (with the current ``ETag``) wherever it is taken, 428 only where the route
  declared it required (``shared.http.headers.if_match_header``).
- ``ETag`` and ``Location``: declared by each route that sends them (``sends``); ``ETag`` also
  on every GET answered 200 with JSON (``shared.http.etag_middleware`` tags those);
  ``Retry-After`` on every 503.
- Rate limits: every route answers 429 with ``Retry-After`` past its caller's quota, and every
  answer of a route (2xx and 4xx) carries the draft ``RateLimit`` and ``RateLimit-Policy``
  fields.
"""

from __future__ import annotations

from typing import Any

from shared.http.headers import (
    ETAG,
    HEADERS,
    IDEMPOTENT_REPLAYED,
    IF_MATCH_MARK,
    RATE_LIMIT,
    RATE_LIMIT_POLICY,
    RETRY_AFTER,
    header_ref,
)
from shared.http.idempotency import MAX_KEY_LENGTH, is_stored_status

IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string of the caller's: a retry with the same key and the same "
    "request gets the first answer (for 24 hours) instead of applying it again; another "
    "request under the same key is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


def if_match_required(operation: dict[str, Any]) -> bool | None:
    """Whether the operation's If-Match is required (None: it takes none). The mark is read
    from the parameter's schema and removed there."""
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
            return bool(parameter.get("schema", {}).pop(IF_MATCH_MARK, True))
    return None


def takes_idempotency_key(
    method: str, path: str, authenticated: bool, exempt: tuple[str, ...]
) -> bool:
    return method == "post" and authenticated and not path.startswith(exempt)


def _add_header(response: dict[str, Any], name: str) -> None:
    response.setdefault("headers", {}).setdefault(name, header_ref(name))


def document_conventions(
    method: str, operation: dict[str, Any], *, idempotent: bool, takes_if_match: bool
) -> None:
    """Adds the convention headers to one operation whose responses are complete."""
    responses: dict[str, Any] = operation["responses"]
    ok = responses.get("200", {})
    if method == "get" and "application/json" in ok.get("content", {}):
        _add_header(ok, ETAG)
    if idempotent:
        parameters = operation.setdefault("parameters", [])
        if not any(p["name"].lower() == "idempotency-key" for p in parameters):
            parameters.append(dict(IDEMPOTENCY_KEY))
        for status, response in responses.items():
            if status.isdigit() and is_stored_status(int(status)):
                _add_header(response, IDEMPOTENT_REPLAYED)
        if "409" in responses:
            _add_header(responses["409"], RETRY_AFTER)
    if takes_if_match and "412" in responses:
        _add_header(responses["412"], ETAG)
    if "503" in responses:
        _add_header(responses["503"], RETRY_AFTER)
    for status, response in responses.items():
        if status.startswith(("2", "4")):
            _add_header(response, RATE_LIMIT)
            _add_header(response, RATE_LIMIT_POLICY)
    if "429" in responses:
        _add_header(responses["429"], RETRY_AFTER)


def header_components() -> dict[str, Any]:
    return {name: dict(header) for name, header in HEADERS.items()}
