"""Who is expected to report statistics (docs/statistics.md, *The frozen roster*): register a
reporter, close its registration; each in one transaction with its audit record. A period's
roster is the registrations open when the period opened (``statistics_queries.ROSTER_PAGE``),
so a change made later never moves the period's denominator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from shared import audit
from shared.i18n import t
from shared.programmes import Statistics
from submissions.db import statistics_queries as queries
from submissions.domain.actors import Actor
from submissions.domain.errors import Refused
from submissions.domain.statistics import reports as rules
from submissions.domain.statistics.figures import ReporterKind
from submissions.domain.statistics.periods import PeriodKey, period_schedule
from submissions.handlers.common import (
    BeforeCommit,
    Context,
    NotFound,
    Pool,
    Row,
    Scope,
    audit_actor,
    publish_and_claim,
)
from submissions.handlers.statistics import programme_statistics


async def register_reporter(
    pool: Pool,
    context: Context,
    *,
    programme_id: str,
    reporter_id: str,
    kind: ReporterKind,
    region_code: str,
    authorize: Callable[[], Actor],
    now: dt.datetime,
    before_commit: BeforeCommit | None = None,
) -> Row:
    programme, _ = programme_statistics(context, programme_id)
    refusal = rules.reporter_refusal(
        programme, kind=kind, reporter_id=reporter_id, region_code=region_code
    )
    if refusal is not None:
        raise refusal
    actor = authorize()
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            queries.REGISTER_REPORTER,
            programme_id,
            reporter_id,
            kind.value,
            region_code,
            region_code[:4] + "00",
            now,
            actor.id,
        )
        if row is None:
            raise Refused(
                "already_registered",
                t(f"统计报送单位 {reporter_id} 已登记", f"{reporter_id} is registered already"),
            )
        await publish_and_claim(connection, context, (), before_commit=before_commit, result=row)
        await audit.record_change_by(
            connection,
            audit_actor(actor),
            "statistics_reporter.registered",
            audit.Resource("statistics_reporter", f"{programme_id}/{reporter_id}", region_code),
            after={"reporter_kind": kind.value, "region_code": region_code},
        )
    return row


async def remove_reporter(
    pool: Pool,
    context: Context,
    *,
    programme_id: str,
    reporter_id: str,
    authorize: Callable[[Row], Actor],
    now: dt.datetime,
    before_commit: BeforeCommit | None = None,
) -> Row:
    """Not expected from the next period that opens; periods already open keep it."""
    programme_statistics(context, programme_id)
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(queries.OPEN_REGISTRATION, programme_id, reporter_id)
        if row is None:
            raise NotFound("statistics reporter", reporter_id)
        actor = authorize(row)
        closed = await connection.fetchrow(queries.CLOSE_REGISTRATION, row["id"], now, actor.id)
        await publish_and_claim(connection, context, (), before_commit=before_commit, result=closed)
        await audit.record_change_by(
            connection,
            audit_actor(actor),
            "statistics_reporter.removed",
            audit.Resource(
                "statistics_reporter", f"{programme_id}/{reporter_id}", row["region_code"]
            ),
            before={"reporter_kind": row["reporter_kind"], "region_code": row["region_code"]},
        )
    return closed


async def roster_page(
    pool: Pool,
    programme_id: str,
    statistics: Statistics,
    key: PeriodKey,
    *,
    after: str | None,
    count: int,
    scope: Scope,
) -> list[Row]:
    """``count`` reporters of the period's frozen roster the caller may see, by reporter id
    after ``after``, each with its report's state (the programme and period read first:
    ``programme_statistics``, ``period_of``)."""
    opens_at = period_schedule(key, statistics.schedule.for_period(key.kind)).opens_at
    return list(
        await pool.fetch(
            queries.ROSTER_PAGE,
            programme_id,
            str(key),
            opens_at,
            after,
            count,
            *scope.arguments(),
        )
    )
