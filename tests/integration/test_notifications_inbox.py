"""The notifications inbox reads by the one scope rule: an office is a region and a role."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from notifications.api.app import create_app
from notifications.config import NotificationsSettings
from notifications.db import MIGRATIONS_DIR
from notifications.db.repository import NewNotification, insert_notification
from shared.db.pool import create_pool
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack


async def _seed(dsn: str) -> None:
    pool = await create_pool(dsn, min_size=1, max_size=1)
    try:
        async with pool.acquire() as connection:
            for region, role in (("520000", "province_admin"), ("520100", "city_bureau")):
                await insert_notification(
                    connection,
                    NewNotification(
                        recipient_region=region, recipient_role=role, kind="k", title=role, body=""
                    ),
                )
    finally:
        await pool.close()


@pytest.fixture(scope="module")
def inbox(stack: Stack, signing_keys: tuple[str, str]) -> Iterator[TestClient]:
    dsn = asyncio.run(migrated_database(stack, "notifications", MIGRATIONS_DIR))
    asyncio.run(_seed(dsn))
    settings = NotificationsSettings(
        environment="test",
        database_url=dsn,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        temporal_target=stack.temporal_target,
        jwt_public_key=signing_keys[1],
    )
    try:
        with TestClient(create_app(settings)) as client:
            yield client
    finally:
        asyncio.run(drop_database(stack, dsn))


@pytest.mark.parametrize(
    ("roles", "region", "titles"),
    [
        (["province_admin"], "520000", ["province_admin"]),
        (["city_bureau"], "520100", ["city_bureau"]),
        (["operator"], "520000", []),  # a region in an operator's token is no office
        (["expert"], "520000", []),
        (["integrator"], None, []),
    ],
)
def test_a_caller_reads_the_notifications_addressed_to_its_office(
    inbox: TestClient,
    token_for: Callable[..., str],
    roles: list[str],
    region: str | None,
    titles: list[str],
) -> None:
    token = token_for(roles=roles, region_code=region)
    response = inbox.get("/v1/inbox", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert [item["title"] for item in response.json()["items"]] == titles


def test_read_is_per_user_and_the_unread_filter_follows_it(
    inbox: TestClient, token_for: Callable[..., str]
) -> None:
    def headers(subject: str) -> dict[str, str]:
        token = token_for(roles=["city_bureau"], region_code="520100", subject=subject)
        return {"Authorization": f"Bearer {token}"}

    alice, bob = headers("alice"), headers("bob")
    [item] = inbox.get("/v1/inbox", headers=alice).json()["items"]
    assert item["read_at"] is None
    marked = inbox.post(f"/v1/inbox/{item['id']}/read", headers=alice)
    assert marked.status_code == 200, marked.text
    assert marked.json()["read_at"] is not None
    again = inbox.post(f"/v1/inbox/{item['id']}/read", headers=alice)
    assert again.json()["read_at"] == marked.json()["read_at"]  # the first reading stays

    assert inbox.get("/v1/inbox", headers=alice).json()["items"][0]["read_at"] is not None
    assert inbox.get("/v1/inbox", headers=bob).json()["items"][0]["read_at"] is None
    assert inbox.get("/v1/inbox", params={"unread": True}, headers=alice).json()["items"] == []
    unread = inbox.get("/v1/inbox", params={"unread": True}, headers=bob).json()["items"]
    assert [row["id"] for row in unread] == [item["id"]]

    province = {
        "Authorization": f"Bearer {token_for(roles=['province_admin'], region_code='520000')}"
    }
    assert inbox.post(f"/v1/inbox/{item['id']}/read", headers=province).status_code == 404
