"""Awards on the dev server (127.0.0.1:7233) and Kafka: registry facts arrive as registry
events, a REST submission starts a workflow findable by its search attributes, and a granted
designation reaches the registry's demonstration status through the outbox, Kafka and the
registry's consumer."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client

from awards.api.app import create_app
from awards.config import AwardsSettings
from awards.consumers import handlers as awards_consumer
from awards.workflows.worker import build_worker
from awards.workflows.workflows import ApplicationWorkflow
from registry.consumers import designations as registry_consumer
from registry.db import MIGRATIONS_DIR as REGISTRY_MIGRATIONS
from shared.db.pool import create_pool
from shared.events import default_catalog, wrap
from shared.events.registry import ParkRegistered
from shared.messaging.consumer import ConsumerSettings, Handler, IdempotentConsumer
from shared.messaging.kafka import create_consumer, create_producer
from shared.messaging.relay import OutboxRelay
from shared.programmes import Programme, load_programmes
from shared.temporal import connect_temporal
from tests.integration.awards.conftest import (
    PROGRAMMES,
    application_start,
    consumer_table,
    drive_to_notice,
    no_temporal,
)
from tests.integration.awards.test_api_round import headers, programmes_open_now
from tests.integration.awards.test_application_workflow import submit
from tests.support.databases import drop_database, migrated_database
from tests.support.polling import until
from tests.support.stack import Stack
from tests.support.time_skipping import PINNED_START, clock_from, pinned_environment


async def consume_until(
    stack: Stack,
    pool: asyncpg.Pool,
    *,
    name: str,
    prefix: str,
    topics: tuple[str, ...],
    handlers: Mapping[str, Handler],
    done: Callable[[], Awaitable[bool]],
) -> None:
    """The service's real idempotent consumer, run until ``done``."""
    kafka = create_consumer(
        *(f"{prefix}{t}" for t in topics),
        bootstrap_servers=stack.kafka_bootstrap,
        group_id=f"{prefix}{name}",
    )
    producer = create_producer(stack.kafka_bootstrap, client_id=f"{prefix}{name}-dlq")
    await producer.start()
    await kafka.start()
    consumer = IdempotentConsumer(
        settings=ConsumerSettings(name=name, topic_prefix=prefix),
        pool=pool,
        consumer=kafka,
        dead_letter_producer=producer,
        catalog=default_catalog(),
        handlers=handlers,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        await until(done, seconds=60)
    finally:
        stop.set()
        await asyncio.wait_for(task, 15)
        await kafka.stop()
        await producer.stop()


async def ensure_year_attribute(client: Client) -> None:
    """The dev server of an older ``make up`` lacks ProgrammeYear (stack.sh now registers it)."""
    known = await client.operator_service.list_search_attributes(
        ListSearchAttributesRequest(namespace=client.namespace)
    )
    if "ProgrammeYear" not in known.custom_attributes:
        await client.operator_service.add_search_attributes(
            AddSearchAttributesRequest(
                namespace=client.namespace,
                search_attributes={"ProgrammeYear": IndexedValueType.INDEXED_VALUE_TYPE_INT},
            )
        )


@pytest.fixture
async def registry_pool(stack: Stack) -> AsyncIterator[asyncpg.Pool]:
    dsn = await migrated_database(stack, "registry", REGISTRY_MIGRATIONS)
    pool = await create_pool(dsn, min_size=1, max_size=4)
    yield pool
    await pool.close()
    await drop_database(stack, dsn)


async def test_a_submission_on_the_dev_server_is_found_by_its_search_attributes(
    tmp_path: Path,
    stack: Stack,
    awards_db: str,
    awards_pool: asyncpg.Pool,
    topic_prefix: str,
    signing_keys: tuple[str, str],
    token_for: Callable[..., str],
) -> None:
    park_id = str(uuid.uuid4())
    prefix = f"{topic_prefix}dev{uuid.uuid4().hex[:6]}."
    # the registry's event arrives on Kafka; awards keeps the fact in its own table
    producer = create_producer(stack.kafka_bootstrap, client_id=f"{prefix}registry")
    await producer.start()
    try:
        event = ParkRegistered(
            park_id=park_id,
            kind="live_base",
            name="遵义市电商直播基地",
            region_code="520302",
            operator_enterprise_id="ent-1",
        )
        envelope = wrap(event, source="/services/registry")
        await producer.send_and_wait(
            f"{prefix}registry.park",
            envelope.model_dump_json().encode(),
            key=park_id.encode(),
        )
    finally:
        await producer.stop()

    async def park_known() -> bool:
        async with awards_pool.acquire() as connection:
            return bool(
                await connection.fetchval(
                    "SELECT 1 FROM registry_entities WHERE entity_id = $1", park_id
                )
            )

    await consume_until(
        stack, awards_pool, name="awards", prefix=prefix,
        topics=awards_consumer.TOPICS, handlers=consumer_table(no_temporal),
        done=park_known,
    )  # fmt: skip

    client = await connect_temporal(stack.temporal_target)
    await ensure_year_attribute(client)
    task_queue = f"awards-dev-{uuid.uuid4().hex[:8]}"
    settings = AwardsSettings(
        environment="test",
        database_url=awards_db,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        temporal_target=stack.temporal_target,
        jwt_public_key=signing_keys[1],
        programmes_dir=programmes_open_now(tmp_path),
        task_queue=task_queue,
    )
    app = create_app(settings)
    # The 2026 round is open on this day whatever today is (the dev server keeps the real clock)
    app.state.clock = clock_from(PINNED_START)
    workflow_id = None
    try:
        async with (
            app.router.lifespan_context(app),
            build_worker(
                client,
                awards_pool,
                topic_prefix=prefix,
                task_queue=task_queue,
                programmes=load_programmes(PROGRAMMES),
            ),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as api,
        ):
            operator = dict(roles=["operator"], subject="op", enterprise_ids=["ent-1"])
            created = await api.post(
                "/v1/applications",
                json={
                    "programme_id": "guizhou-shibaiqianwan-2023",
                    "year": 2026,
                    "category": "base",
                    "entity_type": "park",
                    "entity_id": park_id,
                    "materials": {"application_form": {"name": "x"}, "written_application": "y"},
                },
                headers=headers(token_for, **operator),
            )
            assert created.status_code == 201, created.text
            workflow_id = created.json()["workflow_id"]
            query = (
                "ProgrammeId = 'guizhou-shibaiqianwan-2023' AND ProgrammeYear = 2026 "
                "AND DemonstrationCategory = 'base' AND RegionCode = '520302' "
                f"AND WorkflowId = '{workflow_id}'"
            )

            async def found(stage: str) -> bool:
                matches = [
                    w
                    async for w in client.list_workflows(
                        f"{query} AND ApplicationStatus = '{stage}'"
                    )
                ]
                return len(matches) == 1

            await until(lambda: found("city_review"))
            city = dict(roles=["city_bureau"], region_code="520300", subject="zunyi")
            application_id = created.json()["id"]
            stepped = await api.post(
                f"/v1/applications/{application_id}/steps",
                json={"action": "city_recommend", "rank": 1},
                headers=headers(token_for, **city),
            )
            assert stepped.status_code == 200, stepped.text
            await until(lambda: found("document_review"))
    finally:
        if workflow_id is not None:
            await client.get_workflow_handle(workflow_id).terminate("test over")


async def test_a_granted_designation_reaches_the_registry_through_kafka(
    stack: Stack,
    awards_db: str,
    awards_pool: asyncpg.Pool,
    registry_pool: asyncpg.Pool,
    topic_prefix: str,
    guizhou: Programme,
) -> None:
    prefix = f"{topic_prefix}grant{uuid.uuid4().hex[:6]}."
    park_id = str(uuid.uuid4())
    async with pinned_environment() as environment:
        task_queue = f"awards-{uuid.uuid4().hex[:8]}"
        async with build_worker(
            environment.client,
            awards_pool,
            topic_prefix=prefix,
            task_queue=task_queue,
            programmes=load_programmes(PROGRAMMES),
        ):
            now = await environment.get_current_time()
            start = application_start(guizhou, due_at=now + timedelta(days=30))
            start = start.model_copy(
                update={"applicant": start.applicant.model_copy(update={"entity_id": park_id})}
            )
            handle, _ = await submit(environment.client, start, task_queue)

            async def take(request: Any) -> Any:
                return await handle.execute_update(ApplicationWorkflow.take_step, request)

            state = await drive_to_notice(take, guizhou)
            ends = dt.datetime.combine(state.notice_last_day, dt.time(16), dt.UTC)
            await environment.sleep(
                ends - await environment.get_current_time() + timedelta(minutes=1)
            )
            assert (await handle.result()).designation_id

    producer = create_producer(stack.kafka_bootstrap, client_id=f"{prefix}awards-relay")
    await producer.start()
    try:
        relay = OutboxRelay(pool=awards_pool, producer=producer, dsn=awards_db)
        assert await relay.drain() >= 1
    finally:
        await producer.stop()

    async def designated() -> bool:
        async with registry_pool.acquire() as connection:
            status = await connection.fetchval(
                "SELECT status FROM demonstration_status WHERE entity_id = $1", uuid.UUID(park_id)
            )
        return status == "designated"

    await consume_until(
        stack, registry_pool, name="registry", prefix=prefix,
        topics=registry_consumer.TOPICS, handlers=registry_consumer.handlers(), done=designated,
    )  # fmt: skip
