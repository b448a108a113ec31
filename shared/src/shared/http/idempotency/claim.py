"""Claiming the key inside the route's own transaction, so that the state change and "this key
was applied" commit together."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import asyncpg
from fastapi import Request
from fastapi.encoders import jsonable_encoder

from shared.http import catalogue
from shared.http.idempotency.keys import KEPT_HEADERS, STATE_KEY, IdempotencyClaim, StoredResponse
from shared.http.idempotency.store import CLAIM, CLAIM_PARAMETERS, TAKE, raising_key_taken
from shared.http.problems import ProblemError
from shared.i18n import t


async def claim_idempotency_key(
    connection: asyncpg.Connection,
    request: Request,
    *,
    status_code: int,
    content: Any = None,
    headers: Mapping[str, str] | None = None,
    rendered: bytes | None = None,
) -> None:
    """Mark this request's key applied, with its response, in the caller's transaction.

    Call it inside the transaction that makes the state change, just before it commits. It
    succeeds only while the key still carries this request's lease; otherwise (the lease
    lapsed and a retry took over) it raises a 409 problem, which rolls the transaction back,
    so the operation is applied once. A key not reserved ahead (``IdempotencyClaim``'s
    ``request_hash``) is inserted instead, and ``KeyTaken`` raised (rolling the transaction
    back) when its row exists. Without an Idempotency-Key it does nothing.

    ``rendered``: the JSON body exactly as the route will send it (a route that returns its
    own ``Response``), instead of ``content`` rendered here as FastAPI would: one rendering
    on a hot path, and the stored bytes are the sent bytes by construction."""
    claim = getattr(request.state, STATE_KEY, None)
    if not isinstance(claim, IdempotencyClaim):
        return
    body = (
        rendered
        if rendered is not None
        else json.dumps(
            jsonable_encoder(content), ensure_ascii=False, allow_nan=False, separators=(",", ":")
        ).encode()
    )
    arguments, response = _claiming(claim, status_code, headers, body)
    if claim.request_hash is not None:  # not reserved ahead: the row inserted, or KeyTaken
        with raising_key_taken():
            await connection.execute(TAKE, *arguments)
    elif await connection.fetchval(CLAIM, *arguments) is None:
        raise _superseded()
    # Counted on only after the commit: a transaction that rolls back raises, and a failed
    # response never equals it, so the middleware then stores or releases as usual.
    claim.claimed = response


class StatementClaim:
    """The claim made by a CTE of the change's own statement (``store.claim_cte``) instead of a
    statement of its own (``claim_idempotency_key``): one round trip fewer, for a route whose
    answer is known before that statement runs. The same guarantees: the claim commits with
    the change, only while the key carries this request's lease, and ``confirm`` raises the
    409 otherwise, which rolls the transaction back; a key not reserved ahead is inserted by
    the statement, run inside ``raising_key_taken``. ``render``: the answer to a result
    (status, headers, the JSON body exactly as the route will send it). Without an
    Idempotency-Key the CTE gets NULLs and claims nothing."""

    def __init__(
        self, request: Request, render: Callable[[Any], tuple[int, Mapping[str, str], bytes]]
    ) -> None:
        claim = getattr(request.state, STATE_KEY, None)
        self._claim = claim if isinstance(claim, IdempotencyClaim) else None
        self._render = render
        self._response: StoredResponse | None = None

    def arguments(self, result: Any) -> list[Any]:
        """The claim CTE's parameters for the answer to ``result``."""
        status_code, headers, body = self._render(result)
        if self._claim is None:
            return [None] * CLAIM_PARAMETERS
        arguments, self._response = _claiming(self._claim, status_code, headers, body)
        return arguments

    def confirm(self, claimed: bool) -> None:
        """After the statement: whether its CTE claimed the key (409 if a key was not)."""
        if self._claim is None:
            return
        if not claimed:
            raise _superseded()
        self._claim.claimed = self._response  # counted on only after the commit, as above


def _claiming(
    claim: IdempotencyClaim, status_code: int, headers: Mapping[str, str] | None, body: bytes
) -> tuple[list[Any], StoredResponse]:
    """CLAIM's, TAKE's and ``claim_cte``'s parameters (``CLAIM_PARAMETERS``), in their order,
    and the response they store."""
    kept = _kept(headers)
    response = StoredResponse(status_code, [(k, v) for k, v in kept], body)
    arguments = [
        claim.scope,
        claim.key,
        claim.lease_token,
        status_code,
        kept,
        body,
        claim.request_hash,
    ]
    return arguments, response


def _kept(headers: Mapping[str, str] | None) -> list[list[str]]:
    return [["content-type", "application/json"]] + [
        [name.lower(), value]
        for name, value in (headers or {}).items()
        if name.lower().encode() in KEPT_HEADERS
    ]


def _superseded() -> ProblemError:
    return ProblemError(
        catalogue.REQUEST_SUPERSEDED,
        t(
            "本请求的 Idempotency-Key 租约已过期并由重试接管；本请求未产生任何修改",
            "this request's Idempotency-Key lease lapsed and a retry took it over; "
            "nothing was applied by this request",
        ),
    )


def claim_with(
    request: Request, *, status_code: int, render: Callable[[Any], Any]
) -> Callable[[asyncpg.Connection, Any], Awaitable[None]]:
    """The hook a use case runs last in its transaction (its ``before_commit``): claims this
    request's key with the answer ``render`` makes of the use case's result, the answer the
    route then sends."""

    async def claim(connection: asyncpg.Connection, result: Any) -> None:
        await claim_idempotency_key(
            connection, request, status_code=status_code, content=render(result)
        )

    return claim


def operation_id(request: Request) -> str | None:
    """A stable name for the operation this request's Idempotency-Key stands for: the same
    caller's retry gets the same name. A call to another system that deduplicates on it (a
    Temporal workflow update's id) is applied once even when the key's claim was lost with a
    transaction that never committed (the database restarted after the update was taken), so
    the retry gets the first outcome instead of a refusal of the repeated action. ``None``
    without a key."""
    claim = getattr(request.state, STATE_KEY, None)
    if not isinstance(claim, IdempotencyClaim):
        return None
    digest = hashlib.sha256(f"{claim.scope}\n{claim.key}".encode()).hexdigest()
    return f"idempotency-{digest[:40]}"
