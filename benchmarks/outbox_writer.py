"""The outbox benchmark's writer at a steady rate, in a process of its own.

The services' writers (their APIs and workers) are other processes than the relay; run in the
relay's event loop, each of the writer's ticks (building ten events, its insert and commit)
held up the relay's wake and claim whenever they fell together.

``python -m benchmarks.outbox_writer DSN TOPIC_PREFIX RATE SECONDS`` writes ten events per
transaction and prints one JSON object: each event's id and its transaction's id.
"""

from __future__ import annotations

import asyncio
import json
import sys

from benchmarks.outbox_relay import WRITE_RETURNING_XID, sample_event
from shared.db.pool import create_pool
from shared.messaging.outbox import outbox_arguments

PER_TICK = 10


async def write(dsn: str, topic_prefix: str, rate: int, seconds: int) -> dict[str, str]:
    pool = await create_pool(dsn, min_size=1, max_size=1)
    transaction_of: dict[str, str] = {}
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        for tick in range(rate * seconds // PER_TICK):
            arguments = outbox_arguments(
                [sample_event(tick * PER_TICK + n) for n in range(PER_TICK)],
                source="/bench",
                topic_prefix=topic_prefix,
            )
            # What append_events sends, with the transaction's id in the same round trip.
            async with pool.acquire() as connection, connection.transaction():
                xid = await connection.fetchval(WRITE_RETURNING_XID, *arguments)
            transaction_of.update((str(event_id), xid) for event_id in arguments[0])
            next_tick = started + (tick + 1) * PER_TICK / rate
            await asyncio.sleep(max(0.0, next_tick - loop.time()))
    finally:
        await pool.close()
    return transaction_of


if __name__ == "__main__":
    dsn, prefix, rate, seconds = sys.argv[1:5]
    print(json.dumps(asyncio.run(write(dsn, prefix, int(rate), int(seconds)))))
