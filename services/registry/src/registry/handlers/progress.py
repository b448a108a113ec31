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
    Horizon,
    TargetProgress,
    Window,
    breakdown_level,
    counted_period,
    coverage_progress,
    covered_areas,
    every_area_progress,
    horizon_of,
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
    horizon: Horizon
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
    now: dt.datetime,
) -> ProgrammeResult:
    """Each target's progress in ``year`` (default the year of ``now`` in China); with
    ``by_area``, the count of each area the caller may see as well. A year past the targets'
    horizon (the programme period's end) is measured as the targets stood at the horizon, and
    says so (``Horizon``)."""
    programme = programme_of(context, programme_id)
    today = now.astimezone(CHINA).date()
    year = year or today.year
    horizon = horizon_of(programme, year, today)
    names = {
        region.code: region.name for region in context.regions.children(programme.jurisdiction)
    }
    progress = _Progress(programme, principal, horizon.year, today, names, by_area, context)
    async with context.pool.acquire() as connection:
        results = [await progress.of(connection, target) for target in programme.targets]
    return ProgrammeResult(
        programme_id=programme.id, year=year, as_of=today, horizon=horizon, targets=results
    )


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
        context: Context,
    ) -> None:
        self.programme, self.principal, self.year, self.today = programme, principal, year, today
        self.names, self.area_codes, self.by_area = names, list(names), by_area
        self.regions = context.regions

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
        if target.coverage is not None:
            return await self._coverage(connection, target, measure, window)
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
        return await self._result(connection, target, measure, item, areas, each)

    async def _coverage(
        self, connection: Connection, target: Target, measure: Measure, window: Window
    ) -> TargetResult:
        """全部: the areas of the target's level with something counted (each area of the
        breakdown shows how many of its own are covered)."""
        counts = await count_by_area(connection, measure, window, level="county")
        every, covered = covered_areas(target, counts, self.regions, self.programme.jurisdiction)
        item = coverage_progress(target, every, covered)
        areas: dict[str, Decimal] = {}
        for code in covered if self.by_area else ():
            parent = self.regions.parent_of(code)
            by_city = breakdown_level(self.programme) == "city"
            key = parent.code if by_city and parent and parent.level.value == "city" else code
            areas[key] = areas.get(key, Decimal(0)) + 1
        description = f"{measure.description}: areas with at least one, of the {len(every)}"
        return await self._result(connection, target, measure, item, areas, {}, description)

    async def _result(
        self,
        connection: Connection,
        target: Target,
        measure: Measure,
        item: TargetProgress,
        areas: dict[str, Decimal],
        each: dict[str, TargetProgress],
        description: str | None = None,
    ) -> TargetResult:
        by_area = None
        if self.by_area:
            missing = [code for code in areas if code not in self.names]
            self.names.update(await region_names(connection, missing))
            by_area = [
                self._area(code, areas.get(code, Decimal(0)), each.get(code))
                for code in sorted(set(self.area_codes) | set(areas))
                if may_see_region(self.principal, code)
            ]
        return TargetResult(target, item, description or measure.description, by_area)


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
