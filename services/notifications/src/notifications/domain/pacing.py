"""Retry pacing and per-endpoint rate limits, without I/O."""

from __future__ import annotations

import random
from collections import deque


def backoff_seconds(
    attempt: int, *, initial: float, maximum: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with jitter for the ``attempt``-th failure (1-based): the ceiling
    doubles from ``initial`` up to ``maximum``, and the wait is drawn from [ceiling/2, ceiling]
    so that receivers coming back are not hit by every sender at once."""
    ceiling = min(maximum, initial * 2 ** max(0, attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


class SlidingWindow:
    """At most ``limit`` sends per ``window`` seconds per endpoint (robots: 20 a minute)."""

    def __init__(self, limit: int, window: float = 60.0) -> None:
        self._limit, self._window = limit, window
        self._sent: dict[str, deque[float]] = {}

    def wait(self, endpoint: str, now: float) -> float:
        """0 and the send is counted, or the seconds until a slot frees (nothing counted)."""
        sent = self._sent.setdefault(endpoint, deque())
        while sent and sent[0] <= now - self._window:
            sent.popleft()
        if len(sent) < self._limit:
            sent.append(now)
            return 0.0
        return sent[0] + self._window - now
