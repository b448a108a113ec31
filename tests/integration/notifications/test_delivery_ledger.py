"""The delivery ledger on the real PostgreSQL: one message per office per clock point on each
channel, exactly once per (event, recipient, channel) however often the event comes; the
ledger read by office; the province re-sends a failed delivery (audited); an acknowledgement
link stops the reminder of the same list."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from notifications.domain.rendering import TEMPLATES_DIR
from shared.events import EnterpriseRegistered, wrap
from shared.events.designations import DesignationGranted, DesignationRevoked
from shared.events.submissions import MissingReporters, ReportReturned
from shared.messaging.consumer import PoisonMessage
from tests.integration.notifications.support import (
    CONTEXT,
    WINDOW,
    auth,
    deadline_event,
    fetch,
    handle,
)
from tests.support.languages import wholly_chinese, wholly_english

GUIYANG = MissingReporters(region_code="520100", level="city", designation_ids=["P1", "P2"])
NANMING = MissingReporters(region_code="520102", level="county", designation_ids=["E1", "E2"])


def _add_contact(client: TestClient, headers: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/v1/recipients", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _guiyang_email(address: str) -> dict[str, str]:
    """A Guiyang city bureau e-mail contact, as posted to the directory."""
    return {
        "region_code": "520100",
        "role": "city_bureau",
        "name": "x",
        "channel": "email",
        "address": address,
    }


def test_one_message_per_office_per_channel_exactly_once(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    province = auth(token_for, ["province_admin"], "520000")
    _add_contact(
        client,
        province,
        region_code="520100",
        role="city_bureau",
        name="贵阳市商务局",
        channel="webhook",
        address="http://127.0.0.1:9/hook",
    )
    _add_contact(
        client,
        province,
        region_code="520100",
        role="city_bureau",
        name="贵阳市商务局",
        channel="email",
        address="gy@example.gov.cn",
    )
    envelope = deadline_event(-3, [GUIYANG, NANMING])
    asyncio.run(handle(dsn, envelope))
    asyncio.run(handle(dsn, envelope))  # redelivered: nothing more
    rows = fetch(
        dsn,
        "SELECT region_code, role, channel, status, payload FROM deliveries WHERE event_id = $1"
        " ORDER BY region_code, channel",
        envelope.id,
    )
    assert [(r["region_code"], r["role"], r["channel"], r["status"]) for r in rows] == [
        ("520100", "city_bureau", "email", "queued"),
        ("520100", "city_bureau", "inbox", "delivered"),
        ("520100", "city_bureau", "webhook", "queued"),
        ("520102", "county_bureau", "inbox", "delivered"),
    ]
    assert rows[0]["payload"]["designation_ids"] == ["P1", "P2"]
    assert rows[3]["payload"]["designation_ids"] == ["E1", "E2"]
    inbox = client.get("/v1/inbox", headers=auth(token_for, ["city_bureau"], "520100")).json()
    titles = [item["title"] for item in inbox["items"]]
    assert (
        titles.count("【年报提醒】guizhou-shibaiqianwan-2023.annual-report.2025：尚有 2 家未报送")
        == 1
    )


def test_after_the_due_time_the_city_then_the_province_get_the_overdue_list(
    service: tuple[TestClient, str],
) -> None:
    _, dsn = service
    at_due, next_day = deadline_event(0, [GUIYANG, NANMING]), deadline_event(1, [NANMING])
    asyncio.run(handle(dsn, at_due))
    asyncio.run(handle(dsn, next_day))
    sql = (
        "SELECT region_code, role, payload FROM deliveries WHERE event_id = $1 AND channel = 'inbox'"
        " ORDER BY region_code"
    )
    assert [
        (r["region_code"], r["payload"]["designation_ids"]) for r in fetch(dsn, sql, at_due.id)
    ] == [("520100", ["E1", "E2", "P1", "P2"])]
    assert [(r["region_code"], r["role"]) for r in fetch(dsn, sql, next_day.id)] == [
        ("520000", "province_admin"),
        ("520100", "city_bureau"),
    ]


def test_deliveries_are_read_by_office_and_resent_only_by_the_province(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    envelope = deadline_event(-7, [GUIYANG, NANMING])
    asyncio.run(handle(dsn, envelope))
    failed = fetch(
        dsn,
        "UPDATE deliveries SET status = 'failed', reason = 'HTTP 500 from receiver'"
        " WHERE event_id = $1 AND region_code = '520102' RETURNING id",
        envelope.id,
    )[0]["id"]
    county = auth(token_for, ["county_bureau"], "520102")
    city = auth(token_for, ["city_bureau"], "520100")
    province = auth(token_for, ["province_admin"], "520000")
    seen = client.get("/v1/deliveries", params={"event_id": envelope.id}, headers=county).json()
    assert [(d["region_code"], d["status"], d["reason"]) for d in seen["items"]] == [
        ("520102", "failed", "HTTP 500 from receiver")
    ]
    assert "ack_url" not in seen["items"][0]["payload"]
    seen = client.get("/v1/deliveries", params={"event_id": envelope.id}, headers=city).json()
    assert {d["region_code"] for d in seen["items"]} == {"520100"}
    seen = client.get("/v1/deliveries", params={"event_id": envelope.id}, headers=province).json()
    assert {d["region_code"] for d in seen["items"]} == {"520100", "520102"}
    assert (
        client.get("/v1/deliveries", headers=auth(token_for, ["operator"], "520102")).status_code
        == 403
    )

    assert client.post(f"/v1/deliveries/{failed}/resend", headers=county).status_code == 403
    resent = client.post(f"/v1/deliveries/{failed}/resend", headers=province)
    assert resent.status_code == 200, resent.text
    assert resent.json()["status"] == "queued"
    assert client.post(f"/v1/deliveries/{failed}/resend", headers=province).status_code == 409
    audit = fetch(
        dsn,
        "SELECT actor_subject FROM audit_log WHERE action = 'delivery.resent' AND resource_id = $1",
        str(failed),
    )
    assert len(audit) == 1


def test_an_acknowledged_list_is_not_sent_again_but_a_new_missing_reporter_is(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    bureau = MissingReporters(region_code="520103", level="county", designation_ids=["X1", "X2"])
    first = deadline_event(-14, [bureau])
    asyncio.run(handle(dsn, first))
    link = fetch(
        dsn, "SELECT payload->>'ack_url' AS url FROM deliveries WHERE event_id = $1", first.id
    )[0]["url"]
    path = link.removeprefix("http://testserver")
    assert client.post(path + "x").status_code == 401  # a forged token
    acknowledged = client.post(path)
    assert acknowledged.status_code == 200, acknowledged.text
    assert client.post(path).json()["acknowledged"] == 0  # repeating it is harmless
    inbox = client.get("/v1/inbox", headers=auth(token_for, ["county_bureau"], "520103")).json()
    assert inbox["items"][0]["acknowledged_at"] is not None

    fewer = deadline_event(-7, [bureau.model_copy(update={"designation_ids": ["X2"]})])
    asyncio.run(handle(dsn, fewer))
    assert fetch(dsn, "SELECT 1 FROM deliveries WHERE event_id = $1", fewer.id) == []
    more = deadline_event(-3, [bureau.model_copy(update={"designation_ids": ["X2", "X3"]})])
    asyncio.run(handle(dsn, more))
    assert len(fetch(dsn, "SELECT 1 FROM deliveries WHERE event_id = $1", more.id)) == 1


def test_an_event_of_an_unknown_programme_is_poison(service: tuple[TestClient, str]) -> None:
    _, dsn = service
    with pytest.raises(PoisonMessage, match="no known programme"):
        asyncio.run(handle(dsn, deadline_event(-1, [GUIYANG], window="nowhere.x.2025")))


def test_an_event_whose_message_cannot_be_rendered_is_poison_and_writes_nothing(
    service: tuple[TestClient, str], tmp_path: Path
) -> None:
    _, dsn = service
    for template in TEMPLATES_DIR.glob("*.md.j2"):
        shutil.copy(template, tmp_path / template.name)
    (tmp_path / "deadline_reminder.zh-CN.md.j2").write_text("{{ no_such_fact }}\n正文")
    context = dataclasses.replace(CONTEXT, templates=tmp_path)
    event = deadline_event(-2, [NANMING])
    with pytest.raises(PoisonMessage, match=r"deadline_reminder\.zh-CN: 'no_such_fact'"):
        asyncio.run(handle(dsn, event, context))
    assert fetch(dsn, "SELECT id FROM deliveries WHERE event_id = $1", event.id) == []


def test_the_directory_is_audited_checked_and_masks_operator_contacts(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    province = auth(token_for, ["province_admin"], "520000")
    bad = client.post(
        "/v1/recipients",
        json=_guiyang_email("not-mail"),
        headers=province,
    )
    assert bad.status_code == 422 and "电子邮件地址" in bad.json()["detail"]
    assert wholly_chinese(bad.json()["detail"])
    english = client.post(
        "/v1/recipients",
        json=_guiyang_email("not-mail"),
        headers={**province, "Accept-Language": "en"},
    )
    assert "not an e-mail address" in english.json()["detail"]
    assert wholly_english(english.json()["detail"])
    other_city = auth(token_for, ["city_bureau"], "520300")
    refused = client.post(
        "/v1/recipients",
        json=_guiyang_email("a@example.gov.cn"),
        headers=other_city,
    )
    assert refused.status_code == 403
    operator = auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-1"])
    contact = _add_contact(
        client,
        operator,
        region_code="520102",
        role="operator",
        enterprise_id="ENT-1",
        name="黔货电商",
        channel="sms",
        address="13812345678",
    )
    assert contact["address"] == "13812345678"
    listed = client.get("/v1/recipients", params={"role": "operator"}, headers=province).json()
    assert [r["address"] for r in listed["items"]] == ["138****5678"]
    own = client.get("/v1/recipients", params={"role": "operator"}, headers=operator).json()
    assert [r["address"] for r in own["items"]] == ["13812345678"]
    audit = fetch(dsn, "SELECT after FROM audit_log WHERE action = 'recipient.added'")
    assert audit and all("13812345678" not in str(row["after"]) for row in audit)


def test_the_operator_hears_its_report_was_returned_and_reads_it_alone(
    service: tuple[TestClient, str], token_for: Callable[..., str]
) -> None:
    client, dsn = service
    registered = wrap(
        EnterpriseRegistered(
            enterprise_id="ENT-9",
            credit_code="91520102MA6DX0000X",
            name="黔货电商",
            region_code="520102",
        ),
        source="/services/registry",
    )
    asyncio.run(handle(dsn, registered))
    operator = auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-9"])
    _add_contact(
        client,
        operator,
        region_code="520102",
        role="operator",
        enterprise_id="ENT-9",
        name="黔货电商",
        channel="email",
        address="ops@qianhuo.cn",
    )
    returned = wrap(
        ReportReturned(
            report_id="R-1",
            window_id=WINDOW,
            designation_id="D-9",
            entity_id="ENT-9",
            city_code="520100",
            version=2,
            returned_by="city",
            by="city_bureau",
            to="reporter",
            reason="网络零售额与去年相差过大",
            field_comments={"online_retail_sales": "请核实"},
        ),
        source="/services/submissions",
    )
    asyncio.run(handle(dsn, returned))
    channels = fetch(
        dsn, "SELECT channel FROM deliveries WHERE event_id = $1 ORDER BY channel", returned.id
    )
    assert [row["channel"] for row in channels] == ["email", "inbox"]
    mine = client.get("/v1/inbox", headers=operator).json()["items"]
    assert [item["title"] for item in mine] == [f"【年报退回】{WINDOW}：请修改后重新报送"]
    assert "请核实" in mine[0]["body"]
    other = auth(token_for, ["operator"], "520102", enterprise_ids=["ENT-8"])
    assert client.get("/v1/inbox", headers=other).json()["items"] == []
    acknowledged = client.post(f"/v1/inbox/{mine[0]['id']}/acknowledge", headers=operator)
    assert acknowledged.status_code == 200 and acknowledged.json()["acknowledged_at"]
    assert client.post(f"/v1/inbox/{mine[0]['id']}/acknowledge", headers=other).status_code == 404
    directory = fetch(
        dsn, "SELECT channel, source FROM recipients WHERE enterprise_id = 'ENT-9' ORDER BY channel"
    )
    assert [(r["channel"], r["source"]) for r in directory] == [
        ("email", "api"),
        ("inbox", "registry"),
    ]


def test_a_reminder_names_the_missing_reporters_it_has_heard_of(
    service: tuple[TestClient, str],
) -> None:
    """Yunyan's county bureau reads 贵阳某电商有限公司 (and its title) where awards' grant named it,
    and the bare designation id only for one it never heard a grant of; a later revocation
    (which carries no name) keeps the name."""
    _, dsn = service
    designation = {
        "designation_id": "Y1",
        "programme_id": WINDOW.split(".annual-report.")[0],
        "category": "enterprise",
        "entity_type": "enterprise",
        "entity_id": "ent-e1",
        "region_code": "520103",
    }
    granted = DesignationGranted(
        **designation,
        entity_name="贵阳某电商有限公司",
        title="贵州省电子商务示范企业",
        designated_on=dt.date(2025, 3, 1),
    )
    revoked = DesignationRevoked(**designation, revoked_on=dt.date(2025, 6, 1), reason="x")
    asyncio.run(handle(dsn, wrap(granted, source="/services/awards")))
    asyncio.run(handle(dsn, wrap(revoked, source="/services/awards")))
    yunyan = MissingReporters(region_code="520103", level="county", designation_ids=["Y1", "Y2"])
    reminder = deadline_event(-3, [yunyan])
    asyncio.run(handle(dsn, reminder))
    [row] = fetch(
        dsn,
        "SELECT body FROM notifications WHERE source_event_id = $1 AND recipient_region = '520103'",
        reminder.id,
    )
    assert "- 贵阳某电商有限公司（贵州省电子商务示范企业）" in row["body"]
    assert "- Y2" in row["body"] and "- Y1" not in row["body"]
