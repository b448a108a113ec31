"""What a long-running process holds once it has started, kept out of full garbage collections.

A service process starts with a heap of modules, schemas, routes and clients that lives as long
as the process. CPython's full collection walks all of it: in the submissions API under the
12-10 rush that was five full collections of up to 131 ms each (394 ms of 11 s of CPU), every
request in flight stopped meanwhile. ``gc.freeze()`` moves what exists into a generation the
collector never walks; collected first, so that no garbage of the start is kept with it.
Reference counting still frees those objects; only cycles among them would stay.

Every long-running role freezes once it has started: the APIs (``run_api``), the relay, the
consumers, the Temporal workers and the notifications sender; each thaws when it stops.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


def freeze_startup_heap() -> None:
    gc.collect()
    gc.freeze()


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
