"""``python -m awards api|relay|consumer|worker|migrate``."""

import sys

from awards import bootstrap
from awards.db import MIGRATIONS_DIR
from shared.service.entrypoints import dispatch, service_roles


def main() -> None:
    settings = bootstrap.settings()
    roles = service_roles(
        settings,
        migrations_dir=MIGRATIONS_DIR,
        app_factory="awards.api.app:create_app",
        consumer_module="awards.consumers.handlers",
        worker_module="awards.workflows.worker",
    )
    # The consumer's handlers take this process's Temporal client from bootstrap.
    roles["consumer"] = lambda: bootstrap.consumer(settings)
    dispatch(sys.argv, roles)


if __name__ == "__main__":
    main()
