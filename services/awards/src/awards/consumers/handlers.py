"""``python -m awards consumer``: the registry facts awards needs (its own read model, from
registry events; never the registry's tables), credit records from the ``credit.record`` topic,
dynamic management's report facts and window locks, the rewards ledger's events, and the
registry's working-day calendar years (``shared.calendar_years``: the public notice counts on
them). Each handler runs in the transaction that records the inbox row.

``handlers`` takes the process's Temporal client from ``awards.bootstrap`` (connected when an
event first needs it).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from temporalio.client import Client

from awards.consumers import credit, registry, standing
from awards.consumers import rewards as rewards_consumers
from awards.handlers.rewards.finance import Outbox
from shared import calendar_years
from shared.events.awards import CreditRecordReported
from shared.events.registry import (
    EnterpriseRegistered,
    EnterpriseUpdated,
    ResidentJoined,
    ResidentLeft,
)
from shared.events.submissions import ReportAccepted, ReportSubmitted, WindowLocked
from shared.messaging.consumer import Handler
from shared.programmes import Programme, revisions

TOPICS = (
    *revisions.TOPICS,
    *registry.TOPICS,
    *credit.TOPICS,
    # each topic once: dynamic management and rewards both read submissions.report
    *dict.fromkeys((*standing.TOPICS, *rewards_consumers.TOPICS)),
    *calendar_years.TOPICS,
)


def handlers(
    temporal: Callable[[], Awaitable[Client]],
    *,
    programmes: Mapping[str, Programme],
    outbox: Outbox,
) -> dict[str, Handler]:
    """The consumer's handler per event type, with what ``awards.bootstrap`` built once."""
    # Programme revisions, kept for the catalogue every process reads (docs/programmes.md).
    table: dict[str, Handler] = revisions.handlers()
    table.update({event.event_type: registry.on_registered for event in registry.REGISTERED})
    table.update({event.event_type: registry.on_updated for event in registry.UPDATED})
    table.update({event.event_type: registry.on_closed for event in registry.CLOSED})
    table[ResidentJoined.event_type] = registry.on_resident_joined
    table[ResidentLeft.event_type] = registry.on_resident_left
    table[CreditRecordReported.event_type] = credit.on_credit_record(temporal)
    table.update(
        rewards_consumers.reward_handlers(programmes=programmes, outbox=outbox)
    )  # rewards ledger (docs/rewards.md)
    # dynamic management (docs/awards.md): its report facts next to the rewards' in one tx
    table[ReportSubmitted.event_type] = standing.on_report_submitted
    table[ReportAccepted.event_type] = rewards_consumers.also(
        table[ReportAccepted.event_type], standing.on_report_accepted
    )
    table[WindowLocked.event_type] = standing.on_window_locked(temporal)
    for event in (EnterpriseRegistered, EnterpriseUpdated):
        table[event.event_type] = rewards_consumers.also(
            table[event.event_type], rewards_consumers.on_enterprise_kinds
        )
    table.update(calendar_years.handlers())
    return table
