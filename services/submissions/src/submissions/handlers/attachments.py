"""Adding an attachment to a report (the written development report, 发展情况, issue 9).

Taken when a draft would be (``drafts.reporter_may_write``): the report is then created as a
draft if it has none yet, which counts as no submission. The blob is stored by its content
(the same file twice is one blob and one link), in the transaction of its link and its audit
record. Size and type are checked before (``api.routes.attachments``, ``domain.attachments``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import asyncpg

from shared import audit
from submissions.db import queries
from submissions.db.attachments import AttachmentStore
from submissions.handlers.common import Context, audit_actor
from submissions.handlers.drafts import reporter_may_write
from submissions.handlers.reports import Authorize


@dataclass(frozen=True)
class Attached:
    attachment: asyncpg.Record
    added: bool


async def add_attachment(
    pool: asyncpg.Pool,
    context: Context,
    store: AttachmentStore,
    *,
    window_id: str,
    designation_id: str,
    authorize: Authorize,
    filename: str,
    content_type: str,
    content: bytes,
    now: dt.datetime,
) -> Attached:
    async with pool.acquire() as connection, connection.transaction():
        taking = await reporter_may_write(
            connection, context, window_id, designation_id, authorize=authorize, now=now
        )
        report = await connection.fetchrow(
            queries.UPSERT_REPORT,
            uuid.uuid4(),
            window_id,
            designation_id,
            taking.entry.entity_id,
            taking.found["region_code"],
            taking.entry.city_code,
        )
        assert report is not None
        sha256 = await store.put(connection, content_type=content_type, content=content)
        added = await connection.fetchval(
            queries.LINK_ATTACHMENT, report["id"], sha256, filename, taking.actor.id, now
        )
        if added:
            await audit.record_change(
                connection,
                actor=audit_actor(taking.actor),
                action="report.attachment_added",
                resource_type="report",
                resource_id=report["id"],
                region_code=report["region_code"],
                after={"sha256": sha256, "filename": filename, "content_type": content_type},
                details={"size_bytes": len(content), "designation_id": designation_id},
            )
        attachment = await connection.fetchrow(queries.REPORT_ATTACHMENT, report["id"], sha256)
    assert attachment is not None
    return Attached(attachment, bool(added))
