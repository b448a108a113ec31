"""Waiting in tests: poll until a condition holds or a deadline passes, never sleep and assert."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


async def until(
    condition: Callable[[], Awaitable[bool]],
    *,
    seconds: float = 60,
    interval: float = 0.1,
    message: str = "condition not met in time",
) -> None:
    """Return once ``condition()`` is true; fail the test when ``seconds`` pass first."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not await condition():
        assert loop.time() < deadline, message
        await asyncio.sleep(interval)


async def until_a_lock_wait(pool: Any, *, message: str) -> None:
    """Return once a session of ``pool``'s database waits on a lock (the statement a test
    holds back has reached the row it must wait for); fail after 30 s."""

    async def waits() -> bool:
        return bool(
            await pool.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
        )

    await until(waits, seconds=30, message=message)


async def eventually(
    check: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool],
    *,
    seconds: float = 20,
    interval: float = 0.05,
) -> T:
    """The first value of ``check()`` that ``accept`` takes, or the last one when ``seconds``
    pass: the caller's own assertions then say what was wrong with it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while True:
        value = await check()
        if accept(value) or loop.time() > deadline:
            return value
        await asyncio.sleep(interval)


def wait_for(
    check: Callable[[], T],
    accept: Callable[[T], bool],
    *,
    seconds: float = 20,
    interval: float = 0.05,
    message: str = "condition not met in time",
) -> T:
    """``eventually`` for code outside an event loop (a server thread, a sync test client):
    the first value of ``check()`` that ``accept`` takes; fails when ``seconds`` pass first."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if accept(value):
            return value
        assert time.monotonic() < deadline, message
        time.sleep(interval)
