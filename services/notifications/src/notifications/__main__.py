"""``python -m notifications api|relay|consumer|sender|migrate``."""

import sys

from notifications.config import NotificationsSettings
from notifications.db import MIGRATIONS_DIR
from shared.service.entrypoints import dispatch, service_roles


def main() -> None:
    settings = NotificationsSettings()
    roles = service_roles(
        settings,
        migrations_dir=MIGRATIONS_DIR,
        app_factory="notifications.api.app:create_app",
        consumer_module="notifications.consumers.handlers",
    )

    def sender() -> None:
        from notifications.sender_role import run_sender  # channel clients load only here

        run_sender(settings)

    dispatch(sys.argv, {**roles, "sender": sender})


if __name__ == "__main__":
    main()
