"""The awards worker module for the shared ``worker`` role (``shared.service.worker``):
``python -m awards worker`` runs the application workflow and its activities.

``build_worker`` makes the same worker on any client and task queue, for the tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from awards.config import DEFAULT_EVENT_SOURCE
from awards.standing.activities import DesignationActivities
from awards.workflows.activities import ApplicationActivities
from awards.workflows.designation import DesignationWorkflow
from awards.workflows.types import TASK_QUEUE as TASK_QUEUE
from awards.workflows.workflows import ApplicationWorkflow
from shared.programmes import Programme, load_programmes
from shared.settings import ServiceSettings

WORKFLOWS: Sequence[type] = (ApplicationWorkflow, DesignationWorkflow)


def all_activities(
    pool: asyncpg.Pool,
    programmes: Mapping[str, Programme],
    *,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
) -> list[Callable[..., Any]]:
    return [
        *ApplicationActivities(pool, topic_prefix=topic_prefix, event_source=event_source).all(),
        *DesignationActivities(
            pool, programmes, topic_prefix=topic_prefix, event_source=event_source
        ).all(),
    ]


async def activities(settings: ServiceSettings, pool: asyncpg.Pool) -> Sequence[Callable[..., Any]]:
    programmes = load_programmes(settings.programmes_dir)
    return all_activities(
        pool,
        programmes,
        topic_prefix=settings.kafka_topic_prefix,
        event_source=settings.event_source,
    )


def build_worker(
    client: Client,
    pool: asyncpg.Pool,
    *,
    topic_prefix: str,
    task_queue: str = TASK_QUEUE,
    programmes: Mapping[str, Programme] | None = None,
    workflows: Sequence[type] = WORKFLOWS,
    **options: Any,
) -> Worker:
    if programmes is None:
        programmes = load_programmes(os.environ.get("PROGRAMMES_DIR", "shared/programmes"))
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(workflows),
        activities=all_activities(pool, programmes, topic_prefix=topic_prefix),
        **options,
    )
