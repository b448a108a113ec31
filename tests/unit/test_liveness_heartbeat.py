"""The heartbeat behind a relay's or consumer's ``/livez``: alive until a round is overdue."""

from __future__ import annotations

from shared.service.liveness import Heartbeat


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_new_process_gets_one_timeout_to_complete_its_first_round() -> None:
    clock = Clock()
    heartbeat = Heartbeat(120, clock=clock)
    clock.now += 120
    assert heartbeat.alive()
    clock.now += 0.1
    assert not heartbeat.alive()


def test_each_completed_round_restarts_the_count() -> None:
    clock = Clock()
    heartbeat = Heartbeat(30, clock=clock)
    clock.now += 29
    heartbeat.beat()
    clock.now += 29
    assert heartbeat.alive()
    assert heartbeat.seconds_since_beat == 29
    clock.now += 2
    assert not heartbeat.alive()
