"""What every handler of the consumer shares."""

from __future__ import annotations

from typing import TypeVar

from shared.events.envelope import DomainEvent

E = TypeVar("E", bound=DomainEvent)


def expect(event: DomainEvent, kind: type[E]) -> E:
    """The event as the type its handler is registered for (the consumer dispatches by type)."""
    if not isinstance(event, kind):
        raise TypeError(f"expected {kind.__name__}, got {type(event).__name__}")
    return event
