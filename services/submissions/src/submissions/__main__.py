"""``python -m submissions api|relay|consumer|worker|migrate``; ``worker`` runs the deadline
clocks (Temporal), ``consumer`` keeps the rosters in step with designation events."""

import asyncio
import sys

from shared.service.entrypoints import (
    configure_logging,
    dispatch,
    service_roles,
    stop_event_on_signals,
)
from shared.telemetry import setup_telemetry
from submissions.config import SubmissionsSettings
from submissions.db import MIGRATIONS_DIR


def main() -> None:
    settings = SubmissionsSettings()
    roles = service_roles(
        settings,
        migrations_dir=MIGRATIONS_DIR,
        app_factory="submissions.api.app:create_app",
        consumer_module="submissions.consumers.designations",
    )

    def worker() -> None:
        from submissions.workflows.worker import run_worker

        configure_logging()
        setup_telemetry(settings.service_name)

        async def run() -> None:
            await run_worker(settings, stop_event_on_signals())

        asyncio.run(run())

    dispatch(sys.argv, {**roles, "worker": worker})


if __name__ == "__main__":
    main()
