"""The published sums of a period (docs/statistics.md, *Published*): the figures in force per
reporter (its accepted version's, else its latest, flagged provisional), and each province
acceptance publishing the period's sums again in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from shared.events.statistics import PublishedFigure, StatisticsPublished
from shared.programmes import Programme, Statistics
from submissions.db import statistics_queries as queries
from submissions.db.statistics_repository import figures_in_force, replace_figures
from submissions.domain.review import Report
from submissions.domain.statistics.aggregation import (
    Aggregate,
    ReportedFigure,
    aggregate,
    changed_regions,
)
from submissions.domain.statistics.periods import PeriodKey
from submissions.domain.statistics.published import level_of
from submissions.handlers.common import Connection, Context


async def publish_period(
    connection: Connection,
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
    if accepted is None:
        raise ValueError("an accepted statistics report has a version")
    await replace_figures(connection, stored, accepted.figures)
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
            if level_of(code) == "county":
                continue  # the event carries the province and its cities; counties by query
            figures.append(
                PublishedFigure(
                    indicator=indicator.id,
                    region_code=code,
                    level=level_of(code),
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
    await context.publish(connection, [event])
