"""Statistics reports: submit, review, publish; each step in one transaction with its outbox
event and audit record (docs/statistics.md). The rules are in ``submissions.statistics``."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from shared import audit
from shared.i18n import t
from shared.programmes import Programme, Statistics
from submissions.db import statistics_queries as queries
from submissions.domain import review
from submissions.domain.actors import Actor, Role
from submissions.domain.errors import Refused
from submissions.domain.review import Action, Report, ReportState
from submissions.domain.statistics import reports as rules
from submissions.domain.statistics.figures import FigureError, ReporterKind, check_figures
from submissions.domain.statistics.periods import PeriodKey, parse_period
from submissions.domain.versions import ReportVersion
from submissions.handlers.common import (
    BeforeCommit,
    Context,
    NotFound,
    audit_actor,
    publish_and_claim,
    record_review_step,
)
from submissions.handlers.statistics_publication import publish_period, replace_figures


class InvalidFigures(Exception):
    def __init__(self, errors: list[FigureError]) -> None:
        super().__init__("invalid statistics figures")
        self.errors = errors


@dataclass(frozen=True)
class ReportKey:
    programme_id: str
    period: str
    reporter_id: str


def programme_statistics(context: Context, programme_id: str) -> tuple[Programme, Statistics]:
    programme = context.programmes.get(programme_id)
    if programme is None or programme.statistics is None:
        raise NotFound("programme with statistics", programme_id)
    return programme, programme.statistics


def period_of(text: str) -> PeriodKey:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise Refused(
            "invalid_period",
            t(
                f"报告期格式应为 YYYY-MM、YYYY-Qn 或 YYYY，收到“{text}”",
                f"a period is YYYY-MM, YYYY-Qn or YYYY, got {text!r}",
            ),
            field="period",
        ) from exc


async def submit_statistics(
    pool: asyncpg.Pool,
    context: Context,
    *,
    key: ReportKey,
    kind: ReporterKind,
    region_code: str,
    figures: Mapping[str, Any],
    authorize: Callable[[str], Actor],
    now: dt.datetime,
    before_commit: BeforeCommit | None = None,
) -> asyncpg.Record:
    """A new immutable version of one reporter's figures for one period."""
    programme, statistics = programme_statistics(context, key.programme_id)
    period = period_of(key.period)
    refusal = rules.reporter_refusal(
        programme, kind=kind, reporter_id=key.reporter_id, region_code=region_code
    )
    if refusal is not None:
        raise refusal
    actor = authorize(region_code[:4] + "00")
    values, errors = check_figures(statistics, kind=kind, period=period.kind, figures=figures)
    if errors:
        raise InvalidFigures(errors)
    city_code = region_code[:4] + "00"
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            queries.UPSERT_REPORT,
            uuid.uuid4(),
            key.programme_id,
            key.period,
            key.reporter_id,
            kind.value,
            region_code,
            city_code,
        )
        assert row is not None
        if (row["reporter_kind"], row["region_code"]) != (kind.value, region_code):
            raise Refused(
                "wrong_reporter",
                t(
                    "该报送单位已按其他类型或地区登记",
                    "this reporter reports as another kind or region",
                ),
                field="region_code",
            )
        refusal = rules.period_refusal(
            programme,
            statistics,
            period,
            now=now,
            accepted_before=row["accepted_version"] is not None,
        )
        if refusal is not None:
            raise refusal
        report = await _load(connection, row)
        updated = rules.submit(report, actor=actor, at=now, figures=values)
        stored = await _save(connection, row, updated)
        if stored["accepted_version"] is None:
            await replace_figures(connection, stored, values)
        version = updated.versions[-1]
        await publish_and_claim(connection, context, (), before_commit=before_commit, result=stored)
        await audit.record_change(
            connection,
            actor=audit_actor(actor),
            action="statistics_report.submitted",
            resource_type="statistics_report",
            resource_id=stored["id"],
            region_code=region_code,
            before={"state": report.state.value},
            after={"version": version.number, "figures": {k: str(v) for k, v in values.items()}},
            details={
                "period": key.period,
                "on_behalf": version.on_behalf,
                "correction": report.state is ReportState.accepted,
            },
        )
    return stored


async def review_statistics(
    pool: asyncpg.Pool,
    context: Context,
    *,
    key: ReportKey,
    action: Action,
    authorize: Callable[[Mapping[str, Any]], Actor],
    reason: str | None,
    field_comments: Mapping[str, str],
    now: dt.datetime,
    before_commit: BeforeCommit | None = None,
) -> asyncpg.Record:
    """City return or recommend; province accept (publishes the period again) or return."""
    programme, statistics = programme_statistics(context, key.programme_id)
    period = period_of(key.period)
    async with pool.acquire() as connection, connection.transaction():
        if action is Action.province_accept:
            # Publications of one period are numbered in order: one acceptance at a time.
            await connection.execute(queries.LOCK_PERIOD, key.programme_id, key.period)
        row = await connection.fetchrow(
            queries.REPORT_FOR_UPDATE, key.programme_id, key.period, key.reporter_id
        )
        if row is None:
            raise NotFound("statistics report", key.reporter_id)
        actor = authorize(row)
        report = await _load(connection, row)
        updated = review.review(
            report, actor, action, at=now, reason=reason, field_comments=field_comments
        )
        stored = await _save(connection, row, updated)
        step = updated.steps[-1]
        if action is Action.province_accept:
            await publish_period(
                connection,
                context,
                programme,
                statistics,
                period,
                stored,
                updated,
                now,
                correction=row["accepted_version"] is not None,
            )
        await publish_and_claim(connection, context, (), before_commit=before_commit, result=stored)
        await record_review_step(
            connection,
            step,
            resource_type="statistics_report",
            stored=stored,
            details={"period": key.period},
        )
    return stored


async def _load(connection: asyncpg.Connection, row: Mapping[str, Any]) -> Report:
    versions = tuple(
        ReportVersion(
            number=v["number"],
            submitted_at=v["submitted_at"],
            submitted_by=Actor(v["submitted_by"], Role(v["submitted_role"])),
            on_behalf=v["on_behalf"],
            figures={k: Decimal(x) for k, x in v["figures"].items()},
        )
        for v in await connection.fetch(queries.VERSIONS, row["id"])
    )
    return Report(
        designation_id=row["reporter_id"],
        entity_id=row["reporter_id"],
        city_code=row["city_code"],
        state=ReportState(row["state"]),
        versions=versions,
    )


async def _save(
    connection: asyncpg.Connection, row: Mapping[str, Any], report: Report
) -> asyncpg.Record:
    step = report.steps[-1]
    current = report.current
    assert current is not None
    if step.action is Action.submit:
        await connection.execute(
            queries.INSERT_VERSION,
            row["id"],
            current.number,
            current.submitted_at,
            current.submitted_by.id,
            current.submitted_by.role.value,
            current.on_behalf,
            {k: str(v) for k, v in current.figures.items()},
        )
    await connection.execute(
        queries.INSERT_STEP,
        row["id"],
        step.action.value,
        step.actor.id,
        step.actor.role.value,
        step.at,
        step.from_state.value,
        step.to_state.value,
        step.version,
        step.reason,
        dict(step.field_comments),
        step.on_behalf,
    )
    accepted = current.number if step.action is Action.province_accept else row["accepted_version"]
    stored = await connection.fetchrow(
        queries.SAVE_REPORT, row["id"], report.state.value, accepted, report.first_submitted_at
    )
    assert stored is not None
    return stored
