"""Writing audit records, in the caller's transaction.

A handler that changes state calls ``record_change`` on the connection of its transaction; the
record is chained when the transaction commits (a deferred trigger takes the chain head inside
the COMMIT: migration 0006), so a record costs other writers only the commit's own time, wherever
in the transaction it was appended, and rolls back with its change. ``record_access`` notes a
read of personal data or an export in its own short transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Required, TypedDict, Unpack

import asyncpg

from shared.audit import queries
from shared.audit.chain import canonical_body, normalise
from shared.audit.context import RequestFacts, current_request
from shared.auth.principal import Principal
from shared.telemetry import current_trace_id

Kind = Literal["change", "access"]


@dataclass(frozen=True)
class Actor:
    """Who acted: from the verified token (``Actor.of(principal)``) or a process of ours."""

    subject: str
    roles: tuple[str, ...] = ()
    region_code: str | None = None

    @classmethod
    def of(cls, principal: Principal) -> Actor:
        return cls(
            subject=principal.subject,
            roles=tuple(sorted(str(role) for role in principal.roles)),
            region_code=principal.region_code,
        )

    @classmethod
    def process(cls, name: str) -> Actor:
        """A process acting on its own (``system:registry-importer``), not a person."""
        return cls(subject=f"system:{name}")


def _trace_id(facts: RequestFacts) -> str | None:
    trace_id = current_trace_id()
    if trace_id is None and facts.traceparent:
        parts = facts.traceparent.split("-")
        trace_id = parts[1] if len(parts) == 4 and len(parts[1]) == 32 else None
    return trace_id


@dataclass(frozen=True)
class PendingRecord:
    """One record's values, taken in its request's context (``change_record``), to append later
    with others in one round trip (``record_changes``)."""

    arguments: tuple[Any, ...]


def _arguments(
    *,
    kind: Kind,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object | None,
    region_code: str | None,
    reason: str | None,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    details: Mapping[str, Any] | None,
    recorded_at: dt.datetime | None,
) -> tuple[Any, ...]:
    """The APPEND statement's parameters; the request facts come from the current context."""
    facts = current_request()
    body: dict[str, Any] = {
        "kind": kind,
        "action": action,
        "resource_type": resource_type,
        "resource_id": None if resource_id is None else str(resource_id),
        "region_code": region_code or actor.region_code,
        "actor_subject": actor.subject,
        "actor_roles": list(actor.roles),
        "actor_region": actor.region_code,
        "reason": reason,
        "before": normalise(before) if before is not None else None,
        "after": normalise(after) if after is not None else None,
        "details": normalise(details) if details is not None else None,
        "request_id": facts.request_id,
        "trace_id": _trace_id(facts),
        "client_ip": facts.client_ip,
        "user_agent": facts.user_agent,
    }
    return (*body.values(), canonical_body(body), recorded_at)


def _in_transaction(connection: asyncpg.Connection) -> None:
    if not connection.is_in_transaction():
        raise RuntimeError("an audit record must be written in the transaction of its change")


async def append(
    connection: asyncpg.Connection,
    *,
    kind: Kind,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object | None = None,
    region_code: str | None = None,
    reason: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    details: Mapping[str, Any] | None = None,
    recorded_at: dt.datetime | None = None,
) -> None:
    """Append one row to the chain, at the commit. ``recorded_at`` is for tests and for loading
    a legacy log only: normally the database clock, read under the chain lock at the commit,
    gives the time."""
    _in_transaction(connection)
    arguments = _arguments(
        kind=kind, actor=actor, action=action, resource_type=resource_type,
        resource_id=resource_id, region_code=region_code, reason=reason, before=before,
        after=after, details=details, recorded_at=recorded_at,
    )  # fmt: skip
    await connection.execute(queries.APPEND, *arguments)


class ChangeFields(TypedDict, total=False):
    """What a change's record says (``record_change``, ``change_record``)."""

    actor: Required[Actor]
    action: Required[str]
    resource_type: Required[str]
    resource_id: object | None
    region_code: str | None
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str | None
    details: Mapping[str, Any] | None


def change_record(**fields: Unpack[ChangeFields]) -> PendingRecord:
    """A change's record as ``record_change`` writes it, its request facts taken from the
    current context now, for ``record_changes``."""
    return PendingRecord(
        _arguments(
            kind="change", actor=fields["actor"], action=fields["action"],
            resource_type=fields["resource_type"], resource_id=fields.get("resource_id"),
            region_code=fields.get("region_code"), reason=fields.get("reason"),
            before=fields.get("before"), after=fields.get("after"),
            details=fields.get("details"), recorded_at=None,
        )
    )  # fmt: skip


async def record_change(connection: asyncpg.Connection, **fields: Unpack[ChangeFields]) -> None:
    """The audit record of a state change, in the change's transaction."""
    _in_transaction(connection)
    await connection.execute(queries.APPEND, *change_record(**fields).arguments)


@dataclass(frozen=True)
class Resource:
    """What a record is about: its type, its id, and the region it belongs to (who may read the
    record follows the region)."""

    type: str
    id: object | None = None
    region_code: str | None = None


class ChangeDetails(TypedDict, total=False):
    """What a change's record says besides who did what to which resource."""

    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str | None
    details: Mapping[str, Any] | None


async def record_change_by(
    connection: asyncpg.Connection,
    who: Principal | Actor,
    action: str,
    resource: Resource,
    **details: Unpack[ChangeDetails],
) -> None:
    """``record_change`` said in the order a use case knows it: who (a caller's token, whose
    subject, roles and region make the actor, or a process's ``Actor``) did what to which
    resource."""
    await record_change(
        connection,
        actor=who if isinstance(who, Actor) else Actor.of(who),
        action=action,
        resource_type=resource.type,
        resource_id=resource.id,
        region_code=resource.region_code,
        **details,
    )


async def record_changes(connection: asyncpg.Connection, records: list[PendingRecord]) -> None:
    """Several changes' records, chained in this order at the commit, in one pipelined round
    trip (many changes committed together)."""
    _in_transaction(connection)
    if records:
        await connection.executemany(queries.APPEND, [record.arguments for record in records])


async def record_access(
    pool_or_connection: asyncpg.Pool | asyncpg.Connection,
    *,
    actor: Actor,
    action: str,
    resource_type: str,
    resource_id: object | None = None,
    region_code: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """The access record of a read of personal data or an export (who, what, which filters),
    committed before the data leaves."""
    arguments: dict[str, Any] = {
        "kind": "access",
        "actor": actor,
        "action": action,
        "resource_type": resource_type,
        "resource_id": resource_id,
        "region_code": region_code,
        "details": details,
    }
    if isinstance(pool_or_connection, asyncpg.Pool):
        async with pool_or_connection.acquire() as connection, connection.transaction():
            await append(connection, **arguments)
    elif pool_or_connection.is_in_transaction():
        await append(pool_or_connection, **arguments)
    else:
        async with pool_or_connection.transaction():
            await append(pool_or_connection, **arguments)
