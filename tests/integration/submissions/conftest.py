"""A submissions API on a fresh, migrated database, driven in-process with a settable clock;
designations arrive through the consumer's own handler on real PostgreSQL."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.db.pool import connect
from shared.events.designations import (
    DesignationGranted,
    DesignationReinstated,
    DesignationRevoked,
)
from shared.programmes import CHINA_STANDARD_TIME, load_programmes
from submissions.api.app import create_app
from submissions.config import SubmissionsSettings
from submissions.db import MIGRATIONS_DIR
from submissions.domain.actors import Actor, Role
from submissions.handlers.common import Context
from submissions.handlers.roster import apply_designation_event
from tests.support.databases import drop_database, migrated_database
from tests.support.stack import Stack

PROGRAMME = "guizhou-shibaiqianwan-2023"
WINDOW = "annual-report"


def cst(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=CHINA_STANDARD_TIME)  # type: ignore[misc]


class Clock:
    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture(scope="module")
def submissions_db(stack: Stack) -> Iterator[str]:
    dsn = asyncio.run(migrated_database(stack, "submissions", MIGRATIONS_DIR))
    yield dsn
    asyncio.run(drop_database(stack, dsn))


@pytest.fixture(scope="module")
def submissions_settings(
    submissions_db: str, stack: Stack, topic_prefix: str, signing_keys: tuple[str, str]
) -> Callable[..., SubmissionsSettings]:
    def settings(**overrides: Any) -> SubmissionsSettings:
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": submissions_db,
            "kafka_bootstrap_servers": stack.kafka_bootstrap,
            "kafka_topic_prefix": topic_prefix,
            "temporal_target": stack.temporal_target,
            "jwt_public_key": signing_keys[1],
        }
        return SubmissionsSettings(**(values | overrides))

    return settings


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock(cst(2025, 11, 1, 9))


@pytest.fixture(scope="module")
def api(
    submissions_settings: Callable[..., SubmissionsSettings], clock: Clock
) -> Iterator[TestClient]:
    app = create_app(submissions_settings())
    app.state.clock = clock
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="module")
def context(topic_prefix: str) -> Context:
    return Context(load_programmes("shared/programmes"), topic_prefix)


@pytest.fixture(scope="module")
def auth(token_for: Callable[..., str]) -> Callable[..., dict[str, str]]:
    def headers(
        role: str = "province_admin", region: str | None = "520000", **extra: object
    ) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(roles=[role], region_code=region, **extra)}"}

    return headers


@pytest.fixture(scope="module")
def designate(submissions_db: str, context: Context) -> Callable[..., int]:
    """Deliver a designation event as the consumer would (its handler, in a transaction)."""

    def deliver(
        designation_id: str,
        *,
        region: str,
        category: str = "enterprise",
        entity_id: str | None = None,
        at: dt.datetime,
        revoke: bool = False,
        reinstate: bool = False,
        programme: str = PROGRAMME,
    ) -> int:
        common = {
            "designation_id": designation_id,
            "programme_id": programme,
            "category": category,
            "entity_type": "enterprise",
            "entity_id": entity_id or f"E-{designation_id}",
            "region_code": region,
        }
        day = at.astimezone(CHINA_STANDARD_TIME).date()
        event: DesignationGranted | DesignationRevoked | DesignationReinstated
        if reinstate:
            event = DesignationReinstated(
                **common,
                reinstated_on=day,
                by="province",
                reason="整改到位",
                reinstated_by="u-province",
            )
        elif revoke:
            event = DesignationRevoked(**common, revoked_on=day, reason="运营不达标")
        else:
            event = DesignationGranted(**common, designated_on=day)

        async def run() -> int:
            connection = await connect(submissions_db)
            try:
                async with connection.transaction():
                    return await apply_designation_event(connection, context, event, at=at)
            finally:
                await connection.close()

        return asyncio.run(run())

    return deliver


def window_id(year: int) -> str:
    return f"{PROGRAMME}.{WINDOW}.{year}"


def open_window_with_two_reporters(
    api: TestClient,
    auth: Callable[..., dict[str, str]],
    designate: Callable[..., int],
    clock: Clock,
) -> None:
    """D1 (Guiyang) and D2 (Zunyi) designated in June; the 2025 window opened on 1 November;
    the clock then at 1 December, 10:00 CST (drafts, attachments)."""
    for designation, region in (("D1", "520102"), ("D2", "520302")):
        designate(designation, region=region, at=cst(2025, 6, 1))
    clock.now = cst(2025, 11, 1, 9)
    body = {"programme_id": PROGRAMME, "window": WINDOW, "year": 2025}
    assert api.post("/v1/windows", json=body, headers=auth()).status_code == 201
    clock.now = cst(2025, 12, 1, 10)


def open_window_for(
    api: TestClient,
    auth: Callable[..., dict[str, str]],
    designate: Callable[..., int],
    clock: Clock,
    designations: tuple[str, ...],
) -> None:
    """``designations`` designated in Guiyang in June; the 2025 window opened on 1 November."""
    for designation in designations:
        designate(designation, region="520102", at=cst(2025, 6, 1))
    clock.now = cst(2025, 11, 1, 9)
    body = {"programme_id": PROGRAMME, "window": WINDOW, "year": 2025}
    assert api.post("/v1/windows", json=body, headers=auth()).status_code == 201


# A reporter's figures for a first submission, and the reporter of a roster entry, for the
# tests that call the submission's handler directly.
FIRST_FIGURES = {
    "online_retail_sales": "1000000.00",
    "physical_goods_online_retail_sales": "800000",
    "workers": 40,
}


def reporter_of(entry: Any) -> Actor:
    return Actor(f"user-{entry['entity_id']}", Role.reporter, entity_id=entry["entity_id"])
