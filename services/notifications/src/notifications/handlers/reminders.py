"""Deadline reminders: a reporting window's or a statistics period's clock point reminds
each office of its missing reporters (the escalation ladder), unless the office has already
acknowledged that list; sent on a working day when the programme shifts reminders, or at
its point's time, so noted in the delivery ledger, when the move needs a year the working-day
calendar lacks (docs/calendar.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import asyncpg

from notifications.db.repository import acknowledged_lists, designation_names
from notifications.domain.ack_tokens import Links
from notifications.domain.escalation import (
    OfficeMessage,
    office_messages,
    statistics_office_messages,
    still_to_remind,
)
from notifications.domain.working_days import reminder_time
from notifications.handlers.notices import Context, UnexpectedEvent, deliver
from shared.events import EventEnvelope
from shared.events.envelope import DomainEvent
from shared.events.statistics import StatisticsDeadlineApproaching, StatisticsDeadlinePassed
from shared.events.submissions import DeadlineApproaching, DeadlinePassed
from shared.programmes.notifications import NotificationPolicy, Route


@dataclass(frozen=True)
class Ladder:
    """What differs between the reminder ladders: the message kinds (before, after the due
    time), the subject acknowledged, the facts every office's message shares, and the key
    under which each office's missing reporters are listed."""

    kinds: tuple[str, str]
    subject: tuple[str, str]
    facts: dict[str, object]
    listed_as: str


ClockPoint = (
    DeadlineApproaching | DeadlinePassed | StatisticsDeadlineApproaching | StatisticsDeadlinePassed
)


async def on_deadline(
    context: Context, connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    if not isinstance(event, DeadlineApproaching | DeadlinePassed):
        raise UnexpectedEvent(event)
    policy = context.policy_for_window(event.window_id)
    route = policy.route(event.event_type)
    if route is None:
        return
    ladder = Ladder(
        kinds=("deadline_reminder", "deadline_overdue"),
        subject=("window", event.window_id),
        facts={"window_id": event.window_id},
        listed_as="designation_ids",
    )
    offices = office_messages(event, route, policy.escalation)
    await _remind(connection, context, envelope, event, policy, route, offices, ladder)


async def on_statistics_deadline(
    context: Context, connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
) -> None:
    """A statistics period's clock point: the annual report's ladder, acknowledgement and
    working-day shift, with the period's missing reporters per city."""
    if not isinstance(event, StatisticsDeadlineApproaching | StatisticsDeadlinePassed):
        raise UnexpectedEvent(event)
    programme = context.programme(event.programme_id)
    policy = programme.notifications
    route = policy.route(event.event_type)
    if route is None:
        return
    ladder = Ladder(
        kinds=("statistics_reminder", "statistics_overdue"),
        subject=("statistics_period", event.publication_key),
        facts={"programme_id": programme.id, "programme": programme.name, "period": event.period},
        listed_as="reporter_ids",
    )
    offices = statistics_office_messages(event, route, policy.escalation)
    await _remind(connection, context, envelope, event, policy, route, offices, ladder)


async def _remind(
    connection: asyncpg.Connection,
    context: Context,
    envelope: EventEnvelope,
    event: ClockPoint,
    policy: NotificationPolicy,
    route: Route,
    offices: list[OfficeMessage],
    ladder: Ladder,
) -> None:
    """Each office's reminder of its missing reporters, unless it acknowledged that list,
    with links valid for the programme's acknowledgement days."""
    links = Links(
        context.links.secret,
        context.links.base_url,
        dt.timedelta(days=policy.acknowledgement_days),
    )
    await context.calendar.refresh(connection)
    send_at = reminder_time(
        event.point_at,
        event.due_at,
        shift=policy.shift_reminders_to_working_day,
        calendar=context.calendar,
    )
    reminder, overdue = ladder.kinds
    for office in offices:
        seen = await acknowledged_lists(
            connection,
            subject_id=ladder.subject[1],
            region_code=office.region_code,
            role=office.role,
        )
        if not still_to_remind(office.designation_ids, seen):
            continue
        office_facts: dict[str, object] = {
            **ladder.facts,
            "point": event.point,
            "offset_days": event.offset_days,
            "due_at": event.due_at,
            ladder.listed_as: list(office.designation_ids),
        }
        if ladder.listed_as == "designation_ids":
            office_facts["names"] = await designation_names(connection, office.designation_ids)
        await deliver(
            connection,
            context,
            envelope,
            route,
            kind=overdue if office.overdue else reminder,
            office=(office.region_code, office.role, None),
            subject=ladder.subject,
            facts=office_facts,
            payload={**office_facts, "due_at": event.due_at.isoformat()},
            not_before=send_at.at,
            links=links,
            calendar_missing=send_at.calendar_missing,
        )
