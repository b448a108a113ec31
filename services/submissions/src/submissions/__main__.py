"""``python -m submissions api|relay|consumer|worker|migrate``; ``worker`` runs the deadline
clocks (Temporal), ``consumer`` keeps the rosters in step with designation events. The roles
are built by ``submissions.bootstrap`` from the settings read once here."""

import sys

from shared.service.entrypoints import dispatch
from submissions import bootstrap


def main() -> None:
    dispatch(sys.argv, bootstrap.roles(bootstrap.load_settings()))


if __name__ == "__main__":
    main()
