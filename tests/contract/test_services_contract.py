"""Submissions, awards and notifications answer as their OpenAPI documents say (schemathesis).

Each service's app runs whole (lifespan, PostgreSQL, Kafka); a service whose document has no
operations yet (its routes are still to come) is skipped rather than passed.
"""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import httpx
import pytest
import schemathesis

from awards.api.app import create_app as create_awards
from awards.config import AwardsSettings
from awards.db import MIGRATIONS_DIR as AWARDS_MIGRATIONS
from notifications.api.app import create_app as create_notifications
from notifications.config import NotificationsSettings
from notifications.db import MIGRATIONS_DIR as NOTIFICATIONS_MIGRATIONS
from submissions.api.app import create_app as create_submissions
from submissions.config import SubmissionsSettings
from submissions.db import MIGRATIONS_DIR as SUBMISSIONS_MIGRATIONS
from tests.contract.checks import (
    MIN_CASES,
    CaseCounter,
    call_and_check,
    examples_per_operation,
    load_schema,
    operations_in,
)
from tests.contract.conftest import ServedApi, report, service_api
from tests.support.stack import Stack

BASE_EXAMPLES = 40  # per operation, or more where a service has few (examples_per_operation)
COUNTERS = {name: CaseCounter() for name in ("notifications", "submissions", "awards")}

SEED_NOTIFICATIONS = """
INSERT INTO notifications (id, recipient_region, recipient_role, kind, title, body,
                           subject_type, subject_id, created_at)
SELECT gen_random_uuid(), '520000', 'province_admin', 'deadline_reminder', '年报提醒 ' || n,
       '请于12月10日前提交年报', 'enterprise', 'E-' || n, now() - n * interval '1 minute'
FROM generate_series(1, 60) AS n
"""


async def _seed_notifications(dsn: str) -> None:
    """Enough of the caller's own notifications for lists to fill a page and issue cursors."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(SEED_NOTIFICATIONS)
    finally:
        await connection.close()


def _schema(api: ServedApi) -> schemathesis.BaseSchema:
    with httpx.Client(timeout=30) as client:
        document = client.get(f"{api.base_url}/openapi.json").json()
    examples = examples_per_operation(operations_in(document), at_least=BASE_EXAMPLES)
    schema = load_schema(api.base_url, max_examples=examples)
    if not schema.raw_schema.get("paths"):
        pytest.skip("no operations in this service's document yet")
    return schema


@pytest.fixture(scope="module")
def notifications(
    stack: Stack, topic_prefix: str, signing_keys: tuple[str, str]
) -> Iterator[ServedApi]:
    with service_api(
        stack,
        "notifications",
        NOTIFICATIONS_MIGRATIONS,
        lambda values: create_notifications(NotificationsSettings(**values)),
        topic_prefix=topic_prefix,
        public_key_pem=signing_keys[1],
        prepare=_seed_notifications,
    ) as api:
        yield api


@pytest.fixture(scope="module")
def submissions(
    stack: Stack, topic_prefix: str, signing_keys: tuple[str, str]
) -> Iterator[ServedApi]:
    with service_api(
        stack,
        "submissions",
        SUBMISSIONS_MIGRATIONS,
        lambda values: create_submissions(SubmissionsSettings(**values)),
        topic_prefix=topic_prefix,
        public_key_pem=signing_keys[1],
    ) as api:
        yield api


@pytest.fixture(scope="module")
def awards(stack: Stack, topic_prefix: str, signing_keys: tuple[str, str]) -> Iterator[ServedApi]:
    with service_api(
        stack,
        "awards",
        AWARDS_MIGRATIONS,
        lambda values: create_awards(AwardsSettings(**values)),
        topic_prefix=topic_prefix,
        public_key_pem=signing_keys[1],
    ) as api:
        yield api


@pytest.fixture(scope="module")
def notifications_schema(notifications: ServedApi) -> schemathesis.BaseSchema:
    return _schema(notifications)


@pytest.fixture(scope="module")
def submissions_schema(submissions: ServedApi) -> schemathesis.BaseSchema:
    return _schema(submissions)


@pytest.fixture(scope="module")
def awards_schema(awards: ServedApi) -> schemathesis.BaseSchema:
    return _schema(awards)


@schemathesis.pytest.from_fixture("notifications_schema").parametrize()
def test_notifications_answers_as_documented(
    case: schemathesis.Case, notifications: ServedApi, bearer: dict[str, str]
) -> None:
    call_and_check(case, notifications.base_url, bearer, COUNTERS["notifications"])


@schemathesis.pytest.from_fixture("submissions_schema").parametrize()
def test_submissions_answers_as_documented(
    case: schemathesis.Case, submissions: ServedApi, bearer: dict[str, str]
) -> None:
    call_and_check(case, submissions.base_url, bearer, COUNTERS["submissions"])


@schemathesis.pytest.from_fixture("awards_schema").parametrize()
def test_awards_answers_as_documented(
    case: schemathesis.Case, awards: ServedApi, bearer: dict[str, str]
) -> None:
    call_and_check(case, awards.base_url, bearer, COUNTERS["awards"])


@pytest.mark.parametrize("name", sorted(COUNTERS))
def test_each_service_ran_enough_cases(name: str) -> None:
    counter = COUNTERS[name]
    if counter.total == 0:
        pytest.skip(f"{name}'s contract run was not selected")
    report(name, counter)
    assert counter.sent >= MIN_CASES, (name, counter)
