"""What the notifications consumer reads and who handles it: its topics, and the table that
maps each event type to its use case (``notifications.handlers``, one module per event family),
checked when the table is built. Each handler writes its deliveries on the given connection,
inside the transaction that also records the inbox (tracking) row. An event that cannot be
routed or rendered raises ``PoisonMessage``: dead-lettered with the reason. The registry's
working-day calendar years are kept for the reminders' working days (``shared.calendar_years``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from functools import partial

import asyncpg

from notifications.domain.rendering import check_templates
from notifications.handlers.applications import on_application
from notifications.handlers.designations import on_designation, on_designation_warned
from notifications.handlers.enterprises import on_enterprise_closed, on_enterprise_registered
from notifications.handlers.notices import Context
from notifications.handlers.reminders import on_deadline, on_statistics_deadline
from notifications.handlers.reports import on_extension, on_report_status, on_window_reopened
from shared import calendar_years
from shared.events import EventEnvelope, awards, designations, registry, statistics, submissions
from shared.events.envelope import DomainEvent
from shared.messaging.consumer import Handler
from shared.programmes import Programme, revisions

# A handler taking the consumer's context first; bound to it when the table is built.
ContextHandler = Callable[
    [Context, asyncpg.Connection, DomainEvent, EventEnvelope], Awaitable[None]
]

__all__ = [
    "KINDS",
    "TOPICS",
    "Context",
    "RoutingMisconfigured",
    "check_routes",
    "handlers",
]

TOPICS = (
    *revisions.TOPICS,
    "registry.enterprise",
    "submissions.deadline",
    "submissions.report",
    "submissions.extension",
    "submissions.window",
    "awards.designation",
    "submissions.statistics",
    "awards.application",
    *calendar_years.TOPICS,
)


class RoutingMisconfigured(ValueError):
    """A programme routes an event this consumer does not handle (it would never be sent)."""


# Every message kind this consumer writes (each needs a template; checked at start).
KINDS = (
    "deadline_reminder",
    "deadline_overdue",
    "statistics_reminder",
    "statistics_overdue",
    "enterprise_registered",
    "report_submitted",
    "report_recommended",
    "report_returned",
    "report_returned_to_city",
    "report_accepted",
    "designation_granted",
    "designation_revoked",
    "designation_warned",
    "designation_reinstated",
    "extension_requested",
    "extension_granted",
    "extension_refused",
    "window_reopened",
    "application_submitted",
    "application_waiting",
    "application_returned",
    "application_rejected",
    "application_in_notice",
    "application_overdue",
)


def check_routes(programmes: Mapping[str, Programme], handled: set[str]) -> None:
    """Refuse, at role start, a programme route for an event this consumer never handles."""
    for programme in programmes.values():
        for route in programme.notifications.routes:
            if route.event not in handled:
                raise RoutingMisconfigured(
                    f"programme {programme.id!r} routes {route.event!r}, which the "
                    f"notifications consumer does not handle (it handles: "
                    f"{', '.join(sorted(handled))})"
                )


def handlers(context: Context) -> dict[str, Handler]:
    """Built at role start (never at import), with the context ``bootstrap.py`` built from the
    settings and the programme files."""
    by_type: dict[str, ContextHandler] = {
        registry.EnterpriseRegistered.event_type: on_enterprise_registered,
        registry.EnterpriseClosed.event_type: on_enterprise_closed,
        submissions.ReportSubmitted.event_type: on_report_status,
        submissions.ReportRecommended.event_type: on_report_status,
        submissions.ReportReturned.event_type: on_report_status,
        submissions.ReportAccepted.event_type: on_report_status,
        submissions.DeadlineApproaching.event_type: on_deadline,
        submissions.DeadlinePassed.event_type: on_deadline,
        statistics.StatisticsDeadlineApproaching.event_type: on_statistics_deadline,
        statistics.StatisticsDeadlinePassed.event_type: on_statistics_deadline,
        designations.DesignationGranted.event_type: on_designation,
        designations.DesignationRevoked.event_type: on_designation,
        designations.DesignationReinstated.event_type: on_designation,
        designations.DesignationWarned.event_type: on_designation_warned,
        submissions.ExtensionRequested.event_type: on_extension,
        submissions.ExtensionGranted.event_type: on_extension,
        submissions.ExtensionRefused.event_type: on_extension,
        submissions.WindowReopened.event_type: on_window_reopened,
        awards.ApplicationSubmitted.event_type: on_application,
        awards.ApplicationStageChanged.event_type: on_application,
        awards.ReviewOverdue.event_type: on_application,
    }
    handled: dict[str, Handler] = {
        event_type: partial(handler, context) for event_type, handler in by_type.items()
    }
    handled.update(calendar_years.handlers())
    # Programme revisions, kept for the catalogue every process reads (docs/programmes.md).
    handled.update(revisions.handlers())
    check_routes(context.programmes, set(handled))
    check_templates(KINDS, directory=context.templates)
    return handled
