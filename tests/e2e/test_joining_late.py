"""Joining late: a consumer that starts after the events were published catches up from the
topics. Notifications' consumer is started last, once an enterprise has been registered, has
applied, and has been designated (its events all on Kafka, nobody in notifications having
read them): the operator still hears of its designation, on its inbox and its e-mail, and the
offices of the notices addressed to them before.

A consumer group that has no committed offset starts at the earliest offset the topic still
holds (``shared/messaging/kafka.create_consumer``), so what a late consumer misses is only
what the topic's retention has already deleted: nothing, on the topics whose records other
services copy (kept for good in the declared topics, docs/operations.md "Topics and retention").
"""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.e2e.year_support import (
    DESIGNATED_ON,
    START,
    Api,
    Events,
    Operator,
    Project,
    Round,
    at,
    credit_code,
    of_type,
    until_value,
    write_year_programme,
)
from tests.support.receivers import text_of
from tests.support.stack import Stack
from tests.support.year_stack import YearStack, year_stack

# Everything but notifications' consumer (and what this story does not need).
ROLES = {
    "registry": ["api", "relay"],
    "awards": ["api", "relay", "consumer", "worker"],
    "notifications": ["api", "sender"],
}
GUIYANG, NANMING = "520100", "520102"
EXPERTS = {"expert-zy-1": "520300", "expert-zy-2": "520300", "expert-tr-1": "520600"}


async def mail_to(run: YearStack, address: str) -> list[EmailMessage]:
    return run.mailbox.to(address)


@pytest.mark.timeout(1500)
async def test_notifications_started_last_still_addresses_the_operator(
    stack: Stack, tmp_path: Path
) -> None:
    async with year_stack(
        kafka_bootstrap=stack.kafka_bootstrap,
        programmes_dir=write_year_programme(tmp_path / "programmes"),
        start=START,
        roles=ROLES,
    ) as run:
        api, events = Api(run), Events(run)
        operator = Operator(GUIYANG, NANMING, "贵阳迟到电子商务有限公司")
        operator.credit_code = credit_code(NANMING)
        created = await api.post(
            "registry", "/v1/enterprises", api.city(GUIYANG),
            {"credit_code": operator.credit_code, "name": operator.name, "region_code": NANMING},
        )  # fmt: skip
        operator.enterprise_id = created["id"]
        # the operator's e-mail is in the directory already (an API call, not an event)
        await api.post(
            "notifications", "/v1/recipients", operator.token(api),
            {"region_code": NANMING, "role": "operator", "enterprise_id": operator.enterprise_id,
             "name": operator.name, "channel": "email", "address": operator.email},
        )  # fmt: skip
        the_round = Round(api, EXPERTS)
        await the_round.appoint_experts()
        await the_round.read_programme()
        project = Project(
            "enterprise", "enterprise", "enterprise", operator.enterprise_id, operator, "never", {}
        )
        await the_round.apply(project)
        await the_round.review(project, 1, conflict=False, objection=False)
        await run.advance_to(at(DESIGNATED_ON))
        granted = await events.wait(
            "awards.designation",
            lambda es: bool(of_type(es, "awards.designation.granted.v1")),
            what="the designation granted",
        )
        designation_id = of_type(granted, "awards.designation.granted.v1")[0]["data"][
            "designation_id"
        ]
        run.note("designated; notifications has not listened yet")
        assert await api.inbox(operator.token(api)) == []
        assert run.mailbox.to(operator.email) == []

        run.start("notifications", "consumer")
        inbox = await until_value(
            lambda: api.inbox(operator.token(api)),
            lambda items: any(i["kind"] == "designation_granted" for i in items),
            what="the operator told of a designation granted before the consumer listened",
            seconds=300,  # a process started on a busy machine
        )
        notice = next(i for i in inbox if i["kind"] == "designation_granted")
        assert notice["subject_id"] == designation_id
        assert notice["recipient_enterprise"] == operator.enterprise_id
        messages = await until_value(
            lambda: mail_to(run, operator.email),
            lambda found: bool(found),
            what="the operator's e-mail",
        )
        assert any("示范" in text_of(m) for m in messages)
        # and the offices hear what was addressed to them meanwhile
        city_inbox = await api.inbox(api.city(GUIYANG))
        assert any(
            i["kind"] == "application_submitted" and i["subject_id"] == project.application_id
            for i in city_inbox
        ), city_inbox
        province_inbox = await api.inbox(api.province())
        assert any(
            i["kind"] == "enterprise_registered" and i["subject_id"] == operator.enterprise_id
            for i in province_inbox
        ), province_inbox
        run.note("the late consumer caught up")
