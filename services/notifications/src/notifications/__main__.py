"""``python -m notifications api|relay|consumer|migrate``."""

import sys

from notifications.config import NotificationsSettings
from notifications.db import MIGRATIONS_DIR
from shared.service.entrypoints import dispatch, run_api, run_consumer, run_migrate, run_relay


def main() -> None:
    settings = NotificationsSettings()

    def api() -> None:
        from notifications.api.app import create_app

        run_api(settings, create_app)  # type: ignore[arg-type]

    def consumer() -> None:
        from notifications.consumers.handlers import TOPICS, handlers

        run_consumer(settings, TOPICS, handlers())

    dispatch(
        sys.argv,
        {
            "api": api,
            "relay": lambda: run_relay(settings),
            "consumer": consumer,
            "migrate": lambda: run_migrate(settings, MIGRATIONS_DIR),
        },
    )


if __name__ == "__main__":
    main()
