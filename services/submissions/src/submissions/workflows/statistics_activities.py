"""The statistics deadline clock's activity (docs/statistics.md, *Reminders*): one tick for a
programme emits, for each open period, the point due now with the reporters of the period's
frozen roster still missing, records superseded points as skipped, and answers when to wake.

Idempotent: a point is written once under its key (programme, period, point) in the
transaction that writes its outbox event and audit record; ticks of one programme take an
advisory lock, so two never interleave. The programme files are read on every call.
"""

from __future__ import annotations

import datetime as dt

import asyncpg
from pydantic import BaseModel
from temporalio import activity

from shared import audit
from shared.events.envelope import DomainEvent
from shared.events.statistics import (
    MissingStatisticsReporters,
    StatisticsDeadlineApproaching,
    StatisticsDeadlinePassed,
)
from shared.messaging.outbox import append_events
from shared.programmes import Programme
from submissions.db import statistics_queries as queries
from submissions.domain.clock import PointKind, PointOutcome
from submissions.domain.statistics.clock import PeriodStep, plan
from submissions.handlers.common import CLOCK_PROCESS
from submissions.workflows.activities import ProgrammeActivities, attempt_time


def statistics_workflow_id(programme_id: str) -> str:
    """One clock per programme: a business reference, so starting it twice reaches the same."""
    return f"submissions-statistics-clock-{programme_id}"


class StatisticsClockInput(BaseModel):
    programme_id: str
    ticks_before_continue: int = 500
    retry_max_interval_seconds: float = 600


class StatisticsTickInput(BaseModel):
    programme_id: str
    now: dt.datetime


class StatisticsTickResult(BaseModel):
    emitted: list[str] = []  # "<period>/<point>"
    skipped: list[str] = []
    wake_at: dt.datetime | None = None
    finished: bool = False  # every period locked, or the programme collects no statistics


class StatisticsClockActivities(ProgrammeActivities):
    @activity.defn(name="submissions.statistics_clock_tick")
    async def tick(self, request: StatisticsTickInput) -> StatisticsTickResult:
        programme = self._programmes().get(request.programme_id)
        if programme is None or programme.statistics is None:
            return StatisticsTickResult(finished=True)
        statistics = programme.statistics
        now = attempt_time(request.now)
        result = StatisticsTickResult()
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(queries.LOCK_CLOCK, programme.id)
            done: dict[str, dict[str, PointOutcome]] = {}
            for row in await connection.fetch(queries.CLOCK_POINTS, programme.id):
                done.setdefault(row["period"], {})[row["point_key"]] = PointOutcome(row["outcome"])
            planned = plan(programme, statistics, now=now, done=done)
            for period_step in planned.steps:
                await self._handle(connection, programme, period_step, result)
        result.wake_at = planned.wake_at
        result.finished = planned.wake_at is None
        return result

    async def _handle(
        self,
        connection: asyncpg.Connection,
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
        await append_events(
            connection, [event], source=self._event_source, topic_prefix=self._topic_prefix
        )
        await audit.record_change(
            connection,
            actor=CLOCK_PROCESS,
            action=f"statistics_deadline.{point.kind.value}",
            resource_type="statistics_period",
            resource_id=f"{programme.id}/{period}",
            region_code=programme.jurisdiction,
            details={
                "point": point.key,
                "late": step.late,
                "skipped": [p.key for p in step.skip],
                "missing": len(missing_rows),
            },
        )
        result.emitted.append(f"{period}/{point.key}")


def _subtree(code: str) -> str:
    return code[:2] + "%" if code.endswith("0000") else code[:4] + "%"
