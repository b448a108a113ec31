"""Reading the annual reports of a window as the caller may see them: the list, one report
with its steps, its versions and the versions to compare. Each read answers what the
statements found; ``visible`` (the route's scope rule) decides what the caller may see."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from submissions.db import queries
from submissions.db.repository import version_of
from submissions.domain.versions import ReportVersion
from submissions.handlers.common import Pool, Row, Scope, Visible


async def reports_page(
    pool: Pool, window_id: str, *, after: str | None, count: int, scope: Scope
) -> list[Row]:
    """``count`` reports of the window the caller may see, by designation id after ``after``
    (the window found first: ``find_window``)."""
    return list(await pool.fetch(queries.REPORTS_PAGE, window_id, after, count, *scope.arguments()))


async def visible_report(
    pool: Pool, window_id: str, designation_id: str, visible: Visible
) -> Mapping[str, Any]:
    """The report when the caller may see it; ``visible`` raises when it is absent or not."""
    return visible(await pool.fetchrow(queries.REPORT, window_id, designation_id))


@dataclass(frozen=True)
class ReportWithSteps:
    report: Mapping[str, Any]
    steps: list[Row]


async def read_report(
    pool: Pool, window_id: str, designation_id: str, visible: Visible
) -> ReportWithSteps:
    row = await visible_report(pool, window_id, designation_id, visible)
    return ReportWithSteps(row, list(await pool.fetch(queries.STEPS, row["id"])))


async def versions_page(
    pool: Pool,
    window_id: str,
    designation_id: str,
    visible: Visible,
    *,
    after: int | None,
    count: int,
) -> list[Row]:
    """``count`` versions of the report, oldest first, after version number ``after``."""
    row = await visible_report(pool, window_id, designation_id, visible)
    return list(await pool.fetch(queries.VERSIONS_PAGE, row["id"], after, count))


async def find_version(
    pool: Pool, window_id: str, designation_id: str, visible: Visible, number: int
) -> Row | None:
    row = await visible_report(pool, window_id, designation_id, visible)
    found: Row | None = await pool.fetchrow(queries.VERSION, row["id"], number)
    return found


async def report_versions(
    pool: Pool, window_id: str, designation_id: str, visible: Visible
) -> dict[int, ReportVersion]:
    """Every version of the report by its number (what a diff compares)."""
    row = await visible_report(pool, window_id, designation_id, visible)
    return {v["number"]: version_of(v) for v in await pool.fetch(queries.VERSIONS, row["id"])}
