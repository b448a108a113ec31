"""``python -m benchmarks [name ...]``: run the named benchmarks (all by default)."""

import asyncio
import sys

from benchmarks import outbox_relay

BENCHMARKS = {"outbox_relay": outbox_relay.main}


def main() -> None:
    names = sys.argv[1:] or list(BENCHMARKS)
    for name in names:
        asyncio.run(BENCHMARKS[name]())


if __name__ == "__main__":
    main()
