"""Awards application notices routed by the programme file, on the real PostgreSQL: a submitted
application waits for its city bureau, each hand-over is a to-do for the next office, the
operator hears that its application was returned, rejected or put to public notice, and an
overdue city review reaches the city bureau and the province, each once."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from fastapi.testclient import TestClient

from shared.china_time import CHINA
from shared.events import EnterpriseRegistered, EventEnvelope, wrap
from shared.events.awards import ApplicationStageChanged, ApplicationSubmitted, ReviewOverdue
from tests.integration.notifications.support import (
    WINDOW,
    auth,
    count_deliveries,
    handle,
    handle_twice,
    inbox_items,
    inbox_titles,
)

PROGRAMME = WINDOW.split(".", 1)[0]
DUE = dt.datetime(2025, 6, 1, 0, 0, tzinfo=CHINA)


def _submitted(application_id: str, entity_id: str) -> EventEnvelope:
    return wrap(
        ApplicationSubmitted(
            application_id=application_id,
            programme_id=PROGRAMME,
            year=2025,
            category="enterprise",
            entity_type="enterprise",
            entity_id=entity_id,
            region_code="520102",
            submitted_by="u-op",
        ),
        source="/services/awards",
    )


def _step(
    application_id: str, step: str, stage: str, waiting_on: str | None, reason: str | None = None
) -> EventEnvelope:
    return wrap(
        ApplicationStageChanged(
            application_id=application_id,
            programme_id=PROGRAMME,
            region_code="520102",
            step=step,
            stage=stage,
            waiting_on=waiting_on,
            actor="u-x",
            reason=reason,
        ),
        source="/services/awards",
    )


def _register(dsn: str, enterprise_id: str) -> None:
    asyncio.run(
        handle(
            dsn,
            wrap(
                EnterpriseRegistered(
                    enterprise_id=enterprise_id,
                    credit_code="91520102MA6DX0009X",
                    name="黔货出山",
                    region_code="520102",
                ),
                source="/services/registry",
            ),
        )
    )


def test_an_application_goes_from_office_to_office_and_its_operator_hears_the_outcome(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    _register(dsn, "ENT-A1")
    city = auth(token_for, ["city_bureau"], "520100")
    province = auth(token_for, ["province_admin"], "520000")
    operator = auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-A1"])
    other_city = auth(token_for, ["city_bureau"], "520300")
    label = "贵州省电子商务产业发展示范企业申报 A-1"

    submitted = _submitted("A-1", "ENT-A1")
    handle_twice(dsn, submitted)
    assert inbox_titles(client, city, "A-1") == [f"【待审核】{label}"]
    assert count_deliveries(dsn, submitted.id) == 1
    assert inbox_titles(client, other_city, "A-1") == []

    returned = _step("A-1", "city_return", "returned", "operator", reason="营业执照不清晰")
    handle_twice(dsn, returned)
    items = inbox_items(client, operator, "A-1")
    assert [item["title"] for item in items] == [f"【申报退回修改】{label}"]
    assert "营业执照不清晰" in items[0]["body"]
    assert count_deliveries(dsn, returned.id) == 1

    resubmitted = _step("A-1", "resubmit", "city_review", "city_bureau")
    asyncio.run(handle(dsn, resubmitted))
    assert inbox_titles(client, city, "A-1")[0] == f"【待办·市级审核推荐】{label}"

    recommended = _step("A-1", "city_recommend", "document_review", "province_admin")
    asyncio.run(handle(dsn, recommended))
    assert inbox_titles(client, province, "A-1") == [f"【待办·资料审核】{label}"]

    # the province records its review and visits: its own work goes on, nobody is told
    for step, stage in (("record_document_review", "site_visit"), ("score", "expert_evaluation")):
        event = _step("A-1", step, stage, "province_admin")
        asyncio.run(handle(dsn, event))
        assert count_deliveries(dsn, event.id) == 0

    scored = _step("A-1", "evaluation_result", "decision", "province_admin")
    asyncio.run(handle(dsn, scored))
    assert inbox_titles(client, province, "A-1")[0] == f"【待办·认定决定】{label}"

    approved = _step("A-1", "decide", "public_notice", None)
    asyncio.run(handle(dsn, approved))
    assert inbox_titles(client, operator, "A-1")[0] == f"【拟认定公示】{label}"

    upheld = _step("A-1", "resolve_objection", "rejected", None, reason="异议成立：数据不实")
    asyncio.run(handle(dsn, upheld))
    items = inbox_items(client, operator, "A-1")
    assert items[0]["title"] == f"【申报未通过】{label}"
    assert "异议成立：数据不实" in items[0]["body"]
    other = auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-A2"])
    assert inbox_titles(client, other, "A-1") == []


def test_an_application_submitted_before_the_service_listened_reaches_offices_not_operator(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    returned = _step("A-unknown", "city_return", "returned", "operator", reason="补充材料")
    asyncio.run(handle(dsn, returned))  # its applicant is unknown here: logged, not sent
    assert count_deliveries(dsn, returned.id) == 0
    recommended = _step("A-unknown", "city_recommend", "document_review", "province_admin")
    asyncio.run(handle(dsn, recommended))
    province = auth(token_for, ["province_admin"], "520000")
    assert inbox_titles(client, province, "A-unknown") == ["【待办·资料审核】申报 A-unknown"]


def test_an_overdue_city_review_reaches_the_city_bureau_and_the_province_once(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    asyncio.run(handle(dsn, _submitted("A-9", "ENT-A9")))
    overdue = wrap(
        ReviewOverdue(
            application_id="A-9",
            programme_id=PROGRAMME,
            region_code="520102",
            city_code="520100",
            due_at=DUE,
        ),
        source="/services/awards",
    )
    handle_twice(dsn, overdue)
    label = "贵州省电子商务产业发展示范企业申报 A-9"
    for reader in (
        auth(token_for, ["city_bureau"], "520100"),
        auth(token_for, ["province_admin"], "520000"),
    ):
        items = [
            i for i in inbox_items(client, reader, "A-9") if i["kind"] == "application_overdue"
        ]
        assert [item["title"] for item in items] == [f"【市级审核逾期】{label}"]
        assert "2025年5月31日 24:00（北京时间）" in items[0]["body"]
        assert "ENT-A9" in items[0]["body"]
    assert (
        count_deliveries(dsn, overdue.id) == 2
    )  # one inbox message each for the city and the province
