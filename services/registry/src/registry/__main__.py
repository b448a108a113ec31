"""``python -m registry api|relay|migrate``."""

import asyncio
import logging
import sys

from registry.config import RegistrySettings
from registry.db import MIGRATIONS_DIR
from shared.service.entrypoints import dispatch, run_api, run_migrate, run_relay


def main() -> None:
    settings = RegistrySettings()

    def api() -> None:
        from registry.api.app import create_app

        run_api(settings, create_app)  # type: ignore[arg-type]

    def migrate() -> None:
        from registry.data.regions import load_country_regions
        from registry.db.regions import sync_regions

        run_migrate(settings, MIGRATIONS_DIR)
        count = asyncio.run(sync_regions(settings.database_url, load_country_regions()))
        logging.getLogger("registry").info("regions in step with the shipped data: %d", count)

    dispatch(
        sys.argv,
        {"api": api, "relay": lambda: run_relay(settings), "migrate": migrate},
    )


if __name__ == "__main__":
    main()
