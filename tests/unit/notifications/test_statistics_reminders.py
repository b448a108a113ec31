"""Statistics reminders (submissions.statistics.deadline_*): each city bureau its own missing
list, the province joining after the due time per the ladder; the message names the period and
the exact due time in China time, in Chinese with an English fallback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from notifications.domain.escalation import OfficeMessage, statistics_office_messages
from notifications.domain.rendering import render, statistics_period
from shared.china_time import CHINA
from shared.events.statistics import (
    MissingStatisticsReporters,
    StatisticsDeadlineApproaching,
    StatisticsDeadlinePassed,
)
from shared.programmes.notifications import Escalation, Route

DUE = dt.datetime(2025, 2, 11, 0, 0, tzinfo=CHINA)
CITIES = [
    MissingStatisticsReporters(city_code="520100", reporter_ids=["520102", "520100"]),
    MissingStatisticsReporters(city_code="520300", reporter_ids=["520302"]),
]
BOTH = Route(event="x", to=("city_bureau", "province_admin"))


def _event(offset: int) -> StatisticsDeadlineApproaching | StatisticsDeadlinePassed:
    kind = StatisticsDeadlinePassed if offset >= 0 else StatisticsDeadlineApproaching
    return kind(
        publication_key="guizhou-shibaiqianwan-2023/2025-01",
        programme_id="guizhou-shibaiqianwan-2023",
        period="2025-01",
        point=f"p{offset}",
        offset_days=offset,
        point_at=DUE + dt.timedelta(days=offset),
        due_at=DUE,
        late=False,
        expected=10,
        missing=3,
        missing_by_city=CITIES,
    )


def test_before_the_due_time_each_city_bureau_gets_its_own_list_and_not_the_province() -> None:
    assert statistics_office_messages(_event(-3), BOTH, Escalation()) == [
        OfficeMessage("520100", "city_bureau", ("520100", "520102"), False),
        OfficeMessage("520300", "city_bureau", ("520302",), False),
    ]


def test_at_the_due_time_the_cities_get_the_overdue_list_and_the_province_waits() -> None:
    messages = statistics_office_messages(_event(0), BOTH, Escalation(province_after_days=1))
    assert messages == [
        OfficeMessage("520100", "city_bureau", ("520100", "520102"), True),
        OfficeMessage("520300", "city_bureau", ("520302",), True),
    ]


def test_after_the_ladder_s_days_the_province_gets_the_whole_overdue_list() -> None:
    messages = statistics_office_messages(_event(1), BOTH, Escalation(province_after_days=1))
    assert messages[0] == OfficeMessage(
        "520000", "province_admin", ("520100", "520102", "520302"), True
    )
    assert len(messages) == 3
    city_only = Route(event="x", to=("city_bureau",))
    assert len(statistics_office_messages(_event(3), city_only, Escalation())) == 2


def test_nothing_missing_sends_nothing() -> None:
    event = _event(-1).model_copy(update={"missing_by_city": []})
    assert statistics_office_messages(event, BOTH, Escalation()) == []


def test_the_period_reads_in_chinese() -> None:
    assert statistics_period("2025-01") == "2025年1月"
    assert statistics_period("2025-Q3") == "2025年第三季度"
    assert statistics_period("2025") == "2025年度"


def _facts(offset: int) -> dict[str, object]:
    return {
        "programme": "贵州省电子商务“十百千万”工程",
        "period": "2025-01",
        "point": "p",
        "offset_days": offset,
        "due_at": DUE,
        "reporter_ids": ["520100", "520102"],
        "ack_url": "https://x/ack",
    }


def test_the_reminder_names_the_period_and_the_exact_due_time_in_beijing_time() -> None:
    title, body = render("statistics_reminder", _facts(-3))
    assert "2025年1月" in title and "2 个" in title
    assert "2025年2月10日 24:00（北京时间）" in body
    assert "- 520102" in body and "https://x/ack" in body
    title, body = render("statistics_overdue", _facts(2))
    assert "逾期" in title and "2025年1月" in title
    assert "已过 2 天" in body and "2025年2月10日 24:00（北京时间）" in body


def test_without_a_chinese_template_the_english_one_is_used(tmp_path: Path) -> None:
    from notifications.domain.rendering import TEMPLATES_DIR

    for kind in ("statistics_reminder", "statistics_overdue"):
        english = (TEMPLATES_DIR / f"{kind}.en.md.j2").read_text(encoding="utf-8")
        (tmp_path / f"{kind}.en.md.j2").write_text(english, encoding="utf-8")
        title, body = render(kind, _facts(1), directory=tmp_path)
        assert "2025-01" in title and "statistics" in title.lower()
        assert "2025年2月10日 24:00（北京时间）" in body
