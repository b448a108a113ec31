"""Statistics reports: submit, review, publish, read; each step in one transaction with its
outbox event and audit record (docs/statistics.md). The rules are in
``submissions.domain.statistics``."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared import audit
from shared.i18n import t
from shared.programmes import Programme, Statistics
from submissions.db import statistics_queries as queries
from submissions.db.statistics_repository import (
    latest_figures,
    load_statistics_report,
    replace_figures,
    save_statistics_step,
)
from submissions.domain import review
from submissions.domain.actors import Actor
from submissions.domain.errors import Refused
from submissions.domain.review import Action, ReportState
from submissions.domain.statistics import reports as rules
from submissions.domain.statistics.figures import FigureError, ReporterKind, check_figures
from submissions.domain.statistics.periods import PeriodKey, parse_period
from submissions.handlers.common import (
    BeforeCommit,
    Context,
    NotFound,
    Pool,
    Row,
    Visible,
    audit_actor,
    publish_and_claim,
    record_review_step,
)
from submissions.handlers.statistics_publication import publish_period


class InvalidFigures(Exception):
    def __init__(self, errors: list[FigureError]) -> None:
        super().__init__("invalid statistics figures")
        self.errors = errors


@dataclass(frozen=True)
class ReportKey:
    programme_id: str
    period: str
    reporter_id: str


@dataclass(frozen=True)
class StoredStatistics:
    """A statistics report as a step left it: its row and its latest version's figures (what
    the answer shows, and what a ``BeforeCommit`` receives)."""

    report: Row
    figures: dict[str, Any]


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
    pool: Pool,
    context: Context,
    *,
    key: ReportKey,
    kind: ReporterKind,
    region_code: str,
    figures: Mapping[str, Any],
    authorize: Callable[[str], Actor],
    now: dt.datetime,
    before_commit: BeforeCommit | None = None,
) -> StoredStatistics:
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
        report = await load_statistics_report(connection, row)
        updated = rules.submit(report, actor=actor, at=now, figures=values)
        stored = await save_statistics_step(connection, row, updated)
        if stored["accepted_version"] is None:
            await replace_figures(connection, stored, values)
        version = updated.versions[-1]
        result = StoredStatistics(stored, await latest_figures(connection, stored["id"]))
        await publish_and_claim(connection, context, (), before_commit=before_commit, result=result)
        await audit.record_change_by(
            connection,
            audit_actor(actor),
            "statistics_report.submitted",
            audit.Resource("statistics_report", stored["id"], region_code),
            before={"state": report.state.value},
            after={"version": version.number, "figures": {k: str(v) for k, v in values.items()}},
            details={
                "period": key.period,
                "on_behalf": version.on_behalf,
                "correction": report.state is ReportState.accepted,
            },
        )
    return result


async def review_statistics(
    pool: Pool,
    context: Context,
    *,
    key: ReportKey,
    action: Action,
    authorize: Callable[[Mapping[str, Any]], Actor],
    reason: str | None,
    field_comments: Mapping[str, str],
    now: dt.datetime,
    before_commit: BeforeCommit | None = None,
) -> StoredStatistics:
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
        report = await load_statistics_report(connection, row)
        updated = review.review(
            report, actor, action, at=now, reason=reason, field_comments=field_comments
        )
        stored = await save_statistics_step(connection, row, updated)
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
        result = StoredStatistics(stored, await latest_figures(connection, stored["id"]))
        await publish_and_claim(connection, context, (), before_commit=before_commit, result=result)
        await record_review_step(
            connection,
            step,
            resource_type="statistics_report",
            stored=stored,
            details={"period": key.period},
        )
    return result


@dataclass(frozen=True)
class StatisticsRead:
    report: Mapping[str, Any]
    figures: dict[str, Any]
    steps: list[Row]


async def read_statistics(pool: Pool, key: ReportKey, visible: Visible) -> StatisticsRead:
    """The report with its latest figures and its steps, when the caller may see it
    (``visible`` raises when it is absent or another's)."""
    row = visible(
        await pool.fetchrow(queries.REPORT, key.programme_id, key.period, key.reporter_id)
    )
    return StatisticsRead(
        row,
        await latest_figures(pool, row["id"]),
        list(await pool.fetch(queries.STEPS, row["id"])),
    )
