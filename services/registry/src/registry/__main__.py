"""``python -m registry api|relay|migrate``."""

import sys

from registry.config import RegistrySettings
from registry.db import MIGRATIONS_DIR
from shared.service.entrypoints import dispatch, run_api, run_migrate, run_relay


def main() -> None:
    settings = RegistrySettings()  # type: ignore[call-arg]

    def api() -> None:
        from registry.api.app import create_app

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
