"""A queue that serves its waiters in arrival order, for asyncpg's pool of connections.

asyncpg 0.30 hands connections out through an ``asyncio.LifoQueue``. ``asyncio.Queue.get``
(Python 3.11) is not first-come-first-served under contention: a freed item only *wakes* the
first waiter, and until that waiter runs, any task that calls ``get()`` finds the item there
and takes it; the waiter that lost the race goes back to the *end* of the line. Each request
of the write path acquires twice (the Idempotency-Key reservation, then the route's
transaction), so under load a request could be overtaken again and again: the 12-10 rush had a
median of ~250 ms and a p99 of ~2 s for the same mean.

Here a freed item goes straight to the longest waiter (its future gets the item itself, so no
one can take it meanwhile), and a newcomer waits in line whenever anyone waits. Idle items
still go out last-in-first-out, as asyncpg's queue does: the connection used last is the warm
one, and the others can age out (``max_inactive_connection_lifetime``).

Only what asyncpg's ``Pool`` uses of its queue is here: ``get``, ``get_nowait``,
``put_nowait``, ``empty`` and ``qsize``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class HandOffQueue(Generic[T]):
    """Unbounded; its waiters are served first-come-first-served, its idle items LIFO.

    Invariant: while any waiter waits, no item is idle (``put_nowait`` hands an item to a
    waiter before it keeps one), so ``get`` takes an idle item only when nobody waits."""

    def __init__(self) -> None:
        self._idle: list[T] = []
        self._waiters: deque[asyncio.Future[T]] = deque()

    def qsize(self) -> int:
        return len(self._idle)

    def empty(self) -> bool:
        return not self._idle

    def waiting(self) -> int:
        """Waiters not yet handed an item."""
        return sum(1 for waiter in self._waiters if not waiter.done())

    def put_nowait(self, item: T) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # skip a waiter cancelled but not yet resumed
                waiter.set_result(item)
                return
        self._idle.append(item)

    def get_nowait(self) -> T:
        if not self._idle:
            raise asyncio.QueueEmpty
        return self._idle.pop()

    async def get(self) -> T:
        if self._idle:
            return self._idle.pop()
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                # Handed an item, then cancelled (an acquire's timeout, a request's task)
                # before it could take it: the item goes on to the next waiter, or back.
                self.put_nowait(waiter.result())
            else:
                waiter.cancel()
                try:
                    self._waiters.remove(waiter)
                except ValueError:  # already popped by put_nowait as a cancelled waiter
                    pass
            raise
