"""``python -m submissions api|relay|consumer|worker|migrate``; ``worker`` runs the deadline
clocks (Temporal), ``consumer`` keeps the rosters in step with designation events."""

import sys

from shared.service.entrypoints import dispatch, service_roles
from submissions.config import SubmissionsSettings
from submissions.db import MIGRATIONS_DIR


def main() -> None:
    dispatch(
        sys.argv,
        service_roles(
            SubmissionsSettings(),
            migrations_dir=MIGRATIONS_DIR,
            app_factory="submissions.api.app:create_app",
            consumer_module="submissions.consumers.designations",
            worker_module="submissions.workflows.worker",
        ),
    )


if __name__ == "__main__":
    main()
