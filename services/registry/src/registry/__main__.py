"""``python -m registry api|relay|consumer|importer|migrate``; ``migrate`` also loads the GB/T 2260
regions; ``importer`` runs the queued import jobs. What each role needs is built by
``registry.bootstrap``."""

import asyncio
import sys

from registry import bootstrap
from registry.db import MIGRATIONS_DIR
from shared.service.entrypoints import (
    configure_logging,
    dispatch,
    service_roles,
    stop_event_on_signals,
)
from shared.telemetry import setup_telemetry


def main() -> None:
    settings = bootstrap.load_settings()
    roles = service_roles(
        settings,
        migrations_dir=MIGRATIONS_DIR,
        app_factory="registry.api.app:create_app",
        consumer_module="registry.consumers",
    )

    def migrate() -> None:
        bootstrap.migrate(settings, MIGRATIONS_DIR)

    def importer() -> None:
        configure_logging()
        setup_telemetry(settings.service_name)

        async def run() -> None:
            await bootstrap.run_importer(settings, stop_event_on_signals())

        asyncio.run(run())

    dispatch(sys.argv, {**roles, "migrate": migrate, "importer": importer})


if __name__ == "__main__":
    main()
