"""Retry backoff, without I/O (robot pacing is counted in PostgreSQL: sender.py)."""

from __future__ import annotations

import random


def backoff_seconds(
    attempt: int, *, initial: float, maximum: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with jitter for the ``attempt``-th failure (1-based): the ceiling
    doubles from ``initial`` up to ``maximum``, and the wait is drawn from [ceiling/2, ceiling]
    so that receivers coming back are not hit by every sender at once."""
    ceiling = min(maximum, initial * 2 ** max(0, attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)
