"""The project's asyncpg pool against the real PostgreSQL: under contention, acquirers are
served in the order they asked (asyncpg's own queue let later ones overtake them again and
again); a timed-out acquire still times out and loses no connection; the pool still expires
and closes its connections."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from shared.db.pool import create_pool
from tests.support.polling import until
from tests.support.stack import Stack

POOL_SIZE = 3
WORKERS = 30
ROUNDS = 5


async def test_concurrent_acquirers_are_served_in_arrival_order(stack: Stack) -> None:
    """A closed loop, as in the 12-10 rush: 30 workers on a pool of 3, each taking a
    connection for a statement, releasing it and asking again at once. Every acquire is
    numbered when it asks and recorded when it is served: the two orders are the same."""
    pool = await create_pool(stack.admin_dsn, min_size=POOL_SIZE, max_size=POOL_SIZE)
    asked = 0
    served: list[int] = []
    most_waiting = 0

    async def worker() -> None:
        nonlocal asked, most_waiting
        for _ in range(ROUNDS):
            number, asked = asked, asked + 1
            async with pool.acquire() as connection:
                served.append(number)
                most_waiting = max(most_waiting, asked - len(served))
                await connection.fetchval("SELECT pg_sleep(0.002)")

    try:
        await asyncio.gather(*(worker() for _ in range(WORKERS)))
    finally:
        await pool.close()
    assert len(served) == WORKERS * ROUNDS
    assert most_waiting >= WORKERS - POOL_SIZE - 1, "the run had no contention to speak of"
    overtaken = [n for earlier, n in itertools.pairwise(served) if n < earlier]
    assert served == sorted(served), f"served out of turn: {overtaken[:10]}"


async def test_a_timed_out_acquire_times_out_and_the_pool_keeps_its_connections(
    stack: Stack,
) -> None:
    pool = await create_pool(stack.admin_dsn, min_size=2, max_size=2)
    try:
        held = [await pool.acquire() for _ in range(2)]
        in_line = asyncio.create_task(pool.fetchval("SELECT 1"))  # waits for a connection

        async def waits_in_line() -> bool:
            return bool(pool._queue.waiting() == 1)  # type: ignore[attr-defined]

        await until(waits_in_line, seconds=10, interval=0.01, message="no acquire waits")
        with pytest.raises(TimeoutError):
            await pool.acquire(timeout=0.1)
        for connection in held:
            await pool.release(connection)
        assert await asyncio.wait_for(in_line, 10) == 1
        assert pool.get_idle_size() == 2
        async with pool.acquire(timeout=5) as connection:
            assert await connection.fetchval("SELECT 2") == 2
        await pool.expire_connections()
        assert await pool.fetchval("SELECT 3") == 3  # a new connection, after the expiry
    finally:
        await asyncio.wait_for(pool.close(), 10)
