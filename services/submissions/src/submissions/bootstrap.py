"""What a submissions process is built from, built here once and handed on: the settings, the
programme files, the use cases' context, the Temporal client, and the roles that run them
(``python -m submissions api|relay|consumer|worker|migrate``).

The API's pool is built by its lifespan (``shared.service.app``), the worker's and the
consumer's by their shared roles; the app factory puts what it was given on the app's state,
which ``api.deps`` alone reads. Consumers and activities receive the context from here and
read no settings themselves.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from typing import Any

from temporalio.client import Client

from shared.programmes import Programme, load_programmes
from shared.service.entrypoints import run_consumer, service_roles
from shared.settings import ServiceSettings
from shared.temporal import connect_temporal
from shared.working_days import WorkingDayCalendar
from submissions.config import SubmissionsSettings
from submissions.db import MIGRATIONS_DIR
from submissions.handlers.common import Context, Pool

log = logging.getLogger(__name__)


def load_settings() -> SubmissionsSettings:
    """The process's settings, from the environment (``SUBMISSIONS_*``)."""
    return SubmissionsSettings()


def programme_files(settings: ServiceSettings) -> Callable[[], Mapping[str, Programme]]:
    """The programme files as they are now: the clock reads them again at every activity, so
    a changed file (new reminder offsets) takes effect without a restart."""
    return lambda: load_programmes(settings.programmes_dir)


def build_context(
    settings: ServiceSettings, programmes: Mapping[str, Programme] | None = None
) -> Context:
    """The use cases' context: the programme files (read now unless given), where events go."""
    return Context(
        programmes if programmes is not None else load_programmes(settings.programmes_dir),
        settings.kafka_topic_prefix,
        settings.event_source,
    )


async def temporal_client(settings: ServiceSettings) -> Client:
    return await connect_temporal(settings.temporal_target, namespace=settings.temporal_namespace)


async def worker_activities(settings: ServiceSettings, pool: Pool) -> list[Callable[..., Any]]:
    """The deadline clocks' activities, built with the worker's pool. Building them also makes
    sure every window of the programme files that has not locked yet has its clock, and every
    programme with a period still open its statistics clock (start-or-reach: one workflow id
    each), so a new worker start repairs a clock lost with Temporal's state."""
    # The workflow modules load only in the worker process.
    from submissions.workflows.activities import ClockActivities
    from submissions.workflows.statistics_activities import StatisticsClockActivities
    from submissions.workflows.worker import (
        clock_activities,
        ensure_clocks,
        ensure_statistics_clocks,
    )

    programmes = programme_files(settings)
    calendar = WorkingDayCalendar()  # the worker's one, refreshed by each tick
    clock = ClockActivities(
        pool, programmes, settings.kafka_topic_prefix, settings.event_source, calendar=calendar
    )
    client = await temporal_client(settings)
    current = programmes()
    now = dt.datetime.now(dt.UTC)
    running = await ensure_clocks(client, current, now=now)
    running += await ensure_statistics_clocks(client, current, now=now)
    log.info("deadline clocks running for %s", running)
    statistics_clock = StatisticsClockActivities(
        pool, programmes, settings.kafka_topic_prefix, settings.event_source, calendar=calendar
    )
    return [*clock_activities(clock), statistics_clock.tick]


def roles(settings: SubmissionsSettings) -> dict[str, Callable[[], None]]:
    """The process roles: ``worker`` runs the deadline clocks (Temporal), ``consumer`` keeps the
    rosters in step with designation events."""

    def consumer() -> None:
        from submissions.consumers import designations

        run_consumer(settings, designations.TOPICS, designations.handlers(build_context(settings)))

    found = service_roles(
        settings,
        migrations_dir=MIGRATIONS_DIR,
        app_factory="submissions.api.app:create_app",
        consumer_module="submissions.consumers.designations",
        worker_module="submissions.workflows.worker",
    )
    found["consumer"] = consumer  # the designations' handlers, with the context built here
    return found
