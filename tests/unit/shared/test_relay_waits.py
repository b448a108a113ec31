"""The relay loop's waits on an event and its batches still finishing."""

from __future__ import annotations

import asyncio

from shared.messaging.waits import set_before_all_done


async def test_the_event_set_while_tasks_run_ends_the_wait_at_once() -> None:
    event, release = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(_until(release))
    asyncio.get_running_loop().call_soon(event.set)
    assert await asyncio.wait_for(set_before_all_done(event, [task]), 5)
    assert not task.done()
    release.set()
    await task


async def test_the_tasks_all_done_first_end_the_wait_unset() -> None:
    event, release = asyncio.Event(), asyncio.Event()
    tasks = [asyncio.create_task(_until(release)) for _ in range(2)]
    asyncio.get_running_loop().call_soon(release.set)
    assert not await asyncio.wait_for(set_before_all_done(event, tasks), 5)
    assert all(task.done() for task in tasks)


async def test_nothing_left_to_finish_answers_whether_the_event_is_set() -> None:
    event = asyncio.Event()
    assert not await set_before_all_done(event, [])
    event.set()
    assert await set_before_all_done(event, [])


async def test_a_failed_task_counts_as_done() -> None:
    async def fail() -> int:
        raise RuntimeError("batch failed")

    task = asyncio.create_task(fail())
    assert not await asyncio.wait_for(set_before_all_done(asyncio.Event(), [task]), 5)
    assert isinstance(task.exception(), RuntimeError)


async def _until(release: asyncio.Event) -> int:
    await release.wait()
    return 1
