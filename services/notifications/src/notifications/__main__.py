"""``python -m notifications api|relay|consumer|sender|migrate``."""

import sys

from notifications.bootstrap import roles
from shared.service.entrypoints import dispatch


def main() -> None:
    dispatch(sys.argv, roles())


if __name__ == "__main__":
    main()
