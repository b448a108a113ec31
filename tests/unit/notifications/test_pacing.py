"""Retry backoff: exponential, jittered, capped (pure)."""

from __future__ import annotations

import random

from notifications.domain.pacing import backoff_seconds


def test_backoff_doubles_up_to_its_cap_and_is_jittered_within_the_upper_half() -> None:
    rng = random.Random(7)
    for attempt, ceiling in [(1, 2.0), (2, 4.0), (3, 8.0), (4, 16.0), (9, 60.0), (30, 60.0)]:
        waits = {backoff_seconds(attempt, initial=2.0, maximum=60.0, rng=rng) for _ in range(50)}
        assert all(ceiling / 2 <= wait <= ceiling for wait in waits), (attempt, waits)
        assert len(waits) > 1  # jitter: senders coming back are spread out
