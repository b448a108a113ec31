"""Statistics reports in and out of their tables: the report with its versions, a review step
(and version) stored, the figures in force. Functions take a connection; the caller (a
handler) owns the transaction."""

from __future__ import annotations

from collections.abc import Mapping
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
