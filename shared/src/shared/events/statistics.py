"""Events of statistics monitoring (docs/statistics.md).

000_97a6efa9592fa78d.txt 三(三): 定期发布电商经济统计报告. Each time the province accepts a
period's report (first figures or a correction), the affected sums are published again with a
higher ``revision``; consumers keep the highest. Topic ``submissions.statistics``, keyed by
``<programme>/<period>`` so the revisions of one period stay in order. Values are exact
decimal strings.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from shared.events.envelope import DomainEvent


class PublishedFigure(BaseModel):
    indicator: str
    region_code: str
    level: str = Field(description="province, city or county (the region's level)")
    basis: str = Field(description="regional, or monitored_enterprises (kept apart)")
    value: str | None = Field(description="exact decimal string; None when not computable")
    provisional: bool = Field(description="a report under it is not accepted yet")


class StatisticsPublished(DomainEvent):
    topic = "submissions.statistics"
    aggregate_field = "publication_key"
    event_type = "submissions.statistics.published"
    summary = "A period's statistics were accepted (or corrected) and their sums re-published."

    publication_key: str = Field(description="<programme>/<period>")
    programme_id: str
    jurisdiction: str
    period: str = Field(description="2025-01, 2025-Q1 or 2025")
    revision: int = Field(ge=1, description="one more per publication of this period")
    correction: bool = Field(description="an accepted figure was corrected")
    published_at: dt.datetime
    changed_regions: list[str] = Field(description="regions whose sums this revision changed")
    figures: list[PublishedFigure] = Field(
        description="the sums of the indicators reported in the period, province and each city"
    )


class MissingStatisticsReporters(BaseModel):
    city_code: str
    reporter_ids: list[str] = Field(description="on the period's roster, no report yet")


class _StatisticsDeadline(DomainEvent):
    """A point of the statistics deadline clock for one period (docs/statistics.md)."""

    topic = "submissions.statistics"
    aggregate_field = "publication_key"

    publication_key: str = Field(description="<programme>/<period>")
    programme_id: str
    period: str
    point: str = Field(description="the clock point's key: before-3d, due, after-1d …")
    offset_days: int = Field(description="negative before the due time")
    point_at: dt.datetime
    due_at: dt.datetime
    late: bool = Field(description="emitted after downtime; older missed points were skipped")
    expected: int = Field(description="reporters on the period's frozen roster")
    missing: int
    missing_by_city: list[MissingStatisticsReporters]


class StatisticsDeadlineApproaching(_StatisticsDeadline):
    event_type = "submissions.statistics.deadline_approaching"
    summary = "N days before a period's statistics are due: the reporters still missing."


class StatisticsDeadlinePassed(_StatisticsDeadline):
    event_type = "submissions.statistics.deadline_passed"
    summary = "At or N days after a period's due time: the reporters still missing."


STATISTICS_EVENTS: tuple[type[DomainEvent], ...] = (
    StatisticsPublished,
    StatisticsDeadlineApproaching,
    StatisticsDeadlinePassed,
)
