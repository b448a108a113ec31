"""What the awards use cases share: the pool and connection types, the Idempotency-Key claim a
route hands in, the person and request behind a step, and the process actor."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, Protocol, TypeAlias

import asyncpg

from awards.workflows.types import ActorData, RequestData
from shared import audit
from shared.auth.principal import Principal

# The routes type what they hand over by these names (they import no database library).
Pool: TypeAlias = asyncpg.Pool
Connection: TypeAlias = asyncpg.Connection
Row: TypeAlias = asyncpg.Record


class ClaimKey(Protocol):
    """Runs in the use case's transaction with its result, just before it commits: the route
    claims its Idempotency-Key there, so "this key was applied" commits with the change
    (shared.http). ``operation_id`` names the request's key for a workflow update's id, so that
    Temporal applies a retried update once when the claim itself was lost; ``None`` without a
    key."""

    operation_id: str | None

    async def __call__(self, connection: Connection, result: Any, /) -> None: ...


WORKER = audit.Actor.process("awards-worker")


def actor_of(principal: Principal) -> ActorData:
    """The caller as a workflow input carries it."""
    return ActorData(
        subject=principal.subject,
        roles=tuple(sorted(str(role) for role in principal.roles)),
        region_code=principal.region_code,
        enterprise_ids=tuple(sorted(principal.enterprise_ids)),
    )


def request_data() -> RequestData:
    """This request's facts, carried to the activity that writes the audit record."""
    facts = audit.current_request()
    return RequestData(
        request_id=facts.request_id, client_ip=facts.client_ip, user_agent=facts.user_agent
    )


@contextlib.contextmanager
def request_context(request: RequestData | None) -> Iterator[None]:
    """The step's HTTP request as the audit context (the activity runs outside it)."""
    if request is None:
        yield
        return
    token = audit.use_request(
        audit.RequestFacts(
            request_id=request.request_id,
            client_ip=request.client_ip,
            user_agent=request.user_agent,
        )
    )
    try:
        yield
    finally:
        token.var.reset(token)
