"""What a long-running process holds once it has started, kept out of full garbage collections.

A service process starts with a heap of modules, schemas, routes and clients that lives as long
as the process. CPython's full collection walks all of it: in the submissions API under the
12-10 rush that was five full collections of up to 131 ms each (394 ms of 11 s of CPU), every
request in flight stopped meanwhile. ``gc.freeze()`` moves what exists into a generation the
collector never walks; collected first, so that no garbage of the start is kept with it.
Reference counting still frees those objects; only cycles among them would stay.

Every long-running role freezes once it has started: the APIs (``run_api``), the relay, the
consumers, the Temporal workers and the notifications sender; each thaws when it stops.

An API serving also collects its youngest generation less often (``serving_api_heap``).
Under the 12-10 rush it made no cyclic garbage at all (``gc.DEBUG_SAVEALL`` kept nothing), yet
collected the youngest generation about every 6 requests (700 allocations): each collection
walked the live objects of the ~200 requests in flight and moved them to the middle generation,
whose collections walked them again. That was 7–8 % of the process's CPU (0.20 ms per report);
with 7,000 it was 0.07 ms. The young generation then holds at most a few megabytes more.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def freeze_startup_heap() -> None:
    gc.collect()
    gc.freeze()


# The youngest generation's threshold while an API serves (CPython's default is 700).
SERVING_YOUNG_THRESHOLD = 7_000


def thaw() -> None:
    """Back to the collector (an app stopped inside a process that goes on: tests, tools)."""
    gc.unfreeze()


@contextlib.contextmanager
def frozen_startup_heap() -> Iterator[None]:
    """Frozen while the block runs (a role's life), thawed when it ends however it ends."""
    freeze_startup_heap()
    try:
        yield
    finally:
        thaw()


@contextlib.contextmanager
def serving_api_heap() -> Iterator[None]:
    """An API's life: its startup heap frozen and its youngest generation collected after
    ``SERVING_YOUNG_THRESHOLD`` allocations; both as before when it ends, however it ends."""
    before = gc.get_threshold()
    with frozen_startup_heap():
        gc.set_threshold(SERVING_YOUNG_THRESHOLD, before[1], before[2])
        try:
            yield
        finally:
            gc.set_threshold(*before)
