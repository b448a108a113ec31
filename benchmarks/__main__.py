"""``python -m benchmarks [name ...]``: run the named benchmarks (all by default).

A benchmark that fails is reported and the others still run; the run then exits non-zero,
naming the ones that failed.
"""

import asyncio
import signal
import sys
import traceback

from benchmarks import (
    awards_designations,
    awards_round,
    notifications_fanout,
    outbox_relay,
    registry_import,
    registry_search,
    registry_writes,
    results,
    statistics_month,
    submissions_rush,
)
from benchmarks.common import wait_for_profilers

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
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"no such benchmark: {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    # SIGTERM as Ctrl-C: a run stopped early still prints the table of what it measured.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    failed: list[str] = []
    done: list[str] = []
    try:
        for name in names:
            try:
                asyncio.run(BENCHMARKS[name]())
            except (Exception, SystemExit):
                traceback.print_exc()
                print(f"{name}: FAILED", flush=True)
                results.record_crash(name)
                failed.append(name)
            done.append(name)
    except KeyboardInterrupt:
        print(f"\nstopped during {names[len(done)]}", flush=True)
    wait_for_profilers()
    print(f"\nsummary ({', '.join(done) or 'nothing finished'}):\n{results.table()}", flush=True)
    if failed:
        raise SystemExit(f"benchmarks failed: {', '.join(failed)}")
    if len(done) < len(names):
        raise SystemExit(f"stopped before: {', '.join(names[len(done) :])}")


if __name__ == "__main__":
    main()
