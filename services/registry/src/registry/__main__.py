"""``python -m registry api|relay|consumer|migrate``; ``migrate`` also loads the GB/T 2260 regions."""

import asyncio
import logging
import sys

from registry.config import RegistrySettings
from registry.db import MIGRATIONS_DIR
from shared.service.entrypoints import dispatch, run_migrate, service_roles


def main() -> None:
    settings = RegistrySettings()
    roles = service_roles(
        settings,
        migrations_dir=MIGRATIONS_DIR,
        app_factory="registry.api.app:create_app",
        consumer_module="registry.consumers.designations",
    )

    def migrate() -> None:
        from registry.data.regions import load_country_regions
        from registry.db.regions import sync_regions

        run_migrate(settings, MIGRATIONS_DIR)
        count = asyncio.run(sync_regions(settings.database_url, load_country_regions()))
        logging.getLogger("registry").info("regions in step with the shipped data: %d", count)

    dispatch(sys.argv, {**roles, "migrate": migrate})


if __name__ == "__main__":
    main()
