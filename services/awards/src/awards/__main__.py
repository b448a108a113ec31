"""``python -m awards api|relay|migrate``."""

import sys

from awards.config import AwardsSettings
from awards.db import MIGRATIONS_DIR
from shared.service.entrypoints import dispatch, run_api, run_migrate, run_relay


def main() -> None:
    settings = AwardsSettings()

    def api() -> None:
        from awards.api.app import create_app

        run_api(settings, create_app)  # type: ignore[arg-type]

    dispatch(
        sys.argv,
        {
            "api": api,
            "relay": lambda: run_relay(settings),
            "migrate": lambda: run_migrate(settings, MIGRATIONS_DIR),
        },
    )


if __name__ == "__main__":
    main()
