"""The shared ``worker`` role runs a service's workflows on the real Temporal server, answers
``/livez`` while it runs, keeps the heap it started with out of full collections (thawed when it
stops), and stops cleanly on its stop signal."""

from __future__ import annotations

import asyncio
import gc
import socket
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from shared.service.worker import worker_role
from shared.settings import ServiceSettings
from shared.temporal import connect_temporal
from tests.integration import worker_module_example
from tests.integration.temporal_echo import EchoWorkflow
from tests.support.databases import create_database, drop_database
from tests.support.polling import until
from tests.support.stack import Stack


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def worker_db(stack: Stack) -> AsyncIterator[str]:
    dsn = await create_database(stack, "worker")
    yield dsn
    await drop_database(stack, dsn)


async def test_the_worker_role_runs_the_services_workflows_and_answers_livez(
    stack: Stack, worker_db: str
) -> None:
    port = _free_port()
    settings = ServiceSettings(
        service_name="worker-test",
        environment="development",
        database_url=worker_db,
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        temporal_target=stack.temporal_target,
        http_host="127.0.0.1",
        liveness_port=port,
    )
    stop = asyncio.Event()
    role = asyncio.create_task(worker_role(settings, worker_module_example, stop))
    try:

        async def alive() -> bool:
            try:
                async with httpx.AsyncClient() as http:
                    answer = await http.get(f"http://127.0.0.1:{port}/livez")
                return answer.status_code == 200
            except httpx.TransportError:
                return False

        await until(alive)
        assert gc.get_freeze_count() > 0  # shared.service.heap
        client = await connect_temporal(stack.temporal_target)
        result = await client.execute_workflow(
            EchoWorkflow.run,
            "年报",
            id=f"worker-role-{uuid.uuid4()}",
            task_queue=worker_module_example.TASK_QUEUE,
        )
        assert result == "年报"
    finally:
        stop.set()
        await asyncio.wait_for(role, 60)
    assert role.exception() is None
    assert gc.get_freeze_count() == 0
