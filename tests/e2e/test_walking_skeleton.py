"""Walking skeleton: registry REST → outbox → Kafka → notifications consumer → inbox REST."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from typing import Any

import asyncpg
import httpx

from shared.messaging.kafka import create_producer
from tests.e2e.conftest import RunningServices
from tests.support.kafka import committed_past, read_topic
from tests.support.polling import until, wait_for
from tests.support.stack import Stack

VALID_CODES = ["91310110666007217T", "91310115591693856A", "91350200MA2YJ1XR9G"]


def with_check_character(first17: str) -> str:
    from registry.domain.credit_code import check_character

    return first17 + check_character(first17)


def fresh_credit_code() -> str:
    digits = "".join(secrets.choice("0123456789") for _ in range(9))
    return with_check_character(f"91520102{digits}")


def register(
    services: RunningServices, token: str, *, headers: dict[str, str] | None = None, **fields: Any
) -> httpx.Response:
    body = {
        "credit_code": fresh_credit_code(),
        "name": "贵州黔货出山电子商务有限公司",
        "region_code": "520102",
        "kinds": ["platform"],
        **fields,
    }
    return httpx.post(
        f"{services.url('registry')}/v1/enterprises",
        json=body,
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
    )


def inbox_for(services: RunningServices, token: str, subject_id: str) -> list[dict[str, Any]]:
    response = httpx.get(
        f"{services.url('notifications')}/v1/inbox",
        params={"subject_id": subject_id},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def wait_for_inbox(
    services: RunningServices, token: str, subject_id: str, timeout: float = 30
) -> list[dict[str, Any]]:
    return wait_for(
        lambda: inbox_for(services, token, subject_id),
        bool,
        seconds=timeout,
        interval=0.3,
        message=f"no notification for {subject_id} within {timeout}s",
    )


def test_a_registered_enterprise_reaches_the_provinces_inbox_with_its_trace(
    services: RunningServices, token_for: Callable[..., str]
) -> None:
    city = token_for(roles=["city_bureau"], region_code="520100", subject="guiyang-bureau")
    province = token_for(roles=["province_admin"], region_code="520000")
    trace_id = secrets.token_hex(16)
    response = register(
        services, city, headers={"traceparent": f"00-{trace_id}-{secrets.token_hex(8)}-01"}
    )
    assert response.status_code == 201, response.text
    enterprise = response.json()
    assert response.headers["Location"] == f"/v1/enterprises/{enterprise['id']}"

    items = wait_for_inbox(services, province, enterprise["id"])
    assert len(items) == 1
    assert items[0]["kind"] == "enterprise_registered"
    assert items[0]["recipient_region"] == "520000"
    assert enterprise["name"] in items[0]["title"]
    # The consumer's span, where the notification was written, is in the request's trace.
    assert items[0]["trace_id"] == trace_id


def test_the_same_event_delivered_twice_makes_one_notification(
    services: RunningServices, token_for: Callable[..., str], stack: Stack, topic_prefix: str
) -> None:
    province = token_for(roles=["province_admin"], region_code="520000")
    response = register(services, province)
    assert response.status_code == 201, response.text
    enterprise_id = response.json()["id"]
    wait_for_inbox(services, province, enterprise_id)

    async def redeliver_and_wait() -> None:
        records = await read_topic(
            stack.kafka_bootstrap,
            f"{topic_prefix}registry.enterprise",
            expected=10_000,
            timeout_seconds=3,
        )
        original = next(r for r in records if r.key == enterprise_id.encode())
        producer = create_producer(stack.kafka_bootstrap)
        await producer.start()
        try:
            for _ in range(2):
                sent = await producer.send_and_wait(
                    original.topic,
                    value=original.value,
                    key=original.key,
                    headers=list(original.headers),
                )
        finally:
            await producer.stop()

        async def both_handled() -> bool:  # notifications' group has read past the last copy
            group = f"{topic_prefix}notifications"
            return await committed_past(
                stack.kafka_bootstrap, group, sent.topic, sent.partition, sent.offset
            )

        await until(both_handled, seconds=30, interval=0.2, message="redeliveries not consumed")

    asyncio.run(redeliver_and_wait())
    assert len(inbox_for(services, province, enterprise_id)) == 1


def test_killing_the_relay_between_commit_and_publish_loses_nothing(
    services: RunningServices, token_for: Callable[..., str]
) -> None:
    province = token_for(roles=["province_admin"], region_code="520000")
    registry = services.processes["registry"]
    registry.kill("relay")
    response = register(services, province)
    assert response.status_code == 201, response.text
    enterprise_id = response.json()["id"]

    async def unpublished() -> int:
        connection = await asyncpg.connect(services.database_urls["registry"])
        try:
            return int(
                await connection.fetchval(
                    "SELECT count(*) FROM outbox WHERE published_at IS NULL AND message_key = $1",
                    enterprise_id,
                )
            )
        finally:
            await connection.close()

    # Committed, not published: the event waits in the outbox while no relay runs, so nothing
    # can have reached the inbox.
    assert asyncio.run(unpublished()) == 1
    assert inbox_for(services, province, enterprise_id) == []

    registry.start("relay")
    assert len(wait_for_inbox(services, province, enterprise_id)) == 1
    assert asyncio.run(unpublished()) == 0


def test_idempotency_key_returns_the_first_response(
    services: RunningServices, token_for: Callable[..., str]
) -> None:
    province = token_for(roles=["province_admin"], region_code="520000")
    code = fresh_credit_code()
    key = {"Idempotency-Key": secrets.token_hex(8)}
    first = register(services, province, credit_code=code, headers=dict(key))
    second = register(services, province, credit_code=code, headers=dict(key))
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    # Without the key the duplicate credit code is refused, naming the first record.
    third = register(services, province, credit_code=code)
    assert third.status_code == 409
    assert third.headers["content-type"].startswith("application/problem+json")
    assert third.json()["existing_id"] == first.json()["id"]
