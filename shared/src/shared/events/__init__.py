"""Event envelope, payload models per event type and version, and the catalog of them all."""

from shared.events.audit import AUDIT_EVENTS, AuditCheckpointRecorded
from shared.events.awards import AWARDS_EVENTS
from shared.events.calendars import CALENDAR_EVENTS
from shared.events.catalog import EventCatalog, UnknownEventType
from shared.events.designations import DESIGNATION_EVENTS
from shared.events.envelope import DomainEvent, EventEnvelope, wrap
from shared.events.programmes import PROGRAMME_EVENTS
from shared.events.registry import REGISTRY_EVENTS, EnterpriseRegistered
from shared.events.rewards import REWARD_EVENTS
from shared.events.statistics import STATISTICS_EVENTS
from shared.events.submissions import SUBMISSIONS_EVENTS

ALL_EVENTS: tuple[type[DomainEvent], ...] = (
    *REGISTRY_EVENTS,
    *PROGRAMME_EVENTS,
    *DESIGNATION_EVENTS,
    *AUDIT_EVENTS,
    *AWARDS_EVENTS,
    *SUBMISSIONS_EVENTS,
    *REWARD_EVENTS,
    *STATISTICS_EVENTS,
    *CALENDAR_EVENTS,
)


def default_catalog() -> EventCatalog:
    return EventCatalog(ALL_EVENTS)


__all__ = [
    "ALL_EVENTS",
    "AuditCheckpointRecorded",
    "DomainEvent",
    "EnterpriseRegistered",
    "EventCatalog",
    "EventEnvelope",
    "UnknownEventType",
    "default_catalog",
    "wrap",
]
