"""Which payload model belongs to which CloudEvents type, and upcasters for old versions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from shared.events.envelope import DomainEvent, EventEnvelope

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventType(LookupError):
    pass


class EventCatalog:
    def __init__(self, event_classes: Iterable[type[DomainEvent]]) -> None:
        self._by_type: dict[str, type[DomainEvent]] = {}
        self._upcasters: dict[str, tuple[str, Upcaster]] = {}
        for event_class in event_classes:
            key = event_class.cloudevents_type()
            if key in self._by_type:
                raise ValueError(f"event type {key} registered twice")
            self._by_type[key] = event_class

    def register_upcaster(self, old_type: str, new_type: str, upcast: Upcaster) -> None:
        """Let consumers read ``old_type`` payloads as ``new_type`` (e.g. ``x.v1`` → ``x.v2``)."""
        self._upcasters[old_type] = (new_type, upcast)

    def classes(self) -> list[type[DomainEvent]]:
        return list(self._by_type.values())

    def parse(self, envelope: EventEnvelope) -> DomainEvent:
        event_type, data = envelope.type, envelope.data
        while event_type in self._upcasters:
            event_type, upcast = self._upcasters[event_type]
            data = upcast(data)
        event_class = self._by_type.get(event_type)
        if event_class is None:
            raise UnknownEventType(event_type)
        return event_class.model_validate(data)

    def knows(self, event_type: str) -> bool:
        return event_type in self._by_type or event_type in self._upcasters
