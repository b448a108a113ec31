"""A programme's targets and how far each is met, overall and per area: counted from registry
records (``registry.db.targets``), or, for targets that are reported statistics, from the sums
the submissions service publishes (``registry.domain.statistics``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from registry.db.targets import (
    MEASURES,
    Measure,
    count_by_area,
    count_total,
    published_months,
    region_names,
)
from registry.domain.statistics import STATISTIC_MEASURES, StatisticMeasure, statistic_values
from registry.domain.targets import (
    TargetProgress,
    Window,
    breakdown_level,
    counted_period,
    every_area_progress,
    jurisdiction_prefix,
    progress_of,
)
from registry.handlers.common import Connection, Context
from shared.auth import Principal, may_see_region
from shared.china_time import CHINA
from shared.http.problems import not_found
from shared.i18n import t
from shared.programmes import Programme
from shared.programmes.model import Scope, Target


@dataclass(frozen=True)
class AreaCount:
    region_code: str
    name: str | None
    current: Decimal
    progress: TargetProgress | None  # when the target binds each area


@dataclass(frozen=True)
class TargetResult:
    target: Target
    progress: TargetProgress
    how_measured: str | None
    by_area: list[AreaCount] | None


@dataclass(frozen=True)
class ProgrammeResult:
    programme_id: str
    year: int
    as_of: dt.date
    targets: list[TargetResult]


def programme_of(context: Context, programme_id: str) -> Programme:
    programme = context.programmes.get(programme_id)
    if programme is None:
        raise not_found(t("规划", "programme"), programme_id)
    return programme


async def programme_progress(
    context: Context,
    principal: Principal,
    *,
    programme_id: str,
    year: int | None,
    by_area: bool,
) -> ProgrammeResult:
    """Each target's progress in ``year`` (default this year in China); with ``by_area``, the
    count of each area the caller may see as well."""
    programme = programme_of(context, programme_id)
    today = dt.datetime.now(CHINA).date()
    year = year or today.year
    names = {
        region.code: region.name for region in context.regions.children(programme.jurisdiction)
    }
    progress = _Progress(programme, principal, year, today, names, by_area)
    async with context.pool.acquire() as connection:
        results = [await progress.of(connection, target) for target in programme.targets]
    return ProgrammeResult(programme_id=programme.id, year=year, as_of=today, targets=results)


class _Progress:
    """One programme's targets measured on one connection; region names looked up on the way
    are kept for the targets after."""

    def __init__(
        self,
        programme: Programme,
        principal: Principal,
        year: int,
        today: dt.date,
        names: dict[str, str],
        by_area: bool,
    ) -> None:
        self.programme, self.principal, self.year, self.today = programme, principal, year, today
        self.names, self.area_codes, self.by_area = names, list(names), by_area

    async def of(self, connection: Connection, target: Target) -> TargetResult:
        measure = MEASURES.get(target.metric)
        statistic = STATISTIC_MEASURES.get(target.metric)
        if statistic is not None:
            # Reported statistics: the year's published sums, not registry rows.
            return await self._statistic(connection, target, statistic)
        if measure is None:
            item = progress_of(target, None, reason="reported statistics, not registry data")
            return TargetResult(target, item, None, None)
        return await self._counted(connection, target, measure)

    def _area(self, code: str, value: Decimal, item: TargetProgress | None) -> AreaCount:
        return AreaCount(code, self.names.get(code), value, item)

    async def _statistic(
        self, connection: Connection, target: Target, statistic: StatisticMeasure
    ) -> TargetResult:
        total, areas = await _measure_statistic(
            connection, statistic, self.programme, self.year, self.today
        )
        item = progress_of(target, total, reason=f"no statistics published for {self.year}")
        each_area: dict[str, TargetProgress] = {}
        if total is not None and target.scope is not Scope.total:
            each_area, item = every_area_progress(target, areas, self.area_codes, total)
        by_area = None
        if self.by_area and total is not None:
            by_area = [
                self._area(code, value, each_area.get(code))
                for code, value in sorted(areas.items())
                if may_see_region(self.principal, code)
            ]
        return TargetResult(target, item, statistic.description, by_area)

    async def _counted(
        self, connection: Connection, target: Target, measure: Measure
    ) -> TargetResult:
        first_day, last_day = counted_period(target, self.programme, self.year, self.today)
        prefix = jurisdiction_prefix(self.programme.jurisdiction)
        window = Window(prefix, self.programme.id, first_day, last_day)
        total = await count_total(connection, measure, window)
        per_area = target.scope is not Scope.total
        level = breakdown_level(self.programme)
        areas = (
            await count_by_area(connection, measure, window, level=level)
            if self.by_area or per_area
            else {}
        )
        each: dict[str, TargetProgress] = {}
        if per_area:
            each, item = every_area_progress(target, areas, self.area_codes, total)
        else:
            item = progress_of(target, total)
        by_area = None
        if self.by_area:
            missing = [code for code in areas if code not in self.names]
            self.names.update(await region_names(connection, missing))
            by_area = [
                self._area(code, areas.get(code, Decimal(0)), each.get(code))
                for code in sorted(set(self.area_codes) | set(areas))
                if may_see_region(self.principal, code)
            ]
        return TargetResult(target, item, measure.description, by_area)


async def _measure_statistic(
    connection: Connection,
    measure: StatisticMeasure,
    programme: Programme,
    year: int,
    today: dt.date,
) -> tuple[Decimal | None, dict[str, Decimal]]:
    """The jurisdiction's value (None: nothing to measure) and each other region's."""
    now = await published_months(connection, programme.id, measure.indicator, year, today)
    if measure.kind == "growth":
        year_before = await published_months(
            connection, programme.id, measure.indicator, year - 1, dt.date(year - 1, 12, 31)
        )
        return statistic_values(measure, programme.jurisdiction, now, year_before=year_before)
    if measure.kind == "share":
        if measure.denominator is None:
            raise ValueError(f"the share {measure.indicator} names no denominator")
        whole = await published_months(connection, programme.id, measure.denominator, year, today)
        return statistic_values(measure, programme.jurisdiction, now, whole=whole)
    return statistic_values(measure, programme.jurisdiction, now)
