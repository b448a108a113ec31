"""What a submissions process is built from, built here once and handed on: the settings, the
programmes (a live catalogue: the files and the newer revisions), the use cases' context, and
the roles that run them (``python -m submissions api|relay|consumer|worker|migrate``).

The API's pool is built by its lifespan (``shared.service.app``), the worker's and the
consumer's (and the worker's Temporal client) by their shared roles; the app factory puts what
it was given on the app's state, which ``api.deps`` alone reads. Consumers and activities
receive the context from here and read no settings themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from fastapi import FastAPI
from temporalio.client import Client

from shared.programmes import Programme
from shared.programmes.catalogue import ProgrammeCatalogue, stop_serving
from shared.service.entrypoints import configure_logging, consumer_role, service_roles
from shared.service.worker import WorkerParts
from shared.settings import ServiceSettings
from shared.telemetry import setup_telemetry
from shared.working_days import WorkingDayCalendar
from submissions.config import SubmissionsSettings
from submissions.db import MIGRATIONS_DIR
from submissions.handlers.common import Context, Pool


def load_settings() -> SubmissionsSettings:
    """The process's settings, from the environment (``SUBMISSIONS_*``)."""
    return SubmissionsSettings()


def programmes(settings: ServiceSettings) -> ProgrammeCatalogue:
    """The process's programmes: the files, laid over with the newer revisions the consumer
    keeps (docs/programmes.md, "Revisions"). Readers look a programme up when they need it, so
    a revision (new reminder offsets, a new window year) takes effect without a restart."""
    return ProgrammeCatalogue.from_files(settings.programmes_dir)


def build_context(
    settings: ServiceSettings, programmes: Mapping[str, Programme] | None = None
) -> Context:
    """The use cases' context: the programmes (the files unless given), where events go."""
    return Context(
        programmes
        if programmes is not None
        else ProgrammeCatalogue.from_files(settings.programmes_dir),
        settings.kafka_topic_prefix,
        settings.event_source,
    )


async def start_api(app: FastAPI, settings: ServiceSettings) -> None:
    """The API's context, its programmes current as it starts and kept current on its pool."""
    catalogue = programmes(settings)
    await catalogue.serve_current(app.state, settings.programme_refresh_seconds)
    app.state.context = build_context(settings, catalogue)


async def stop_api(app: FastAPI) -> None:
    await stop_serving(app.state)


async def worker_activities(settings: SubmissionsSettings, pool: Pool) -> WorkerParts:
    """The deadline clocks' activities, built with the worker's pool and programmes; beside
    them, the programmes are kept current and every window of them that has not locked yet has
    its clock, and every programme with a period still open its statistics clock
    (start-or-reach: one workflow id each): at start (a clock lost with Temporal's state is
    repaired), every ``clock_reconcile_seconds``, and at once when a revision arrives (a window
    year it adds gets its clock; the running clocks of the programme are told to reschedule)."""
    # The workflow modules load only in the worker process.
    from submissions.workflows.activities import ClockActivities
    from submissions.workflows.statistics_activities import StatisticsClockActivities
    from submissions.workflows.worker import clock_activities, keep_clocks

    catalogue = programmes(settings)
    await catalogue.refresh(pool)

    def current() -> Mapping[str, Programme]:  # the activities look the programmes up each time
        return catalogue

    calendar = WorkingDayCalendar()  # the worker's one, refreshed by each tick
    clock = ClockActivities(
        pool, current, settings.kafka_topic_prefix, settings.event_source, calendar=calendar
    )
    statistics_clock = StatisticsClockActivities(
        pool, current, settings.kafka_topic_prefix, settings.event_source, calendar=calendar
    )

    async def beside(client: Client, stop: asyncio.Event) -> None:
        await keep_clocks(
            client,
            pool,
            catalogue,
            stop=stop,
            refresh_seconds=settings.programme_refresh_seconds,
            reconcile_seconds=settings.clock_reconcile_seconds,
        )

    return WorkerParts([*clock_activities(clock), statistics_clock.tick], beside)


async def consumer_process(settings: SubmissionsSettings) -> None:
    """The consumer with its programme catalogue, kept current while it runs."""
    from submissions.consumers import designations

    catalogue = programmes(settings)
    async with catalogue.kept_current(settings.database_url, settings.programme_refresh_seconds):
        handlers = designations.handlers(build_context(settings, catalogue))
        await consumer_role(settings, designations.TOPICS, handlers)


def roles(settings: SubmissionsSettings) -> dict[str, Callable[[], None]]:
    """The process roles: ``worker`` runs the deadline clocks (Temporal), ``consumer`` keeps the
    rosters in step with designation events."""

    def consumer() -> None:
        configure_logging()
        setup_telemetry(settings.service_name)
        asyncio.run(consumer_process(settings))

    found = service_roles(
        settings,
        migrations_dir=MIGRATIONS_DIR,
        app_factory="submissions.api.app:create_app",
        consumer_module="submissions.consumers.designations",
        worker_module="submissions.workflows.worker",
    )
    found["consumer"] = consumer  # the handlers, with the context and catalogue built here
    return found
