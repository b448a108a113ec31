"""``python -m awards api|relay|consumer|worker|migrate``."""

import asyncio
import sys

from awards.config import AwardsSettings
from awards.db import MIGRATIONS_DIR
from shared.service.entrypoints import (
    configure_logging,
    dispatch,
    service_roles,
    stop_event_on_signals,
)
from shared.telemetry import setup_telemetry


def worker() -> None:
    """The Temporal worker of the application workflow (awards.workflows.worker)."""
    from awards.workflows.worker import run_worker

    configure_logging()
    setup_telemetry("awards")

    async def main() -> None:
        await run_worker(stop_event_on_signals())

    asyncio.run(main())


def main() -> None:
    roles = service_roles(
        AwardsSettings(),
        migrations_dir=MIGRATIONS_DIR,
        app_factory="awards.api.app:create_app",
        consumer_module="awards.consumers.handlers",
    )
    dispatch(sys.argv, {**roles, "worker": worker})


if __name__ == "__main__":
    main()
