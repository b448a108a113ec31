"""The pool's hand-off queue, without I/O: waiters are served in arrival order, a newcomer
never takes an item someone waits for, a cancelled waiter that was already handed an item
passes it on, and timeouts still work."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import cast

import asyncpg
import pytest

from shared.db.fair_queue import HandOffQueue
from shared.db.pool import serve_in_arrival_order


async def settle() -> None:
    """Lets every ready task run (a few turns of the loop)."""
    for _ in range(5):
        await asyncio.sleep(0)


async def test_idle_items_go_out_last_in_first_out() -> None:
    queue: HandOffQueue[str] = HandOffQueue()
    for item in ("a", "b", "c"):
        queue.put_nowait(item)
    assert queue.qsize() == 3
    assert [await queue.get(), queue.get_nowait(), await queue.get()] == ["c", "b", "a"]
    assert queue.empty()
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_waiters_are_served_in_arrival_order() -> None:
    queue: HandOffQueue[int] = HandOffQueue()
    served: list[tuple[int, int]] = []

    async def waiter(number: int) -> None:
        served.append((number, await queue.get()))

    tasks = []
    for number in range(5):
        tasks.append(asyncio.create_task(waiter(number)))
        await settle()  # each in line before the next arrives
    assert queue.waiting() == 5
    for item in range(100, 105):
        queue.put_nowait(item)
    await asyncio.gather(*tasks)
    assert served == [(0, 100), (1, 101), (2, 102), (3, 103), (4, 104)]
    assert queue.empty() and queue.waiting() == 0


async def test_a_newcomer_does_not_take_an_item_handed_to_a_waiter() -> None:
    """What asyncio.Queue lets happen: the item is freed, the first waiter only woken, and a
    task that runs before it (here the releasing task itself, asking again at once) takes
    the item; here the waiter already holds it and the newcomer waits in line."""
    queue: HandOffQueue[str] = HandOffQueue()
    first = asyncio.create_task(queue.get())
    await settle()
    queue.put_nowait("freed")
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await queue.get()  # runs in this task, before the waiter resumes
    assert first.done() and first.result() == "freed"
    assert queue.waiting() == 0


async def test_under_contention_every_round_serves_the_longest_waiter() -> None:
    """Closed loop: each worker takes an item, holds it a turn, frees it and asks again at
    once (as a request does between its two acquires). Every worker is served once per
    round, in the order they lined up, however the loop schedules the releases."""
    queue: HandOffQueue[int] = HandOffQueue()
    order: list[int] = []

    async def worker(number: int) -> None:
        for _ in range(4):
            item = await queue.get()
            order.append(number)
            await asyncio.sleep(0)
            queue.put_nowait(item)  # and straight back in line

    workers = []
    for number in range(6):
        workers.append(asyncio.create_task(worker(number)))
        await settle()
    for item in range(2):  # two items for six workers, all in line
        queue.put_nowait(item)
    await asyncio.gather(*workers)
    rounds = [order[i : i + 6] for i in range(0, len(order), 6)]
    assert rounds == [list(range(6))] * 4


async def test_a_cancelled_waiter_leaves_the_line() -> None:
    queue: HandOffQueue[str] = HandOffQueue()
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await settle()
    first.cancel()
    await settle()
    assert first.cancelled() and queue.waiting() == 1
    queue.put_nowait("x")
    assert await second == "x"
    assert queue.empty()


async def test_a_waiter_cancelled_after_being_handed_an_item_passes_it_on() -> None:
    queue: HandOffQueue[str] = HandOffQueue()
    first = asyncio.create_task(queue.get())
    second = asyncio.create_task(queue.get())
    await settle()
    queue.put_nowait("x")  # handed to the first waiter...
    first.cancel()  # ...which is cancelled before it resumes
    await settle()
    assert first.cancelled()
    assert second.done() and second.result() == "x"  # the next in line has it


async def test_a_handed_item_with_nobody_waiting_goes_back_idle() -> None:
    queue: HandOffQueue[str] = HandOffQueue()
    only = asyncio.create_task(queue.get())
    await settle()
    queue.put_nowait("x")
    only.cancel()
    await settle()
    assert only.cancelled()
    assert queue.qsize() == 1 and queue.get_nowait() == "x"


async def test_a_timeout_leaves_the_line_and_loses_no_item() -> None:
    queue: HandOffQueue[str] = HandOffQueue()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.get(), timeout=0.01)
    assert queue.waiting() == 0
    behind = asyncio.create_task(queue.get())
    await settle()
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await queue.get()  # behind the waiting task, and it times out in line
    queue.put_nowait("x")
    assert await behind == "x"
    queue.put_nowait("y")
    assert await asyncio.wait_for(queue.get(), timeout=1) == "y"


async def test_the_pool_keeps_its_idle_connections_in_order_in_the_new_queue() -> None:
    """``serve_in_arrival_order`` on what asyncpg's pool holds: the same connection goes out
    next as it would have from asyncpg's queue."""
    lifo: asyncio.LifoQueue[str] = asyncio.LifoQueue()
    for holder in ("h0", "h1", "h2"):
        lifo.put_nowait(holder)
    pool = SimpleNamespace(_queue=lifo)
    serve_in_arrival_order(cast(asyncpg.Pool, pool))
    assert isinstance(pool._queue, HandOffQueue)
    assert [pool._queue.get_nowait() for _ in range(3)] == ["h2", "h1", "h0"]


async def test_a_pool_that_no_longer_queues_in_a_lifo_queue_is_refused() -> None:
    pool = SimpleNamespace(_queue=asyncio.Queue())
    with pytest.raises(RuntimeError, match="LifoQueue"):
        serve_in_arrival_order(cast(asyncpg.Pool, pool))
