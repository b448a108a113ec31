"""``python -m awards api|relay|consumer|worker|migrate``."""

import sys

from awards.config import AwardsSettings
from awards.db import MIGRATIONS_DIR
from shared.service.entrypoints import dispatch, service_roles


def main() -> None:
    dispatch(
        sys.argv,
        service_roles(
            AwardsSettings(),
            migrations_dir=MIGRATIONS_DIR,
            app_factory="awards.api.app:create_app",
            consumer_module="awards.consumers.handlers",
            worker_module="awards.workflows.worker",
        ),
    )


if __name__ == "__main__":
    main()
