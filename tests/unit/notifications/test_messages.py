"""Messages: due time in China time without ambiguity, zh-CN templates with an English
fallback, working-day shifting of pre-due reminders, acknowledgement tokens, addresses."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

from notifications.consumers.subscriptions import KINDS
from notifications.domain import ack_tokens
from notifications.domain.addresses import BadAddress, check_address
from notifications.domain.rendering import (
    TEMPLATES_DIR,
    RenderingFailed,
    check_templates,
    china_due_time,
    render,
)
from notifications.domain.working_days import ReminderTime, reminder_time
from shared.china_time import CHINA
from shared.working_days import WorkingDayCalendar, YearCalendar

DUE = dt.datetime(2025, 12, 11, 0, 0, tzinfo=CHINA)  # the first late instant


def test_the_due_time_reads_as_the_end_of_the_due_day() -> None:
    assert china_due_time(DUE) == "2025年12月10日 24:00（北京时间）"
    assert china_due_time(DUE.astimezone(dt.UTC)) == "2025年12月10日 24:00（北京时间）"
    assert china_due_time(dt.datetime(2025, 12, 10, 17, 30, tzinfo=CHINA)) == (
        "2025年12月10日 17:30（北京时间）"
    )


def test_a_reminder_lists_every_missing_reporter_in_chinese() -> None:
    title, body = render(
        "deadline_reminder",
        {
            "window_id": "w",
            "point": "before-3d",
            "offset_days": -3,
            "due_at": DUE,
            "designation_ids": ["E1", "E2"],
            "ack_url": "https://x/ack",
        },
    )
    assert title == "【年报提醒】w：尚有 2 家未报送"
    assert "2025年12月10日 24:00（北京时间）" in body
    assert "- E1" in body and "- E2" in body and "https://x/ack" in body


@pytest.mark.parametrize("kind", ["deadline_reminder", "deadline_overdue"])
def test_a_reporter_is_listed_by_its_name_and_title_where_known(kind: str) -> None:
    """A bureau reads who is missing by name (from awards' designation events), not by a
    designation id; an id notifications has not yet heard a name for is listed as it is."""
    _, body = render(
        kind,
        {
            "window_id": "w",
            "point": "after-1d",
            "offset_days": 1,
            "due_at": DUE,
            "designation_ids": ["d-1", "d-2"],
            "names": {"d-1": "贵阳某电商有限公司（贵州省电子商务示范企业）"},
            "ack_url": "https://x/ack",
        },
    )
    assert "- 贵阳某电商有限公司（贵州省电子商务示范企业）" in body
    assert "- d-2" in body and "- d-1\n" not in body


def test_english_is_the_fallback_and_a_broken_template_is_refused(tmp_path: Path) -> None:
    (tmp_path / "only_en.en.md.j2").write_text("Hello {{ name }}\nbody")
    assert render("only_en", {"name": "x"}, directory=tmp_path) == ("Hello x", "body")
    (tmp_path / "broken.zh-CN.md.j2").write_text("{{ missing_variable }}")
    with pytest.raises(RenderingFailed, match="missing_variable"):
        render("broken", {}, directory=tmp_path)
    with pytest.raises(RenderingFailed, match="no template"):
        render("nothing", {}, directory=tmp_path)


def test_templates_are_checked_when_the_consumer_starts(tmp_path: Path) -> None:
    check_templates(KINDS)  # every kind the consumer writes has a template that compiles
    (tmp_path / "ok.zh-CN.md.j2").write_text("标题\n正文")
    (tmp_path / "bad_syntax.zh-CN.md.j2").write_text("{% if %}\n")
    with pytest.raises(RenderingFailed) as refused:
        check_templates(("ok", "bad_syntax", "absent"), directory=tmp_path)
    assert "bad_syntax.zh-CN.md.j2" in str(refused.value)
    assert "no template for 'absent'" in str(refused.value)
    assert "'ok'" not in str(refused.value)


def test_a_pre_due_reminder_on_a_holiday_moves_to_the_working_day_before() -> None:
    due = dt.datetime(2025, 10, 20, 0, 0, tzinfo=CHINA)
    national_day = dt.datetime(2025, 10, 3, 0, 0, tzinfo=CHINA)  # 国庆 holiday
    assert reminder_time(national_day, due, shift=True) == ReminderTime(
        dt.datetime(2025, 9, 30, 9, 0, tzinfo=CHINA)
    )
    # 2025-09-28 is a Sunday worked in exchange (调休): not moved.
    adjusted_sunday = dt.datetime(2025, 9, 28, 0, 0, tzinfo=CHINA)
    assert reminder_time(adjusted_sunday, due, shift=True) == ReminderTime(adjusted_sunday)
    assert reminder_time(national_day, due, shift=False) == ReminderTime(national_day)


def test_points_at_and_after_the_due_time_never_move() -> None:
    saturday_due = dt.datetime(2025, 12, 13, 0, 0, tzinfo=CHINA)
    assert reminder_time(saturday_due, saturday_due, shift=True) == ReminderTime(saturday_due)
    later = saturday_due + dt.timedelta(days=1)
    assert reminder_time(later, saturday_due, shift=True) == ReminderTime(later)


def test_a_reminder_in_a_year_without_a_calendar_keeps_its_time_and_names_the_year() -> None:
    """Saturday 4 December 2027, before a due time on 11 December: no 2027 calendar, so the
    reminder is not moved (nothing counts working days in 2027) and says why; with 2027
    loaded it moves to Friday 3 December, 09:00."""
    due = dt.datetime(2027, 12, 11, 0, 0, tzinfo=CHINA)
    saturday = dt.datetime(2027, 12, 4, 0, 0, tzinfo=CHINA)
    assert reminder_time(saturday, due, shift=True) == ReminderTime(saturday, calendar_missing=2027)
    loaded = WorkingDayCalendar.with_years(
        [YearCalendar(year=2027, holidays=frozenset({dt.date(2027, 10, 1)}))]
    )
    assert reminder_time(saturday, due, shift=True, calendar=loaded) == ReminderTime(
        dt.datetime(2027, 12, 3, 9, 0, tzinfo=CHINA)
    )
    assert reminder_time(saturday, due, shift=False) == ReminderTime(saturday)


def test_an_acknowledgement_token_is_signed_and_expires() -> None:
    delivery = uuid.uuid4()
    future = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    token = ack_tokens.sign(delivery, secret="s" * 32, expires_at=future)
    assert ack_tokens.verify(token, secret="s" * 32) == delivery
    with pytest.raises(ack_tokens.InvalidAcknowledgement):
        ack_tokens.verify(token, secret="t" * 32)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=5)
    with pytest.raises(ack_tokens.InvalidAcknowledgement):
        ack_tokens.verify(
            ack_tokens.sign(delivery, secret="s" * 32, expires_at=past), secret="s" * 32
        )


@pytest.mark.parametrize(
    ("channel", "address"),
    [
        ("fax", "123"),
        ("email", "not-an-address"),
        ("sms", "12345"),
        ("webhook", "ftp://example.com/x"),
        ("webhook", "http://127.0.0.1:8080/hook"),
        ("webhook", "https://10.1.2.3/hook"),
        ("webhook", "https://[::1]/hook"),
        ("webhook", "https://localhost/hook"),
        ("webhook", "https://169.254.169.254/latest"),
        ("webhook", "http://example.com/hook"),
        ("webhook", "https://user:pw@example.com/hook"),
        ("wecom", "https://example.com/cgi-bin/webhook/send?key=k"),
        ("dingtalk", "https://oapi.dingtalk.com/robot/send"),
    ],
)
def test_bad_addresses_are_refused_when_configured(channel: str, address: str) -> None:
    with pytest.raises(BadAddress):
        check_address(channel, address, allow_private=False)


def test_good_addresses_and_allowed_loopback_pass() -> None:
    check_address("email", "bureau@gz.gov.cn", allow_private=False)
    check_address("sms", "+8613800000000", allow_private=False)
    check_address("webhook", "https://hooks.example.com/x", allow_private=False)
    check_address(
        "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", allow_private=False
    )
    check_address(
        "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t", allow_private=False
    )
    check_address("webhook", "http://127.0.0.1:8080/hook", allow_private=True)


def test_a_warning_and_a_reinstatement_render_in_chinese_and_fall_back_to_english(
    tmp_path: Path,
) -> None:
    warned = {
        "programme": "贵州省推动电子商务发展“十百千万”工程",
        "designation_id": "D-1",
        "title": "贵州省电子商务产业发展示范企业",
        "year": 2025,
        "reason": "年度报告逾期未报",
        "legal_basis": "黔商发〔2023〕1号 三（三）",
        "rectify_by": "2026-06-30",
        "rectify_until": dt.datetime(2026, 7, 1, tzinfo=CHINA),
        "ack_url": "http://x/a",
    }
    reinstated = {**warned, "on": "2026-06-20", "reason": "整改到位"}
    title, body = render("designation_warned", warned)
    assert title == "【限期整改】贵州省电子商务产业发展示范企业"
    assert "2026年6月30日 24:00（北京时间）" in body and "年度报告逾期未报" in body
    assert render("designation_reinstated", reinstated)[0].startswith("【恢复示范资格】")
    for kind, facts in (("designation_warned", warned), ("designation_reinstated", reinstated)):
        name = f"{kind}.en.md.j2"
        (tmp_path / name).write_text((TEMPLATES_DIR / name).read_text(encoding="utf-8"))
        english, text = render(kind, facts, directory=tmp_path)
        assert english.startswith("[") and "D-1" in text
    assert (
        "2026年6月30日 24:00（北京时间）"
        in render("designation_warned", warned, directory=tmp_path)[1]
    )
