"""The escalation ladder: one message per office per clock point, its own list before the due
time, the region's overdue list after (city, then province)."""

from __future__ import annotations

import datetime as dt

from notifications.domain.escalation import OfficeMessage, office_messages, still_to_remind
from shared.events.submissions import DeadlineApproaching, DeadlinePassed, MissingReporters
from shared.programmes.notifications import Escalation, Route

DUE = dt.datetime(2025, 12, 10, 16, 0, tzinfo=dt.UTC)
BUREAUS = [
    MissingReporters(region_code="520100", level="city", designation_ids=["P1", "P2"]),
    MissingReporters(region_code="520102", level="county", designation_ids=["E1", "E2", "E3"]),
    MissingReporters(region_code="520300", level="city", designation_ids=["P9"]),
]


def _event(kind: type, offset: int) -> DeadlineApproaching | DeadlinePassed:
    return kind(
        window_id="guizhou-shibaiqianwan-2023.annual-report.2025",
        point=f"p{offset}",
        offset_days=offset,
        point_at=DUE + dt.timedelta(days=offset),
        due_at=DUE,
        late=False,
        expected=10,
        missing=6,
        missing_by_bureau=BUREAUS,
    )


def test_before_the_due_time_each_bureau_gets_its_own_list_once() -> None:
    route = Route(event="x", to=("city_bureau", "county_bureau"))
    messages = office_messages(_event(DeadlineApproaching, -3), route, Escalation())
    assert messages == [
        OfficeMessage("520100", "city_bureau", ("P1", "P2"), False),
        OfficeMessage("520102", "county_bureau", ("E1", "E2", "E3"), False),
        OfficeMessage("520300", "city_bureau", ("P9",), False),
    ]


def test_at_the_due_time_the_city_gets_its_region_and_the_province_waits() -> None:
    route = Route(event="x", to=("city_bureau", "province_admin"))
    messages = office_messages(_event(DeadlinePassed, 0), route, Escalation(province_after_days=1))
    assert messages == [
        OfficeMessage("520100", "city_bureau", ("E1", "E2", "E3", "P1", "P2"), True),
        OfficeMessage("520300", "city_bureau", ("P9",), True),
    ]


def test_after_the_due_time_the_province_gets_the_whole_overdue_list() -> None:
    route = Route(event="x", to=("city_bureau", "province_admin"))
    messages = office_messages(_event(DeadlinePassed, 1), route, Escalation(province_after_days=1))
    assert (
        OfficeMessage("520000", "province_admin", ("E1", "E2", "E3", "P1", "P2", "P9"), True)
        in messages
    )
    assert len(messages) == 3


def test_an_office_with_nothing_missing_gets_nothing() -> None:
    event = _event(DeadlineApproaching, -1).model_copy(update={"missing_by_bureau": []})
    assert office_messages(event, Route(event="x", to=("city_bureau",)), Escalation()) == []


def test_an_acknowledged_list_stops_the_reminder_until_someone_new_is_missing() -> None:
    assert not still_to_remind(("E1",), [{"E1", "E2"}])
    assert still_to_remind(("E1", "E4"), [{"E1", "E2"}])
    assert still_to_remind(("E1",), [])
