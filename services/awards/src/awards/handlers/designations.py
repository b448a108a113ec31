"""Use cases of designations: granting one when its notice ends (the application workflow's
activity), and the published list (认定名单)."""

from __future__ import annotations

import datetime as dt
import uuid

from awards.config import DEFAULT_EVENT_SOURCE
from awards.db import queries
from awards.domain.application import Stage
from awards.handlers.applications import write_step
from awards.handlers.common import Connection, Pool, Row
from awards.workflows.types import GrantRequest, StepRecord
from shared.events.designations import DesignationGranted
from shared.messaging.outbox import append_events

DESIGNATION_NAMESPACE = uuid.UUID("5b0b2f57-6f0c-4b8e-9a59-3f0d6f1c1a10")


def designation_id_for(application_id: str) -> uuid.UUID:
    """One designation per application, the same on every retry."""
    return uuid.uuid5(DESIGNATION_NAMESPACE, application_id)


async def grant_designation(
    pool: Pool,
    grant: GrantRequest,
    *,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
) -> str:
    """The designation row, its step and ``awards.designation.granted``, once."""
    async with pool.acquire() as connection, connection.transaction():
        return await _grant(connection, grant, topic_prefix=topic_prefix, event_source=event_source)


async def _grant(
    connection: Connection, grant: GrantRequest, *, topic_prefix: str, event_source: str
) -> str:
    designation_id = designation_id_for(grant.application_id)
    terms, applicant = grant.terms, grant.applicant
    row = await connection.fetchrow(
        queries.INSERT_DESIGNATION,
        designation_id,
        uuid.UUID(grant.application_id),
        terms.programme_id,
        terms.year,
        terms.category,
        applicant.entity_type,
        applicant.entity_id,
        applicant.entity_name,
        applicant.region_code,
        terms.title,
        grant.designated_on,
        terms.legal_basis,
        grant.recommended_for_national,
    )
    if row is None:
        return str(designation_id)
    await write_step(
        connection,
        StepRecord(
            application_id=grant.application_id,
            programme_id=terms.programme_id,
            region_code=applicant.region_code,
            seq=grant.seq,
            step="designate",
            stage_after=Stage.designated,
            waiting_on=None,
            actor=grant.actor,
            role=None,
            reason="public notice ended without an upheld objection",
            detail={"designation_id": str(designation_id), "title": terms.title},
            at=grant.at,
        ),
        topic_prefix=topic_prefix,
        event_source=event_source,
    )
    granted = DesignationGranted(
        designation_id=str(designation_id),
        programme_id=terms.programme_id,
        category=terms.category,
        entity_type=applicant.entity_type,
        entity_id=applicant.entity_id,
        region_code=applicant.region_code,
        entity_name=applicant.entity_name,
        title=terms.title,
        designated_on=grant.designated_on,
        year=terms.year,
        legal_basis=terms.legal_basis,
        recommended_for_national=grant.recommended_for_national,
        application_id=grant.application_id,
    )
    await append_events(connection, [granted], source=event_source, topic_prefix=topic_prefix)
    return str(designation_id)


def region_subtree(region_code: str | None) -> str | None:
    """A province's, a city's or a county's designations, as a LIKE pattern."""
    if region_code is None:
        return None
    if region_code.endswith("0000"):
        return region_code[:2] + "%"
    if region_code.endswith("00"):
        return region_code[:4] + "%"
    return region_code


async def list_designations(
    pool: Pool,
    *,
    region_code: str | None,
    category: str | None,
    year: int | None,
    status: str | None,
    programme_id: str | None,
    limit: int,
    after: tuple[dt.date, uuid.UUID] | None,
) -> list[Row]:
    """Newest designation day first, ``limit`` a page after ``after`` (day, id)."""
    after_day, after_id = after or (None, None)
    async with pool.acquire() as connection:
        return list(
            await connection.fetch(
                queries.DESIGNATIONS,
                region_subtree(region_code),
                category,
                year,
                status,
                programme_id,
                limit,
                after_day,
                after_id,
            )
        )
