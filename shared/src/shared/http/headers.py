"""The HTTP headers of our conventions, as a route declares them for the OpenAPI document.

A route that sends ``ETag`` or ``Location`` says so with ``responses=sends(201, LOCATION,
ETAG)``; a route that takes ``If-Match`` declares it with ``if_match_header()`` (required: a missing
one is a 428) or ``if_match_header(required=False)``. The document is then built from these
declarations (``shared.service.openapi_http``), so what it says is what the code does.
"""

from __future__ import annotations

from typing import Any

from fastapi import Header

ETAG = "ETag"
LOCATION = "Location"
RETRY_AFTER = "Retry-After"
IDEMPOTENT_REPLAYED = "Idempotent-Replayed"
RATE_LIMIT = "RateLimit"
RATE_LIMIT_POLICY = "RateLimit-Policy"
# Marks the If-Match parameter in its schema; the document builder reads and removes it.
IF_MATCH_MARK = "x-if-match-required"

HEADERS: dict[str, dict[str, Any]] = {
    ETAG: {
        "description": "The strong entity tag of the version sent: send it back in If-Match "
        "to change this resource",
        "schema": {"type": "string", "pattern": '^"[^"]*"$'},
    },
    LOCATION: {
        "description": "The path of the resource created (GET answers there)",
        "schema": {"type": "string", "format": "uri-reference"},
    },
    RETRY_AFTER: {
        "description": "Seconds to wait before retrying",
        "schema": {"type": "integer", "minimum": 0},
    },
    IDEMPOTENT_REPLAYED: {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same Idempotency-Key (nothing was applied again)",
        "schema": {"type": "string", "enum": ["true"]},
    },
    RATE_LIMIT: {
        "description": "What is left of the caller's quota for this class of route (IETF "
        'draft RateLimit fields): `"reads";r=<remaining>;t=<seconds until it resets>`',
        "schema": {"type": "string"},
    },
    RATE_LIMIT_POLICY: {
        "description": "The quota of this class of route for one caller: "
        '`"reads";q=<requests>;w=<window in seconds>`',
        "schema": {"type": "string"},
    },
}


def header_ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def sends(status: int, *names: str, description: str | None = None) -> dict[int | str, Any]:
    """``responses=`` for a route that sends these headers with ``status``."""
    unknown = set(names) - set(HEADERS)
    if unknown:
        raise ValueError(f"no such convention header: {sorted(unknown)}")
    response: dict[str, Any] = {"headers": {name: header_ref(name) for name in names}}
    if description is not None:
        response["description"] = description
    return {status: response}


def if_match_header(*, required: bool = True, description: str | None = None) -> Any:
    """The If-Match parameter. Compared strongly (a ``W/`` tag never matches); ``*`` matches
    any current version. Not ``required`` in the schema even when required: a request
    without it is answered 428 Precondition Required, not 422."""
    text = description or (
        "The ETag you read. Required: without it 428; when the resource has changed since, 412."
        if required
        else "Optional: the ETag you read; when the resource has changed since, 412."
    )
    return Header(
        default=None,
        alias="If-Match",
        description=text,
        json_schema_extra={IF_MATCH_MARK: required},
    )
