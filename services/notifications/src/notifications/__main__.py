"""``python -m notifications api|relay|consumer|migrate``."""

import sys

from notifications.config import NotificationsSettings
from notifications.db import MIGRATIONS_DIR
from shared.service.entrypoints import dispatch, service_roles


def main() -> None:
    dispatch(
        sys.argv,
        service_roles(
            NotificationsSettings(),
            migrations_dir=MIGRATIONS_DIR,
            app_factory="notifications.api.app:create_app",
            consumer_module="notifications.consumers.handlers",
        ),
    )


if __name__ == "__main__":
    main()
