"""Waits of the relay's loop on several events and tasks at once."""

from __future__ import annotations

import asyncio
from typing import Any


async def set_before_all_done(event: asyncio.Event, tasks: list[asyncio.Task[int]]) -> bool:
    """Wait until the event is set (True) or every task is done (False), whichever is first."""
    pending: set[asyncio.Future[Any]] = {task for task in tasks if not task.done()}
    if event.is_set() or not pending:
        return event.is_set()
    waiter = asyncio.create_task(event.wait())
    try:
        while pending and not waiter.done():
            _, pending = await asyncio.wait(pending | {waiter}, return_when=asyncio.FIRST_COMPLETED)
            pending.discard(waiter)
    finally:
        waiter.cancel()
    return event.is_set()


async def wait_for_any(*events: asyncio.Event, timeout: float) -> None:
    """Until one of the events is set or the timeout passes, whichever comes first."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
