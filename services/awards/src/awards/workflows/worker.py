"""The awards worker module for the shared ``worker`` role (``shared.service.worker``):
``python -m awards worker`` runs the application workflow and its activities.

``build_worker`` makes the same worker on any client and task queue, for the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from awards.workflows.activities import ApplicationActivities
from awards.workflows.types import TASK_QUEUE as TASK_QUEUE
from awards.workflows.workflows import ApplicationWorkflow
from shared.settings import ServiceSettings

WORKFLOWS: Sequence[type] = (ApplicationWorkflow,)


async def activities(settings: ServiceSettings, pool: asyncpg.Pool) -> Sequence[Callable[..., Any]]:
    return ApplicationActivities(pool, topic_prefix=settings.kafka_topic_prefix).all()


def build_worker(
    client: Client, pool: asyncpg.Pool, *, topic_prefix: str, task_queue: str = TASK_QUEUE
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(WORKFLOWS),
        activities=ApplicationActivities(pool, topic_prefix=topic_prefix).all(),
    )
