"""Helpers of the notifications integration tests: deadline events, running handlers in the
consumer's transaction shape (tracking row + effect), and a test app's settings."""

from __future__ import annotations

import datetime as dt
import uuid

from notifications.consumers.handlers import Context, handlers
from notifications.ledger import Links
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


def new_id() -> str:
    return uuid.uuid4().hex[:8]
