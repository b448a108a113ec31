"""Submissions persistence: rows in and domain objects out. Functions take a connection; the
caller (a handler) owns the transaction, so state, outbox and audit rows commit together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import asyncpg

from shared import audit
from shared.db.rows import from_row
from shared.http.idempotency.store import CLAIM_PARAMETERS, raising_key_taken
from shared.programmes import ReportingWindow, WindowSchedule
from submissions.db import queries
from submissions.domain.actors import Actor, Role
from submissions.domain.extensions import ExtensionRequest, ExtensionStatus
from submissions.domain.review import Action, Report, ReportState, ReviewStep
from submissions.domain.roster import Roster, RosterChange, RosterChangeKind, RosterEntry
from submissions.domain.versions import Figure, ReportVersion


def schedule_of(window: Mapping[str, Any], reporting_window: ReportingWindow) -> WindowSchedule:
    """The window's instants as frozen at opening; reminder offsets and the late-designation
    rule read from the programme file now, so a changed file takes effect at once."""
    return WindowSchedule(
        window_id=window["id"],
        year=window["year"],
        covers_from=reporting_window.covers.in_year(window["year"])[0],
        covers_to=reporting_window.covers.in_year(window["year"])[1],
        opens_at=window["opens_at"],
        due_at=window["due_at"],
        grace_until=window["grace_until"],
        locks_at=window["locks_at"],
        reminders=reporting_window.reminders,
        late_designation_due=reporting_window.late_designation_due,
    )


def _entry(row: Mapping[str, Any]) -> RosterEntry:
    return from_row(RosterEntry, row)


async def load_roster(
    connection: asyncpg.Connection, window: Mapping[str, Any], categories: Iterable[str]
) -> Roster:
    entries = await connection.fetch(queries.ROSTER_ENTRIES, window["id"])
    changes = await connection.fetch(queries.ROSTER_CHANGES, window["id"])
    return Roster(
        window_id=window["id"],
        year=window["year"],
        frozen_at=window["opens_at"],
        locks_at=window["locks_at"],
        categories=frozenset(categories),
        entries=tuple(_entry(row) for row in entries),
        changes=tuple(
            RosterChange(
                RosterChangeKind(row["kind"]),
                row["designation_id"],
                row["at"],
                row["due_at"],
                row["reason"],
            )
            for row in changes
        ),
    )


async def save_roster_changes(
    connection: asyncpg.Connection,
    *,
    window_id: str,
    before: Roster,
    after: Roster,
    region_codes: Mapping[str, tuple[str, str]],
) -> list[RosterChange]:
    """Write the entries that changed and the changes appended; ``region_codes`` gives each
    new designation's (entity_type, region_code)."""
    new_changes = list(after.changes[len(before.changes) :])
    if not new_changes:
        return []
    old = {entry.designation_id: entry for entry in before.entries}
    touched = [entry for entry in after.entries if old.get(entry.designation_id) != entry]
    await insert_roster_entries(connection, window_id, touched, region_codes)
    await connection.execute(
        queries.INSERT_ROSTER_CHANGES,
        window_id,
        [c.designation_id for c in new_changes],
        [c.kind.value for c in new_changes],
        [c.at for c in new_changes],
        [c.due_at for c in new_changes],
        [c.reason for c in new_changes],
    )
    return new_changes


async def insert_roster_entries(
    connection: asyncpg.Connection,
    window_id: str,
    entries: list[RosterEntry],
    region_codes: Mapping[str, tuple[str, str]],
) -> None:
    if not entries:
        return
    await connection.execute(
        queries.INSERT_ROSTER_ENTRIES,
        window_id,
        [e.designation_id for e in entries],
        [region_codes[e.designation_id][0] for e in entries],
        [e.entity_id for e in entries],
        [e.category for e in entries],
        [region_codes[e.designation_id][1] for e in entries],
        [e.city_code for e in entries],
        [e.county_code for e in entries],
        [e.due_at for e in entries],
        [e.expected_from for e in entries],
        [e.expected_until for e in entries],
    )


def figures_from_json(raw: Mapping[str, Any]) -> dict[str, Figure]:
    return {k: v if isinstance(v, int) else Decimal(str(v)) for k, v in raw.items()}


def figures_json(figures: Mapping[str, Figure]) -> dict[str, Any]:
    """Whole numbers as JSON integers, decimals as exact strings (never floats)."""
    return {k: v if isinstance(v, int) else str(v) for k, v in figures.items()}


def _actor(actor_id: str, role: str) -> Actor:
    return Actor(actor_id, Role(role))


async def load_report(connection: asyncpg.Connection, row: Mapping[str, Any]) -> Report:
    versions = await connection.fetch(queries.VERSIONS, row["id"])
    steps = await connection.fetch(queries.STEPS, row["id"])
    return Report(
        designation_id=row["designation_id"],
        entity_id=row["entity_id"],
        city_code=row["city_code"],
        state=ReportState(row["state"]),
        versions=tuple(version_of(v) for v in versions),
        steps=tuple(
            ReviewStep(
                action=Action(s["action"]),
                actor=_actor(s["actor"], s["actor_role"]),
                at=s["at"],
                from_state=ReportState(s["from_state"]),
                to_state=ReportState(s["to_state"]),
                version=s["version"],
                reason=s["reason"],
                field_comments=s["field_comments"],
                on_behalf=s["on_behalf"],
            )
            for s in steps
        ),
    )


def version_of(row: Mapping[str, Any]) -> ReportVersion:
    return ReportVersion(
        number=row["number"],
        submitted_at=row["submitted_at"],
        submitted_by=_actor(row["submitted_by"], row["submitted_role"]),
        on_behalf=row["on_behalf"],
        figures=figures_from_json(row["figures"]),
        explanations=row["explanations"],
    )


async def save_step(
    connection: asyncpg.Connection,
    report_row: Mapping[str, Any],
    report: Report,
    *,
    warnings: list[dict[str, str]] | None = None,
    outbox_arguments: Sequence[list[Any]] = (),
) -> asyncpg.Record:
    """Persist the step (and version) ``report`` gained over the stored row: one statement.
    A submission's events go into the outbox with it when given (``outbox_arguments``: the
    arrays of ``shared.messaging.outbox.outbox_arguments``)."""
    step = report.steps[-1]
    if step.action is Action.submit:
        updated = await connection.fetchrow(
            queries.SAVE_SUBMISSION_WITH_EVENTS if outbox_arguments else queries.SAVE_SUBMISSION,
            *_submission_values(report_row["id"], report, warnings),
            *outbox_arguments,
        )
    elif outbox_arguments:
        raise ValueError("only a submission's statement takes its events")
    else:
        updated = await connection.fetchrow(
            queries.SAVE_REVIEW, report_row["id"], *step_values(step)
        )
    return updated


def _submission_values(
    report_id: object, report: Report, warnings: list[dict[str, str]] | None
) -> tuple[Any, ...]:
    """The submission statements' $1-$11: the report, its new version and the submit step."""
    step, version = report.steps[-1], report.versions[-1]
    return (
        report_id,
        version.number,
        version.submitted_at,
        version.submitted_by.id,
        version.submitted_by.role.value,
        version.on_behalf,
        figures_json(version.figures),
        dict(version.explanations),
        warnings or [],
        step.from_state.value,
        step.to_state.value,
    )


# FIRST_SUBMISSION's claim parameters when nothing is to be claimed.
NO_CLAIM = (None,) * CLAIM_PARAMETERS


async def save_first_submission(
    connection: asyncpg.Connection,
    identity: Mapping[str, Any],
    report: Report,
    *,
    warnings: list[dict[str, str]],
    outbox_arguments: Sequence[list[Any]],
    audit_record: audit.PendingRecord,
    created_at: dt.datetime,
    claim_arguments: Sequence[Any] = NO_CLAIM,
) -> asyncpg.Record:
    """Create the report with its first submission (``report``: the new report after
    ``review.submit``), version, step, events, audit record and the route's Idempotency-Key
    claim (``StatementClaim.arguments``; the row's ``key_claimed`` says whether it claimed, and
    ``superseded`` that the lease was lost and nothing written): one statement
    (``FIRST_SUBMISSION``), created at ``created_at``.
    ``identity``: the new report's id, window, designation, entity, region and city. The
    report's columns are NULL, with nothing written, when the report exists by now (created
    since the caller looked)."""
    if report.steps[-1].action is not Action.submit or len(report.versions) != 1:
        raise ValueError("only a report's first submission creates it")
    with raising_key_taken():  # a key not reserved ahead found taken: nothing written
        return await connection.fetchrow(
            queries.FIRST_SUBMISSION,
            *_submission_values(identity["id"], report, warnings),
            identity["window_id"],
            identity["designation_id"],
            identity["entity_id"],
            identity["region_code"],
            identity["city_code"],
            *outbox_arguments,
            *audit_record.arguments,
            *claim_arguments,
            created_at,
        )


def step_values(step: ReviewStep) -> tuple[Any, ...]:
    """A review step's columns, in the order every steps table and statement takes them."""
    return (
        step.action.value,
        step.actor.id,
        step.actor.role.value,
        step.at,
        step.from_state.value,
        step.to_state.value,
        step.version,
        step.reason,
        dict(step.field_comments),
    )


def extension_of(row: Mapping[str, Any]) -> ExtensionRequest:
    decided = row["decided_by"]
    return ExtensionRequest(
        id=str(row["id"]),
        designation_id=row["designation_id"],
        requested_by=_actor(row["requested_by"], row["requested_role"]),
        requested_at=row["requested_at"],
        reason=row["reason"],
        requested_due_at=row["requested_due_at"],
        status=ExtensionStatus(row["status"]),
        decided_by=_actor(decided, Role.province.value) if decided else None,
        decided_at=row["decided_at"],
        decision_reason=row["decision_reason"],
        new_due_at=row["new_due_at"],
    )


async def record_clock_point(
    connection: asyncpg.Connection,
    *,
    window_id: str,
    key: str,
    outcome: str,
    at: dt.datetime,
    late: bool,
) -> bool:
    """True when this call recorded the point (so the caller writes its event): once only."""
    return (
        await connection.fetchval(queries.RECORD_CLOCK_POINT, window_id, key, outcome, at, late)
        is not None
    )
