"""``python -m benchmarks [name ...]``: run the named benchmarks (all by default)."""

import asyncio
import sys

from benchmarks import (
    awards_designations,
    awards_round,
    notifications_fanout,
    outbox_relay,
    registry_import,
    registry_search,
    registry_writes,
    statistics_month,
    submissions_rush,
)

BENCHMARKS = {
    "outbox_relay": outbox_relay.main,
    "registry_search": registry_search.main,
    "registry_import": registry_import.main,
    "registry_writes": registry_writes.main,
    "awards_round": awards_round.main,
    "awards_designations": awards_designations.main,
    "submissions_rush": submissions_rush.main,
    "statistics_month": statistics_month.main,
    "notifications_fanout": notifications_fanout.main,
}


def main() -> None:
    names = sys.argv[1:] or list(BENCHMARKS)
    for name in names:
        asyncio.run(BENCHMARKS[name]())


if __name__ == "__main__":
    main()
