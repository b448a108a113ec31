"""The escalation ladder (docs/notifications.md, "What it sends, to whom"): from one deadline
clock point to one message per office.

Before the due time each county and city bureau gets its own missing list; at and after it the
city bureau gets the overdue list of its whole city, and the province joins
``province_after_days`` after. One message per office per clock point, listing every missing
reporter (never one per reporter)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from shared.events.statistics import StatisticsDeadlineApproaching, StatisticsDeadlinePassed
from shared.events.submissions import DeadlineApproaching, DeadlinePassed
from shared.programmes.notifications import Escalation, Route


@dataclass(frozen=True)
class OfficeMessage:
    region_code: str
    role: str
    designation_ids: tuple[str, ...]
    overdue: bool


def office_messages(
    event: DeadlineApproaching | DeadlinePassed, route: Route, escalation: Escalation
) -> list[OfficeMessage]:
    overdue = isinstance(event, DeadlinePassed) or event.offset_days >= 0
    lists: dict[tuple[str, str], set[str]] = defaultdict(set)
    for bureau in event.missing_by_bureau:
        role = f"{bureau.level}_bureau"
        if not overdue:
            if role in route.to:
                lists[(bureau.region_code, role)].update(bureau.designation_ids)
            continue
        if bureau.level == "county" and "county_bureau" in route.to:
            lists[(bureau.region_code, "county_bureau")].update(bureau.designation_ids)
        if "city_bureau" in route.to:
            lists[(bureau.region_code[:4] + "00", "city_bureau")].update(bureau.designation_ids)
        if "province_admin" in route.to and event.offset_days >= escalation.province_after_days:
            lists[(bureau.region_code[:2] + "0000", "province_admin")].update(
                bureau.designation_ids
            )
    return [
        OfficeMessage(region, role, tuple(sorted(ids)), overdue)
        for (region, role), ids in sorted(lists.items())
        if ids
    ]


def statistics_office_messages(
    event: StatisticsDeadlineApproaching | StatisticsDeadlinePassed,
    route: Route,
    escalation: Escalation,
) -> list[OfficeMessage]:
    """The statistics reminders climb the same ladder. The event lists the missing reporters
    per city (county bureaus, the city bureau itself, monitored enterprises): the city bureau
    organises its city's reporting (003 二（四）16), so it gets its city's list before and after
    the due time; the province joins ``province_after_days`` after it with the whole list."""
    overdue = isinstance(event, StatisticsDeadlinePassed) or event.offset_days >= 0
    lists: dict[tuple[str, str], set[str]] = defaultdict(set)
    for city in event.missing_by_city:
        if "city_bureau" in route.to:
            lists[(city.city_code[:4] + "00", "city_bureau")].update(city.reporter_ids)
        if (
            overdue
            and "province_admin" in route.to
            and event.offset_days >= escalation.province_after_days
        ):
            lists[(city.city_code[:2] + "0000", "province_admin")].update(city.reporter_ids)
    return [
        OfficeMessage(region, role, tuple(sorted(ids)), overdue)
        for (region, role), ids in sorted(lists.items())
        if ids
    ]


def still_to_remind(current: tuple[str, ...], acknowledged: list[set[str]]) -> bool:
    """An office that acknowledged a list of this window is not reminded again of a list it
    already acknowledged (same reporters or fewer); a newly missing reporter reminds again."""
    return not any(set(current) <= seen for seen in acknowledged)
