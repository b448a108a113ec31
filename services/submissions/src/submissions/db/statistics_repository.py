"""Statistics reports in and out of their tables: the report with its versions, a review step
(and version) stored, the figures in force. Functions take a connection; the caller (a
handler) owns the transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import asyncpg

from submissions.db import statistics_queries as queries
from submissions.db.repository import step_values
from submissions.domain.actors import Actor, Role
from submissions.domain.review import Action, Report, ReportState
from submissions.domain.statistics.aggregation import ReportedFigure
from submissions.domain.statistics.figures import ReporterKind
from submissions.domain.versions import ReportVersion


async def load_statistics_report(connection: asyncpg.Connection, row: Mapping[str, Any]) -> Report:
    """The stored report with its versions (figures exact: Decimal from their strings)."""
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


async def save_statistics_step(
    connection: asyncpg.Connection, row: Mapping[str, Any], report: Report
) -> asyncpg.Record:
    """Store the step (and, for a submission, the version) ``report`` gained over ``row``,
    and the report's new state; answers the stored report."""
    step = report.steps[-1]
    current = report.current
    if current is None:
        raise ValueError("a statistics report is stored with at least one version")
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
        *step_values(step),
        step.on_behalf,
    )
    accepted = current.number if step.action is Action.province_accept else row["accepted_version"]
    stored: asyncpg.Record = await connection.fetchrow(
        queries.SAVE_REPORT, row["id"], report.state.value, accepted, report.first_submitted_at
    )
    return stored


async def latest_figures(
    connection: asyncpg.Connection | asyncpg.Pool, report_id: Any
) -> dict[str, Any]:
    """The figures of the report's latest version as stored (exact strings); empty for none."""
    versions = await connection.fetch(queries.VERSIONS, report_id)
    return dict(versions[-1]["figures"]) if versions else {}


async def replace_figures(
    connection: asyncpg.Connection, row: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    """The reporter's figures in force become ``values``."""
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


# A reporter kind by its stored text without the enum's own look-up (a view reads hundreds).
_KINDS = {kind.value: kind for kind in ReporterKind}


def _kind(text: str) -> ReporterKind:
    return _KINDS.get(text) or ReporterKind(text)  # the enum refuses an unknown kind


def _subtree(root: str) -> str:
    return root[:2] + "%" if root.endswith("0000") else root[:4] + "%"


async def figures_in_force(
    connection: asyncpg.Connection,
    *,
    programme_id: str,
    indicators: list[str],
    periods: list[str],
    root: str,
) -> dict[str, list[ReportedFigure]]:
    """The figures in force per period, inside ``root``'s subtree."""
    found: dict[str, list[ReportedFigure]] = {p: [] for p in periods}
    rows = await connection.fetch(
        queries.FIGURES, programme_id, indicators, periods, _subtree(root)
    )
    for reporter_id, kind, region_code, period, key, value, provisional in rows:
        found[period].append(
            ReportedFigure(reporter_id, _kind(kind), region_code, key, value, provisional)
        )
    return found


@dataclass(frozen=True)
class PublishedReads:
    """What the published view reads, in one statement (``PUBLISHED_VIEW``)."""

    figures: dict[str, list[ReportedFigure]]  # per period, as ``figures_in_force``
    report_states: list[dict[str, Any]]  # reporter_kind, state, reports
    roster_counts: list[dict[str, Any]]  # reporter_kind, expected, missing


async def published_reads(
    connection: asyncpg.Connection,
    *,
    programme_id: str,
    indicators: list[str],
    periods: list[str],
    root: str,
    period: str,
    region_like: str,
    opens_at: dt.datetime,
) -> PublishedReads:
    """The figures in force of ``indicators`` and ``periods`` inside ``root``'s subtree, and
    the reports of ``period`` and its roster at ``opens_at`` inside ``region_like`` counted by
    kind (and state): the three reads of the published view in one round trip."""
    found: dict[str, list[ReportedFigure]] = {p: [] for p in periods}
    states: list[dict[str, Any]] = []
    roster: list[dict[str, Any]] = []
    rows = await connection.fetch(
        queries.PUBLISHED_VIEW,
        programme_id,
        indicators,
        periods,
        _subtree(root),
        period,
        region_like,
        opens_at,
    )
    for part, reporter_id, kind, region_code, at, key, value, provisional, n, missing in rows:
        if part == 0:
            found[at].append(
                ReportedFigure(reporter_id, _kind(kind), region_code, key, value, provisional)
            )
        elif part == 1:
            states.append({"reporter_kind": kind, "state": key, "reports": n})
        else:
            roster.append({"reporter_kind": kind, "expected": n, "missing": missing})
    return PublishedReads(found, states, roster)
