"""``python -m awards worker``: runs the application workflow and its activities.

Built from the settings by ``bootstrap``; stops on SIGTERM/SIGINT after the tasks in hand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from awards.workflows.activities import ApplicationActivities
from awards.workflows.types import TASK_QUEUE
from awards.workflows.workflows import ApplicationWorkflow

log = logging.getLogger(__name__)

WORKFLOWS: Sequence[type] = (ApplicationWorkflow,)


def build_worker(
    client: Client, pool: asyncpg.Pool, *, topic_prefix: str, task_queue: str = TASK_QUEUE
) -> Worker:
    activities = ApplicationActivities(pool, topic_prefix=topic_prefix)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=activities.all(),
        activity_executor=ThreadPoolExecutor(max_workers=4),
    )


async def run_worker(stop: asyncio.Event) -> None:
    from awards.bootstrap import build

    parts = await build(with_producer=False)
    try:
        worker = build_worker(
            parts.temporal, parts.pool, topic_prefix=parts.settings.kafka_topic_prefix
        )
        async with worker:
            log.info("awards worker on task queue %s", TASK_QUEUE)
            await stop.wait()
    finally:
        await parts.close()
