"""Statistics reports: submit, review, publish; each step in one transaction with its outbox
event and audit record (docs/statistics.md). The rules are in ``submissions.statistics``."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from shared import audit
from shared.events.statistics import PublishedFigure, StatisticsPublished
from shared.messaging.outbox import append_events
from shared.programmes import Programme, Statistics
from submissions.db import statistics_queries as queries
from submissions.domain import review
from submissions.domain.actors import Actor, Role
from submissions.domain.errors import Refused
from submissions.domain.review import Action, Report, ReportState
from submissions.domain.versions import ReportVersion
from submissions.handlers.common import EVENT_SOURCE, BeforeCommit, Context, NotFound, audit_actor
from submissions.statistics import reports as rules
from submissions.statistics.aggregation import (
    Aggregate,
    ReportedFigure,
    aggregate,
    changed_regions,
)
from submissions.statistics.figures import FigureError, ReporterKind, check_figures
from submissions.statistics.periods import PeriodKey, parse_period


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
        raise Refused("invalid_period", str(exc), field="period") from exc


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
                "this reporter reports as another kind or region",
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
            await _replace_figures(connection, stored, values)
        version = updated.versions[-1]
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
        if before_commit is not None:
            await before_commit(connection, stored)
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
        updated = _apply(report, actor, action, reason, field_comments, now)
        stored = await _save(connection, row, updated)
        step = updated.steps[-1]
        if action is Action.province_accept:
            await _publish(
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
        await audit.record_change(
            connection,
            actor=audit_actor(actor),
            action=f"statistics_report.{action.value}",
            resource_type="statistics_report",
            resource_id=stored["id"],
            region_code=stored["region_code"],
            reason=step.reason,
            before={"state": step.from_state.value},
            after={"state": step.to_state.value},
            details={
                "period": key.period,
                "version": step.version,
                "field_comments": dict(step.field_comments),
            },
        )
        if before_commit is not None:
            await before_commit(connection, stored)
    return stored


def _apply(
    report: Report,
    actor: Actor,
    action: Action,
    reason: str | None,
    comments: Mapping[str, str],
    now: dt.datetime,
) -> Report:
    if action is Action.city_return:
        return review.city_return(
            report, actor=actor, at=now, field_comments=comments, reason=reason
        )
    if action is Action.city_recommend:
        return review.city_recommend(report, actor=actor, at=now, reason=reason)
    if action is Action.province_accept:
        return review.province_accept(report, actor=actor, at=now, reason=reason)
    to = Role.city_bureau if action is Action.province_return_to_city else Role.reporter
    return review.province_return(
        report, actor=actor, at=now, to=to, reason=reason, field_comments=comments or None
    )


async def _load(connection: asyncpg.Connection, row: Mapping[str, Any]) -> Report:
    versions = tuple(
        ReportVersion(
            number=v["number"],
            submitted_at=v["submitted_at"],
            submitted_by=Actor(v["submitted_by"], Role(v["submitted_role"])),
            on_behalf=v["on_behalf"],
            figures={k: Decimal(x) for k, x in json.loads(v["figures"]).items()},
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
            json.dumps({k: str(v) for k, v in current.figures.items()}),
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
        json.dumps(dict(step.field_comments)),
        step.on_behalf,
    )
    accepted = current.number if step.action is Action.province_accept else row["accepted_version"]
    stored = await connection.fetchrow(
        queries.SAVE_REPORT, row["id"], report.state.value, accepted, report.first_submitted_at
    )
    assert stored is not None
    return stored


async def _replace_figures(
    connection: asyncpg.Connection, row: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    await connection.execute(
        queries.DELETE_FIGURES, row["programme_id"], row["period"], row["reporter_id"]
    )
    await connection.execute(
        queries.INSERT_FIGURES,
        row["programme_id"],
        row["period"],
        row["reporter_id"],
        row["reporter_kind"],
        row["region_code"],
        list(values),
        [Decimal(v) for v in values.values()],
    )


async def figures_in_force(
    connection: asyncpg.Connection,
    *,
    programme_id: str,
    indicators: list[str],
    periods: list[str],
    root: str,
) -> dict[str, list[ReportedFigure]]:
    """The figures in force per period, inside ``root``'s subtree."""
    like = root[:2] + "%" if root.endswith("0000") else root[:4] + "%"
    found: dict[str, list[ReportedFigure]] = {p: [] for p in periods}
    for r in await connection.fetch(queries.FIGURES, programme_id, indicators, periods, like):
        found[r["period"]].append(
            ReportedFigure(
                r["reporter_id"],
                ReporterKind(r["reporter_kind"]),
                r["region_code"],
                r["key"],
                r["value"],
                r["provisional"],
            )
        )
    return found


def _level(code: str) -> str:
    if code.endswith("0000"):
        return "province"
    return "city" if code.endswith("00") else "county"


async def _publish(
    connection: asyncpg.Connection,
    context: Context,
    programme: Programme,
    statistics: Statistics,
    period: PeriodKey,
    stored: Mapping[str, Any],
    updated: Report,
    now: dt.datetime,
    *,
    correction: bool,
) -> None:
    """Take the accepted figures into the sums and publish the period's sums again."""
    ids = [i.id for i in statistics.indicators if i.period is period.kind]
    root = programme.jurisdiction

    async def in_force() -> list[ReportedFigure]:
        found = await figures_in_force(
            connection, programme_id=programme.id, indicators=ids, periods=[str(period)], root=root
        )
        return found[str(period)]

    before = await in_force()
    accepted = updated.current
    assert accepted is not None
    await _replace_figures(connection, stored, accepted.figures)
    after = await in_force()
    reported = {f.key.split(".", 1)[0] for f in after}
    figures: list[PublishedFigure] = []
    changed: set[str] = set()
    for indicator in statistics.indicators:
        parts = {indicator.id, indicator.numerator, indicator.denominator} - {None}
        if indicator.period is not period.kind or not parts & reported:
            continue
        old: Aggregate = aggregate(statistics, indicator.id, before, root=root)
        new = aggregate(statistics, indicator.id, after, root=root)
        changed.update(changed_regions(old, new))
        for code, total in sorted(new.totals.items()):
            if _level(code) == "county":
                continue  # the event carries the province and its cities; counties by query
            figures.append(
                PublishedFigure(
                    indicator=indicator.id,
                    region_code=code,
                    level=_level(code),
                    basis=new.basis,
                    value=None if total.value is None else str(total.value),
                    provisional=total.provisional,
                )
            )
    revision = await connection.fetchval(
        queries.NEXT_PUBLICATION, programme.id, str(period), now, stored["id"]
    )
    event = StatisticsPublished(
        publication_key=f"{programme.id}/{period}",
        programme_id=programme.id,
        jurisdiction=root,
        period=str(period),
        revision=revision,
        correction=correction,
        published_at=now,
        changed_regions=sorted(changed),
        figures=figures,
    )
    await append_events(connection, [event], source=EVENT_SOURCE, topic_prefix=context.topic_prefix)
