"""``python -m registry api|relay|consumer|importer|migrate``; ``migrate`` also loads the GB/T 2260
regions; ``importer`` runs the queued import jobs."""

import asyncio
import logging
import sys

from registry.config import RegistrySettings
from registry.db import MIGRATIONS_DIR
from shared.service.entrypoints import (
    configure_logging,
    dispatch,
    run_migrate,
    service_roles,
    stop_event_on_signals,
)
from shared.telemetry import setup_telemetry


def main() -> None:
    settings = RegistrySettings()
    roles = service_roles(
        settings,
        migrations_dir=MIGRATIONS_DIR,
        app_factory="registry.api.app:create_app",
        consumer_module="registry.consumers",
    )

    def migrate() -> None:
        from registry.data.regions import load_country_regions
        from registry.db.regions import sync_regions

        run_migrate(settings, MIGRATIONS_DIR)
        count = asyncio.run(sync_regions(settings.database_url, load_country_regions()))
        logging.getLogger("registry").info("regions in step with the shipped data: %d", count)

    def importer() -> None:
        from registry.bulk.importer import run_importer

        configure_logging()
        setup_telemetry(settings.service_name)

        async def run() -> None:
            await run_importer(settings, stop_event_on_signals())

        asyncio.run(run())

    dispatch(sys.argv, {**roles, "migrate": migrate, "importer": importer})


if __name__ == "__main__":
    main()
