"""Adding an attachment to a report (the written development report, 发展情况).

Taken when a draft would be (``drafts.reporter_may_write``): the report is then created as a
draft if it has none yet, which counts as no submission. The blob is stored by its content
(the same file twice is one blob and one link), in the transaction of its link and its audit
record. Size and type are checked before (``api.routes.attachments``, ``domain.attachments``).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from shared import audit
from submissions.db import queries
from submissions.db.attachments import Blob
from submissions.handlers.common import Context, Pool, Row, Visible, audit_actor
from submissions.handlers.drafts import reporter_may_write
from submissions.handlers.report_reads import visible_report
from submissions.handlers.reporter import Authorize


@dataclass(frozen=True)
class Attached:
    attachment: Row
    added: bool


async def add_attachment(
    pool: Pool,
    context: Context,
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
        report: Row = await connection.fetchrow(  # an upsert: always a row
            queries.UPSERT_REPORT,
            uuid.uuid4(),
            window_id,
            designation_id,
            taking.entry.entity_id,
            taking.found["region_code"],
            taking.entry.city_code,
        )
        sha256 = await context.attachments.put(
            connection, content_type=content_type, content=content
        )
        added = await connection.fetchval(
            queries.LINK_ATTACHMENT, report["id"], sha256, filename, taking.actor.id, now
        )
        if added:
            await audit.record_change_by(
                connection,
                audit_actor(taking.actor),
                "report.attachment_added",
                audit.Resource("report", report["id"], report["region_code"]),
                after={"sha256": sha256, "filename": filename, "content_type": content_type},
                details={"size_bytes": len(content), "designation_id": designation_id},
            )
        attachment = await connection.fetchrow(queries.REPORT_ATTACHMENT, report["id"], sha256)
    return Attached(attachment, bool(added))


async def attachments_page(
    pool: Pool,
    window_id: str,
    designation_id: str,
    visible: Visible,
    *,
    after_at: dt.datetime | None,
    after_sha256: str | None,
    count: int,
) -> list[Row]:
    """``count`` attachments of the report in the order they were added, after the one
    (``after_at``, ``after_sha256``)."""
    report = await visible_report(pool, window_id, designation_id, visible)
    return list(
        await pool.fetch(
            queries.REPORT_ATTACHMENTS_PAGE, report["id"], after_at, after_sha256, count
        )
    )


@dataclass(frozen=True)
class AttachedFile:
    link: Row  # the file's name on this report
    blob: Blob


async def attachment_file(
    pool: Pool,
    context: Context,
    window_id: str,
    designation_id: str,
    visible: Visible,
    sha256: str,
) -> AttachedFile | None:
    """The file when it is attached to the report; None when it is not."""
    report = await visible_report(pool, window_id, designation_id, visible)
    linked = await pool.fetchrow(queries.REPORT_ATTACHMENT, report["id"], sha256)
    if linked is None:
        return None
    return AttachedFile(linked, await context.attachments.get(pool, sha256))
