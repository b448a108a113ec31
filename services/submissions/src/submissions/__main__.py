"""``python -m submissions api|relay|migrate``."""

import sys

from shared.service.entrypoints import dispatch, run_api, run_migrate, run_relay
from submissions.config import SubmissionsSettings
from submissions.db import MIGRATIONS_DIR


def main() -> None:
    settings = SubmissionsSettings()

    def api() -> None:
        from submissions.api.app import create_app

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
