"""Helpers of the notifications integration tests: deadline events, running handlers in the
consumer's transaction shape (tracking row + effect), reading the inbox and the deliveries."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import asyncpg
from fastapi.testclient import TestClient

from notifications.consumers.subscriptions import Context, handlers
from notifications.domain.ack_tokens import Links
from shared.china_time import CHINA
from shared.db.pool import connect
from shared.events import EventEnvelope, default_catalog
from shared.events.envelope import wrap
from shared.events.submissions import DeadlineApproaching, DeadlinePassed, MissingReporters
from shared.programmes import load_programmes

WINDOW = "guizhou-shibaiqianwan-2023.annual-report.2025"
DUE = dt.datetime(2025, 12, 11, 0, 0, tzinfo=CHINA)
SECRET = "integration-ack-secret-0123456789"
CONTEXT = Context(
    load_programmes("shared/programmes"), Links(SECRET, "http://testserver", dt.timedelta(days=30))
)


def deadline_event(
    offset_days: int, bureaus: list[MissingReporters], *, window: str = WINDOW
) -> EventEnvelope:
    kind = DeadlinePassed if offset_days >= 0 else DeadlineApproaching
    event = kind(
        window_id=window,
        point=f"offset{offset_days}",
        offset_days=offset_days,
        point_at=DUE + dt.timedelta(days=offset_days),
        due_at=DUE,
        late=False,
        expected=100,
        missing=sum(len(b.designation_ids) for b in bureaus),
        missing_by_bureau=bureaus,
    )
    return wrap(event, source="/services/submissions")


async def handle(dsn: str, envelope: EventEnvelope, context: Context = CONTEXT) -> None:
    """What the idempotent consumer does with one message, minus Kafka."""
    event = default_catalog().parse(envelope)
    handler = handlers(context)[envelope.base_type]
    connection = await connect(dsn)
    try:
        async with connection.transaction():
            await handler(connection, event, envelope)
    finally:
        await connection.close()


def handle_twice(dsn: str, envelope: EventEnvelope) -> None:
    """The event handled, then redelivered (which must change nothing)."""
    asyncio.run(handle(dsn, envelope))
    asyncio.run(handle(dsn, envelope))


def new_id() -> str:
    return uuid.uuid4().hex[:8]


def auth(
    token_for: Callable[..., str], roles: list[str], region: str, **extra: Any
) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(roles=roles, region_code=region, **extra)}"}


def inbox_items(
    client: TestClient, headers: dict[str, str], subject_id: str
) -> list[dict[str, Any]]:
    response = client.get("/v1/inbox", params={"subject_id": subject_id}, headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def inbox_titles(client: TestClient, headers: dict[str, str], subject_id: str) -> list[str]:
    return [item["title"] for item in inbox_items(client, headers, subject_id)]


def fetch(dsn: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        connection = await connect(dsn)
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()

    return asyncio.run(run())


def count_deliveries(dsn: str, event_id: str) -> int:
    """Every delivery the event made (all recipients and channels)."""
    rows = fetch(dsn, "SELECT count(*) FROM deliveries WHERE event_id = $1", event_id)
    return int(rows[0][0])
