"""The statistics deadline clock's tick for one programme (docs/statistics.md, *Reminders*):
for each open period, emit the point due now with the reporters of the period's frozen roster
still missing, record superseded points as skipped, and answer when to wake.

Idempotent: a point is written once under its key (programme, period, point) in the
transaction that writes its outbox event and audit record; ticks of one programme take an
advisory lock, so two never interleave.
"""

from __future__ import annotations

import datetime as dt

from shared import audit
from shared.events.envelope import DomainEvent
from shared.events.statistics import (
    MissingStatisticsReporters,
    StatisticsDeadlineApproaching,
    StatisticsDeadlinePassed,
)
from shared.programmes import Programme, Statistics
from submissions.db import statistics_queries as queries
from submissions.domain.clock import PointKind, PointOutcome, emitted_details
from submissions.domain.statistics.clock import PeriodStep, plan
from submissions.handlers.common import CLOCK_PROCESS, Connection, Context, Pool
from submissions.workflows.types import StatisticsTickResult


async def statistics_tick(
    pool: Pool, context: Context, programme: Programme, statistics: Statistics, now: dt.datetime
) -> StatisticsTickResult:
    result = StatisticsTickResult()
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(queries.LOCK_CLOCK, programme.id)
        done: dict[str, dict[str, PointOutcome]] = {}
        for row in await connection.fetch(queries.CLOCK_POINTS, programme.id):
            done.setdefault(row["period"], {})[row["point_key"]] = PointOutcome(row["outcome"])
        await context.calendar.refresh(connection)
        planned = plan(programme, statistics, now=now, done=done, calendar=context.calendar)
        for period_step in planned.steps:
            await _handle(connection, context, programme, period_step, result)
    result.wake_at = planned.wake_at
    result.finished = planned.wake_at is None
    return result


async def _handle(
    connection: Connection,
    context: Context,
    programme: Programme,
    period_step: PeriodStep,
    result: StatisticsTickResult,
) -> None:
    period, step = str(period_step.period), period_step.step
    for skipped in step.skip:
        await connection.fetchval(
            queries.RECORD_CLOCK_POINT,
            programme.id,
            period,
            skipped.key,
            PointOutcome.skipped.value,
            skipped.at,
            False,
        )
        result.skipped.append(f"{period}/{skipped.key}")
    point = step.emit
    if point is None:
        return
    recorded = await connection.fetchval(
        queries.RECORD_CLOCK_POINT,
        programme.id,
        period,
        point.key,
        PointOutcome.emitted.value,
        point.at,
        step.late,
    )
    if recorded is None:
        return  # emitted by an earlier attempt
    like = _subtree(programme.jurisdiction)
    opens_at = period_step.schedule.opens_at
    counts = await connection.fetch(queries.ROSTER_COUNTS, programme.id, period, opens_at, like)
    missing_rows = await connection.fetch(
        queries.ROSTER_MISSING, programme.id, period, opens_at, like
    )
    by_city: dict[str, list[str]] = {}
    for row in missing_rows:
        by_city.setdefault(row["city_code"], []).append(row["reporter_id"])
    fields = {
        "publication_key": f"{programme.id}/{period}",
        "programme_id": programme.id,
        "period": period,
        "point": point.key,
        "offset_days": point.offset_days,
        "point_at": point.at,
        "due_at": period_step.schedule.due_at,
        "late": step.late,
        "expected": sum(r["expected"] for r in counts),
        "missing": len(missing_rows),
        "missing_by_city": [
            MissingStatisticsReporters(city_code=code, reporter_ids=ids)
            for code, ids in by_city.items()
        ],
    }
    event: DomainEvent = (
        StatisticsDeadlineApproaching(**fields)
        if point.kind is PointKind.approaching
        else StatisticsDeadlinePassed(**fields)
    )
    await context.publish(connection, [event])
    await audit.record_change_by(
        connection,
        CLOCK_PROCESS,
        f"statistics_deadline.{point.kind.value}",
        audit.Resource("statistics_period", f"{programme.id}/{period}", programme.jurisdiction),
        details=emitted_details(
            point, late=step.late, skipped=step.skip, missing=len(missing_rows)
        ),
    )
    result.emitted.append(f"{period}/{point.key}")


def _subtree(code: str) -> str:
    return code[:2] + "%" if code.endswith("0000") else code[:4] + "%"
