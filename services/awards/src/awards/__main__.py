"""``python -m awards api|relay|migrate``."""

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
        ),
    )


if __name__ == "__main__":
    main()
