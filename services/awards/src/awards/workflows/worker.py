"""The awards worker module for the shared ``worker`` role (``shared.service.worker``):
``python -m awards worker`` runs the application and designation workflows and their
activities. The role builds the pool and the Temporal client; the programmes come from
``awards.bootstrap``.

``build_worker`` makes the same worker on any client and task queue, for the tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from awards import bootstrap
from awards.config import DEFAULT_EVENT_SOURCE
from awards.handlers.common import Pool
from awards.workflows.activities import ApplicationActivities, DesignationActivities
from awards.workflows.designation import DesignationWorkflow
from awards.workflows.types import TASK_QUEUE as TASK_QUEUE
from awards.workflows.workflows import ApplicationWorkflow
from shared.programmes import Programme
from shared.service.worker import WorkerParts
from shared.settings import ServiceSettings
from shared.working_days import WorkingDayCalendar

WORKFLOWS: Sequence[type] = (ApplicationWorkflow, DesignationWorkflow)


def all_activities(
    pool: Pool,
    programmes: Mapping[str, Programme],
    *,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
    calendar: WorkingDayCalendar | None = None,
) -> list[Callable[..., Any]]:
    """``calendar``: the process's working-day calendar (one per worker; the notice planning
    refreshes it)."""
    return [
        *ApplicationActivities(
            pool, topic_prefix=topic_prefix, event_source=event_source, calendar=calendar
        ).all(),
        *DesignationActivities(
            pool, programmes, topic_prefix=topic_prefix, event_source=event_source
        ).all(),
    ]


async def activities(settings: ServiceSettings, pool: Pool) -> WorkerParts:
    """The activities on the worker's pool and programmes, which stay current beside it."""
    programmes = bootstrap.programmes(settings)
    await programmes.refresh(pool)

    async def keep_current(client: Client, stop: asyncio.Event) -> None:
        await programmes.run_refresher(pool, settings.programme_refresh_seconds, stop)

    built = all_activities(
        pool,
        programmes,
        topic_prefix=settings.kafka_topic_prefix,
        event_source=settings.event_source,
        calendar=WorkingDayCalendar(),
    )
    return WorkerParts(built, keep_current)


def build_worker(
    client: Client,
    pool: Pool,
    *,
    topic_prefix: str,
    programmes: Mapping[str, Programme],
    task_queue: str = TASK_QUEUE,
    workflows: Sequence[type] = WORKFLOWS,
    **options: Any,
) -> Worker:
    return Worker(
        client,
        task_queue=task_queue,
        workflows=list(workflows),
        activities=all_activities(pool, programmes, topic_prefix=topic_prefix),
        **options,
    )
