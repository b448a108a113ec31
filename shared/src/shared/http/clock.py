"""The instant a request is decided at, as a FastAPI dependency.

Routes that judge a date (is the round open, is the window locked, which day is today in
China) take ``Now`` instead of reading the wall clock, so that tests and benchmarks can set
``app.state.clock`` and decide business dates without depending on the day they run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request


async def get_now(request: Request) -> dt.datetime:
    """The current instant (UTC); ``app.state.clock``, when set, answers instead."""
    clock: Callable[[], dt.datetime] | None = getattr(request.app.state, "clock", None)
    return clock() if clock is not None else dt.datetime.now(dt.UTC)


Now = Annotated[dt.datetime, Depends(get_now)]
