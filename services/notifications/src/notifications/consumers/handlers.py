"""Event handlers of the notifications consumer: each writes its deliveries on the given
connection, inside the transaction that also records the inbox (tracking) row. An event that
cannot be routed or rendered raises ``PoisonMessage``: dead-lettered with the reason."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from notifications.config import NotificationsSettings
from notifications.db.repository import (
    acknowledged_lists,
    application,
    deactivate_operator,
    designation,
    register_operator,
    remember_application,
    remember_designation,
)
from notifications.domain.applications import (
    STAGE_TITLES,
    Addressee,
    Applicant,
    overdue_addressees,
    stage_addressees,
    submitted_addressees,
)
from notifications.domain.escalation import (
    office_messages,
    statistics_office_messages,
    still_to_remind,
)
from notifications.domain.working_days import reminder_time
from notifications.ledger import Links, Message, fan_out
from notifications.rendering import TEMPLATES_DIR, RenderingFailed, check_templates
from shared.events import EnterpriseRegistered, EventEnvelope
from shared.events.awards import ApplicationStageChanged, ApplicationSubmitted, ReviewOverdue
from shared.events.designations import (
    DesignationGranted,
    DesignationReinstated,
    DesignationRevoked,
    DesignationWarned,
)
from shared.events.envelope import DomainEvent
from shared.events.registry import EnterpriseClosed
from shared.events.statistics import StatisticsDeadlineApproaching, StatisticsDeadlinePassed
from shared.events.submissions import (
    DeadlineApproaching,
    DeadlinePassed,
    ExtensionGranted,
    ExtensionRefused,
    ExtensionRequested,
    ReportAccepted,
    ReportRecommended,
    ReportReturned,
    ReportSubmitted,
    WindowReopened,
)
from shared.messaging.consumer import Handler, PoisonMessage
from shared.programmes import Programme, load_programmes
from shared.programmes.notifications import NotificationPolicy, Route
from shared.programmes.reporting import end_of_day
from shared.telemetry import current_trace_id

log = logging.getLogger(__name__)

TOPICS = (
    "registry.enterprise",
    "submissions.deadline",
    "submissions.report",
    "submissions.extension",
    "submissions.window",
    "awards.designation",
    "submissions.statistics",
    "awards.application",
)


class RoutingMisconfigured(ValueError):
    """A programme routes an event this consumer does not handle (it would never be sent)."""


# Without a programme route (a registry event has no programme), the province hears of new
# enterprises in its inbox, as before the routing policy existed.
DEFAULT_ROUTES = {
    EnterpriseRegistered.event_type: Route(
        event=EnterpriseRegistered.event_type, to=("province_admin",), channels=("inbox",)
    )
}


@dataclass(frozen=True)
class Context:
    programmes: dict[str, Programme]
    links: Links
    templates: Path = TEMPLATES_DIR

    def programme(self, programme_id: str) -> Programme:
        programme = self.programmes.get(programme_id)
        if programme is None:
            raise PoisonMessage(f"programme {programme_id!r} is not known")
        return programme

    def policy_for_window(self, window_id: str) -> NotificationPolicy:
        programme = self.programmes.get(window_id.split(".", 1)[0])
        if programme is None:
            raise PoisonMessage(f"window {window_id!r} names no known programme")
        return programme.notifications


def report_office(event: DomainEvent) -> tuple[str, str, str | None] | None:
    """Whose business a report event is, as (region, role, enterprise): the city bureau reviews
    what its reporters submit (unless it entered the report itself), the province what the
    city recommends; a returned report goes back to whom it was returned to; the operator hears
    that its report was accepted. Report events name the city, not the county."""
    assert isinstance(event, ReportSubmitted | ReportRecommended | ReportReturned | ReportAccepted)
    if isinstance(event, ReportSubmitted):
        return None if event.on_behalf else (event.city_code, "city_bureau", None)
    if isinstance(event, ReportRecommended):
        return province_of(event.city_code), "province_admin", None
    if isinstance(event, ReportReturned) and event.to == "city_bureau":
        return event.city_code, "city_bureau", None
    return event.city_code, "operator", event.entity_id


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

REPORT_KINDS = {
    ReportSubmitted.event_type: "report_submitted",
    ReportRecommended.event_type: "report_recommended",
    ReportAccepted.event_type: "report_accepted",
}


def report_kind(event: DomainEvent) -> str:
    if isinstance(event, ReportReturned):
        return "report_returned" if event.to == "reporter" else "report_returned_to_city"
    return REPORT_KINDS[event.event_type]


def designation_offices(known: asyncpg.Record) -> list[tuple[str, str, str | None]]:
    """A designation's operator (for an enterprise) and its city bureau."""
    offices: list[tuple[str, str, str | None]] = []
    if known["entity_type"] == "enterprise":
        offices.append((known["region_code"], "operator", known["entity_id"]))
    offices.append((city_of(known["region_code"]), "city_bureau", None))
    return offices


def check_routes(programmes: dict[str, Programme], handled: set[str]) -> None:
    """Refuse, at role start, a programme route for an event this consumer never handles."""
    for programme in programmes.values():
        for route in programme.notifications.routes:
            if route.event not in handled:
                raise RoutingMisconfigured(
                    f"programme {programme.id!r} routes {route.event!r}, which the "
                    f"notifications consumer does not handle (it handles: "
                    f"{', '.join(sorted(handled))})"
                )


def province_of(region_code: str) -> str:
    return region_code[:2] + "0000"


def city_of(region_code: str) -> str:
    return region_code[:4] + "00"


def context_from(settings: NotificationsSettings) -> Context:
    return Context(
        load_programmes(settings.programmes_dir),
        Links(
            settings.ack_secret.get_secret_value(),
            settings.public_base_url,
            dt.timedelta(days=30),
        ),
    )


def handlers(context: Context | None = None) -> dict[str, Handler]:
    """Built at role start (never at import): the programme files are read here."""
    resolved = context or context_from(NotificationsSettings())

    async def on_deadline(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        assert isinstance(event, DeadlineApproaching | DeadlinePassed)
        policy = resolved.policy_for_window(event.window_id)
        route = policy.route(event.event_type)
        if route is None:
            return
        links = Links(
            resolved.links.secret,
            resolved.links.base_url,
            dt.timedelta(days=policy.acknowledgement_days),
        )
        send_at = reminder_time(
            event.point_at, event.due_at, shift=policy.shift_reminders_to_working_day
        )
        for office in office_messages(event, route, policy.escalation):
            seen = await acknowledged_lists(
                connection,
                subject_id=event.window_id,
                region_code=office.region_code,
                role=office.role,
            )
            if not still_to_remind(office.designation_ids, seen):
                continue
            facts = {
                "window_id": event.window_id,
                "point": event.point,
                "offset_days": event.offset_days,
                "due_at": event.due_at,
                "designation_ids": list(office.designation_ids),
            }
            await _fan_out(
                connection,
                Message(
                    event_id=envelope.id,
                    kind="deadline_overdue" if office.overdue else "deadline_reminder",
                    region_code=office.region_code,
                    role=office.role,
                    subject_type="window",
                    subject_id=event.window_id,
                    context=facts,
                    payload={**facts, "due_at": event.due_at.isoformat()},
                    not_before=send_at,
                    trace_id=current_trace_id(),
                ),
                route,
                links,
                envelope.time,
                resolved.templates,
            )

    async def on_statistics_deadline(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        """A statistics period's clock point: the annual report's ladder, acknowledgement and
        working-day shift, with the period's missing reporters per city."""
        assert isinstance(event, StatisticsDeadlineApproaching | StatisticsDeadlinePassed)
        programme = resolved.programme(event.programme_id)
        policy = programme.notifications
        route = policy.route(event.event_type)
        if route is None:
            return
        links = Links(
            resolved.links.secret,
            resolved.links.base_url,
            dt.timedelta(days=policy.acknowledgement_days),
        )
        send_at = reminder_time(
            event.point_at, event.due_at, shift=policy.shift_reminders_to_working_day
        )
        for office in statistics_office_messages(event, route, policy.escalation):
            seen = await acknowledged_lists(
                connection,
                subject_id=event.publication_key,
                region_code=office.region_code,
                role=office.role,
            )
            if not still_to_remind(office.designation_ids, seen):
                continue
            facts: dict[str, object] = {
                "programme_id": programme.id,
                "programme": programme.name,
                "period": event.period,
                "point": event.point,
                "offset_days": event.offset_days,
                "due_at": event.due_at,
                "reporter_ids": list(office.designation_ids),
            }
            await _fan_out(
                connection,
                Message(
                    event_id=envelope.id,
                    kind="statistics_overdue" if office.overdue else "statistics_reminder",
                    region_code=office.region_code,
                    role=office.role,
                    subject_type="statistics_period",
                    subject_id=event.publication_key,
                    context=facts,
                    payload={**facts, "due_at": event.due_at.isoformat()},
                    not_before=send_at,
                    trace_id=current_trace_id(),
                ),
                route,
                links,
                envelope.time,
                resolved.templates,
            )

    async def on_enterprise_registered(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        """The province's commerce department learns of every new enterprise in its registry;
        the enterprise's own inbox joins the directory (its operator reads it)."""
        assert isinstance(event, EnterpriseRegistered)
        await register_operator(
            connection,
            enterprise_id=event.enterprise_id,
            region_code=event.region_code,
            name=event.name,
        )
        facts = {"name": event.name, "credit_code": event.credit_code}
        await _fan_out(
            connection,
            Message(
                event_id=envelope.id,
                kind="enterprise_registered",
                region_code=province_of(event.region_code),
                role="province_admin",
                subject_type="enterprise",
                subject_id=event.enterprise_id,
                context={**facts, "region_code": event.region_code},
                payload={**facts, "enterprise_id": event.enterprise_id},
                not_before=envelope.time,
                trace_id=current_trace_id(),
            ),
            DEFAULT_ROUTES[event.event_type],
            resolved.links,
            envelope.time,
            resolved.templates,
        )

    async def on_enterprise_closed(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        assert isinstance(event, EnterpriseClosed)
        await deactivate_operator(connection, enterprise_id=event.enterprise_id)

    async def on_report_status(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        """Reviews waiting (city, then province) and the report's status to whom it concerns."""
        assert isinstance(
            event, ReportSubmitted | ReportRecommended | ReportReturned | ReportAccepted
        )
        office = report_office(event)
        if office is None:
            return
        region_code, role, enterprise_id = office
        policy = resolved.policy_for_window(event.window_id)
        route = policy.route(event.event_type)
        if route is None or role not in route.to:
            return
        facts: dict[str, object] = {
            "window_id": event.window_id,
            "designation_id": event.designation_id,
            "version": event.version,
        }
        if isinstance(event, ReportReturned):
            facts |= {"reason": event.reason, "field_comments": event.field_comments}
        if isinstance(event, ReportRecommended):
            facts |= {"reason": event.reason}
        await _fan_out(
            connection,
            Message(
                event_id=envelope.id,
                kind=report_kind(event),
                region_code=region_code,
                role=role,
                subject_type="report",
                subject_id=event.report_id,
                context=facts,
                payload=facts,
                not_before=envelope.time,
                enterprise_id=enterprise_id,
                trace_id=current_trace_id(),
            ),
            route,
            resolved.links,
            envelope.time,
            resolved.templates,
        )

    async def on_designation(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        """The operator hears that its enterprise was designated, lost the designation, or had it
        reinstated (after a rectification in time, or by the province after a revocation)."""
        assert isinstance(event, DesignationGranted | DesignationRevoked | DesignationReinstated)
        await remember_designation(
            connection,
            designation_id=event.designation_id,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            region_code=event.region_code,
        )
        if event.entity_type != "enterprise":
            return  # parks and teams have no operator in the directory
        programme = resolved.programme(event.programme_id)
        route = programme.notifications.route(event.event_type)
        if route is None or "operator" not in route.to:
            return
        category = next(
            (c for c in programme.demonstration_categories if c.id == event.category), None
        )
        title = (
            event.title
            if isinstance(event, DesignationGranted) and event.title
            else (category.title if category else event.category)
        )
        if isinstance(event, DesignationGranted):
            kind, on, reason = "designation_granted", event.designated_on, None
        elif isinstance(event, DesignationReinstated):
            kind, on, reason = "designation_reinstated", event.reinstated_on, event.reason
        else:
            kind, on, reason = "designation_revoked", event.revoked_on, event.reason
        facts: dict[str, object] = {
            "programme": programme.name,
            "designation_id": event.designation_id,
            "title": title,
            "on": on.isoformat(),
            "reason": reason,
        }
        await _fan_out(
            connection,
            Message(
                event_id=envelope.id,
                kind=kind,
                region_code=event.region_code,
                role="operator",
                subject_type="designation",
                subject_id=event.designation_id,
                context=facts,
                payload=facts,
                not_before=envelope.time,
                enterprise_id=event.entity_id,
                trace_id=current_trace_id(),
            ),
            route,
            resolved.links,
            envelope.time,
            resolved.templates,
        )

    async def on_designation_warned(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        """限期整改: the operator (of an enterprise) and its city bureau hear the reason and the
        rectification deadline. The event names no entity type: the operator is addressed only
        when the designation is known here as an enterprise's (parks and teams have none)."""
        assert isinstance(event, DesignationWarned)
        programme = resolved.programme(event.programme_id)
        route = programme.notifications.route(event.event_type)
        if route is None:
            return
        known = await designation(connection, event.designation_id)
        offices: list[tuple[str, str, str | None]] = [
            (city_of(event.region_code), "city_bureau", None)
        ]
        if known is not None and known["entity_type"] == "enterprise":
            offices.insert(0, (event.region_code, "operator", event.entity_id))
        category = next(
            (c for c in programme.demonstration_categories if c.id == event.category), None
        )
        facts: dict[str, object] = {
            "programme": programme.name,
            "designation_id": event.designation_id,
            "title": category.title if category else event.category,
            "year": event.year,
            "reason": event.reason,
            "legal_basis": event.legal_basis,
            "rectify_by": event.rectify_by.isoformat(),
            # the first instant after the last day, so ``due_time`` shows "… 24:00（北京时间）"
            "rectify_until": end_of_day(event.rectify_by),
        }
        payload = {**facts, "rectify_until": end_of_day(event.rectify_by).isoformat()}
        for region_code, role, enterprise_id in offices:
            if role not in route.to:
                continue
            await _fan_out(
                connection,
                Message(
                    event_id=envelope.id,
                    kind="designation_warned",
                    region_code=region_code,
                    role=role,
                    subject_type="designation",
                    subject_id=event.designation_id,
                    context=facts,
                    payload=payload,
                    not_before=envelope.time,
                    enterprise_id=enterprise_id,
                    trace_id=current_trace_id(),
                ),
                route,
                resolved.links,
                envelope.time,
                resolved.templates,
            )

    async def on_extension(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        """A request waits for the province's decision; the decision goes to the reporter's
        operator and its city bureau (found through the designation: the event names no
        more). A designation this service never heard of (granted before it listened) has no
        known region: the decision is logged, not sent."""
        assert isinstance(event, ExtensionRequested | ExtensionGranted | ExtensionRefused)
        programme = resolved.programme(event.window_id.split(".", 1)[0])
        route = programme.notifications.route(event.event_type)
        if route is None:
            return
        known = await designation(connection, event.designation_id)
        offices: list[tuple[str, str, str | None]] = []
        if isinstance(event, ExtensionRequested):
            offices.append((programme.jurisdiction, "province_admin", None))
            if known is not None:
                offices.append((city_of(known["region_code"]), "city_bureau", None))
        elif known is None:
            log.warning(
                "extension %s: designation %s unknown here; its decision is not sent",
                event.extension_id,
                event.designation_id,
            )
        else:
            offices += designation_offices(known)
        facts: dict[str, object] = {
            "window_id": event.window_id,
            "designation_id": event.designation_id,
            "reason": event.reason,
        }
        if isinstance(event, ExtensionRequested):
            kind = "extension_requested"
            facts["requested_due_at"] = event.requested_due_at
        elif isinstance(event, ExtensionGranted):
            kind, facts["new_due_at"] = "extension_granted", event.new_due_at
        else:
            kind = "extension_refused"
        payload = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in facts.items()}
        for region_code, role, enterprise_id in offices:
            if role not in route.to:
                continue
            await _fan_out(
                connection,
                Message(
                    event_id=envelope.id,
                    kind=kind,
                    region_code=region_code,
                    role=role,
                    subject_type="extension",
                    subject_id=event.extension_id,
                    context=facts,
                    payload=payload,
                    not_before=envelope.time,
                    enterprise_id=enterprise_id,
                    trace_id=current_trace_id(),
                ),
                route,
                resolved.links,
                envelope.time,
                resolved.templates,
            )

    async def on_window_reopened(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        """The province reopened the window for one reporter: its operator and city hear
        until when (an unknown designation is logged, as for extensions)."""
        assert isinstance(event, WindowReopened)
        route = resolved.policy_for_window(event.window_id).route(event.event_type)
        if route is None:
            return
        known = await designation(connection, event.designation_id)
        if known is None:
            log.warning("window %s reopened for unknown %s", event.window_id, event.designation_id)
            return
        facts: dict[str, object] = {
            "window_id": event.window_id,
            "designation_id": event.designation_id,
            "reason": event.reason,
            "ends_at": event.ends_at,
        }
        for region_code, role, enterprise_id in designation_offices(known):
            if role not in route.to:
                continue
            await _fan_out(
                connection,
                Message(
                    event_id=envelope.id,
                    kind="window_reopened",
                    region_code=region_code,
                    role=role,
                    subject_type="window",
                    subject_id=event.window_id,
                    context=facts,
                    payload={**facts, "ends_at": event.ends_at.isoformat()},
                    not_before=envelope.time,
                    enterprise_id=enterprise_id,
                    trace_id=current_trace_id(),
                ),
                route,
                resolved.links,
                envelope.time,
                resolved.templates,
            )

    async def on_application(
        connection: asyncpg.Connection, event: DomainEvent, envelope: EventEnvelope
    ) -> None:
        """An application's progress: a review waiting (the city, then the province), its
        outcome to the applicant's operator, an overdue city review to the city and the province.
        Later events name only the application: the applicant is remembered from its submission
        (one submitted before this service listened has no known operator: logged, not sent)."""
        assert isinstance(event, ApplicationSubmitted | ApplicationStageChanged | ReviewOverdue)
        if isinstance(event, ApplicationSubmitted):
            await remember_application(
                connection,
                application_id=event.application_id,
                programme_id=event.programme_id,
                year=event.year,
                category=event.category,
                entity_type=event.entity_type,
                entity_id=event.entity_id,
                region_code=event.region_code,
            )
        programme = resolved.programme(event.programme_id)
        route = programme.notifications.route(event.event_type)
        if route is None:
            return
        known = await application(connection, event.application_id)
        facts: dict[str, object] = {
            "programme": programme.name,
            "application_id": event.application_id,
            "year": known["year"] if known else None,
            "category": None,
            "entity_id": known["entity_id"] if known else None,
            "stage": None,
            "stage_title": None,
            "reason": None,
        }
        if known is not None:
            category = next(
                (c for c in programme.demonstration_categories if c.id == known["category"]),
                None,
            )
            facts["category"] = category.title if category else known["category"]
        addressees: list[Addressee]
        if isinstance(event, ApplicationSubmitted):
            addressees = submitted_addressees(event.region_code, routed=route.to)
            facts["stage"], facts["stage_title"] = "city_review", STAGE_TITLES["city_review"]
        elif isinstance(event, ReviewOverdue):
            addressees = overdue_addressees(event.city_code, routed=route.to)
            facts["due_at"] = event.due_at
        else:
            applicant = (
                Applicant(known["entity_type"], known["entity_id"], known["region_code"])
                if known
                else None
            )
            addressees = stage_addressees(
                step=event.step,
                stage=event.stage,
                waiting_on=event.waiting_on,
                region_code=event.region_code,
                applicant=applicant,
                routed=route.to,
            )
            if known is None and event.stage in ("returned", "rejected", "public_notice"):
                log.warning(
                    "application %s: applicant unknown here; its operator is not told of %s",
                    event.application_id,
                    event.step,
                )
            facts |= {
                "step": event.step,
                "stage": event.stage,
                "stage_title": STAGE_TITLES.get(event.stage, event.stage),
                "reason": event.reason,
            }
        payload = {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in facts.items()}
        for to in addressees:
            await _fan_out(
                connection,
                Message(
                    event_id=envelope.id,
                    kind=to.kind,
                    region_code=to.region_code,
                    role=to.role,
                    subject_type="application",
                    subject_id=event.application_id,
                    context=facts,
                    payload=payload,
                    not_before=envelope.time,
                    enterprise_id=to.enterprise_id,
                    trace_id=current_trace_id(),
                ),
                route,
                resolved.links,
                envelope.time,
                resolved.templates,
            )

    handled: dict[str, Handler] = {
        EnterpriseRegistered.event_type: on_enterprise_registered,
        EnterpriseClosed.event_type: on_enterprise_closed,
        ReportSubmitted.event_type: on_report_status,
        ReportRecommended.event_type: on_report_status,
        ReportReturned.event_type: on_report_status,
        ReportAccepted.event_type: on_report_status,
        DeadlineApproaching.event_type: on_deadline,
        DeadlinePassed.event_type: on_deadline,
        StatisticsDeadlineApproaching.event_type: on_statistics_deadline,
        StatisticsDeadlinePassed.event_type: on_statistics_deadline,
        DesignationGranted.event_type: on_designation,
        DesignationRevoked.event_type: on_designation,
        DesignationReinstated.event_type: on_designation,
        DesignationWarned.event_type: on_designation_warned,
        ExtensionRequested.event_type: on_extension,
        ExtensionGranted.event_type: on_extension,
        ExtensionRefused.event_type: on_extension,
        WindowReopened.event_type: on_window_reopened,
        ApplicationSubmitted.event_type: on_application,
        ApplicationStageChanged.event_type: on_application,
        ReviewOverdue.event_type: on_application,
    }
    check_routes(resolved.programmes, set(handled))
    check_templates(KINDS, directory=resolved.templates)
    return handled


async def _fan_out(
    connection: asyncpg.Connection,
    message: Message,
    route: Route,
    links: Links,
    now: dt.datetime,
    templates: Path,
) -> None:
    try:
        await fan_out(
            connection, message, channels=route.channels, links=links, now=now, templates=templates
        )
    except RenderingFailed as error:
        raise PoisonMessage(str(error)) from error
