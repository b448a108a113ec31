"""Submitting a report version and the review steps, each in one transaction with its events.

004_9c19d9a85d8c1f73.txt 三(三): reporters report through their city bureau to the province.
The rules are the domain's (``review``, ``locks``, ``validation``); this module loads, applies,
and stores the result with its events.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared import audit
from shared.events.envelope import DomainEvent
from shared.events.submissions import (
    ReportAccepted,
    ReportRecommended,
    ReportReturned,
    ReportSubmitted,
    ValidationFlagged,
)
from shared.messaging.outbox import outbox_arguments
from submissions.db import queries
from submissions.db.repository import (
    NO_CLAIM,
    figures_from_json,
    figures_json,
    load_report,
    save_first_submission,
    save_step,
)
from submissions.domain import review
from submissions.domain.actors import Actor
from submissions.domain.deadlines import (
    Timeliness,
    timeliness,
)
from submissions.domain.review import Action, Report
from submissions.domain.validation import ReportCheck, ReportedFigure, check_reporters_report
from submissions.domain.versions import ReportVersion
from submissions.handlers.common import (
    BeforeCommit,
    ClaimInStatement,
    Connection,
    Context,
    NotFound,
    Pool,
    Row,
    audit_actor,
    load_window,
    publish_and_claim,
    record_review_step,
)
from submissions.handlers.reporter import Authorize, Reporter, reporter_on_roster


class InvalidReport(Exception):
    """The figures break the template (errors) or warned changes lack an explanation."""

    def __init__(self, check: ReportCheck) -> None:
        super().__init__("the report is not valid")
        self.check = check


@dataclass(frozen=True)
class Submitted:
    report: Row
    version: int
    on_time: bool
    warnings: list[dict[str, str]]


@dataclass(frozen=True)
class _Taken:
    """A submission the rules took: the report after it, and what its write and answer carry."""

    report: Report
    version: ReportVersion
    on_time: bool
    warnings: list[dict[str, str]]
    events: list[DomainEvent]


def _take(
    reporter: Reporter,
    report: Report,
    identity: Mapping[str, Any],
    *,
    figures: Mapping[str, object],
    explanations: Mapping[str, str],
    now: dt.datetime,
) -> _Taken:
    """The rules on a submission of ``report`` (as stored, or new): ``Refused`` when the window
    does not take it, ``InvalidReport`` when the figures fail; else the report with its new
    version and the events (``identity``: the report's id, window, designation, entity, city)."""
    designation_id, found, parts, entry = (
        report.designation_id, reporter.found, reporter.parts, reporter.entry
    )  # fmt: skip
    deadlines = reporter.refuse_unless_taken(
        designation_id, state=report.state, has_submitted=bool(report.versions), now=now
    )
    last = found["last_figures"]
    check = check_reporters_report(
        parts.programme,
        {k: v if isinstance(v, ReportedFigure) else ReportedFigure(v) for k, v in figures.items()},
        category=entry.category,
        entity_type=found["entity_type"],
        last_accepted=figures_from_json(last) if last else None,
        explanations=explanations,
    )
    if not check.ready_to_submit:
        raise InvalidReport(check)
    updated_report = review.submit(
        report, actor=reporter.actor, at=now, figures=check.figures, explanations=explanations
    )
    warnings = [
        {
            "field": w.field,
            "code": w.code,
            "message": w.message,
            "explanation": explanations.get(w.field, ""),
        }
        for w in check.warnings
    ]
    version = updated_report.versions[-1]
    first_at = updated_report.first_submitted_at
    if first_at is None:
        raise ValueError("a submitted report has its first submission time")
    on_time = timeliness(first_at, deadlines.due_at) is Timeliness.on_time
    # The event's fields are the report's identity, which saving the step leaves as it was:
    # the events go into the outbox with the version, one statement.
    common = _report_fields(identity, version.number)
    events: list[DomainEvent] = [
        ReportSubmitted(
            **common,
            submitted_by=reporter.actor.id,
            on_behalf=version.on_behalf,
            first=version.number == 1,
            on_time=on_time,
        )
    ]
    if warnings:
        events.append(ValidationFlagged(**common, warnings=warnings))
    return _Taken(updated_report, version, on_time, warnings, events)


async def submit_report(
    pool: Pool,
    context: Context,
    *,
    window_id: str,
    designation_id: str,
    authorize: Authorize,
    figures: Mapping[str, object],
    explanations: Mapping[str, str],
    now: dt.datetime,
    before_commit: BeforeCommit | None = None,
    claim_in_statement: ClaimInStatement | None = None,
) -> Submitted:
    """A new immutable version. ``authorize`` sees the roster entry (region, entity) and
    answers the acting ``Actor`` or raises. Refused with the reason when the window does not
    take the report. Few round trips: this is the 10 December rush's path. With the route's
    key claimed by the write's own statement (``claim_in_statement``), a first submission is
    that statement alone, its own transaction: no BEGIN, no COMMIT (the context read locks
    nothing, a hint as it is inside a transaction); ``before_commit`` then runs only when the
    report turns out to exist. Without it, all in one transaction, ``before_commit`` last."""
    alone = claim_in_statement is not None
    async with pool.acquire() as connection:
        async with contextlib.nullcontext() if alone else connection.transaction():
            reporter = await reporter_on_roster(
                connection, context, window_id, designation_id, authorize
            )
            submission = _Submission(
                connection, context, reporter, (figures, explanations, now), before_commit
            )
            if not reporter.found["has_report"]:
                first = await submission.first(claim_in_statement)
                if first is not None:
                    return first
            if not alone:
                return await submission.later()
        async with connection.transaction():
            return await submission.later()


@dataclass(frozen=True)
class _Submission:
    """A submission's writes, once its reporter is known: a first one (the report created with
    it) or a later one (on the report locked)."""

    connection: Connection
    context: Context
    reporter: Reporter
    asked: tuple[Mapping[str, object], Mapping[str, str], dt.datetime]  # figures, explanations, now
    before_commit: BeforeCommit | None

    def _take(self, report: Report, identity: Mapping[str, Any]) -> _Taken:
        figures, explanations, now = self.asked
        return _take(
            self.reporter, report, identity, figures=figures, explanations=explanations, now=now
        )

    def _events(self, taken: _Taken) -> tuple[list[Any], ...]:
        source, prefix = self.context.event_source, self.context.topic_prefix
        return outbox_arguments(taken.events, source=source, topic_prefix=prefix)

    def _new_report(self) -> Report:
        entry = self.reporter.entry
        return Report(entry.designation_id, entry.entity_id, entry.city_code)

    async def first(self, claim: ClaimInStatement | None) -> Submitted | None:
        """The first submission (the rush): the report created with it, with its events, audit
        record and the key's claim (``claim``; else ``before_commit`` after it), in one
        statement; nothing is written before the rules took it. None when the report was
        created meanwhile (nothing written)."""
        found, entry = self.reporter.found, self.reporter.entry
        identity = {
            "id": uuid.uuid4(),
            "window_id": found["id"],
            "designation_id": entry.designation_id,
            "entity_id": entry.entity_id,
            "region_code": found["region_code"],
            "city_code": entry.city_code,
        }
        taken = self._take(self._new_report(), identity)
        # The answer is known before the statement (the new row's values are its arguments),
        # so the key is claimed by it.
        expected = _first_report_row(identity, taken, found["read_at"])
        answer = Submitted(expected, taken.version.number, taken.on_time, taken.warnings)
        stored = await save_first_submission(
            self.connection,
            identity,
            taken.report,
            warnings=taken.warnings,
            outbox_arguments=self._events(taken),
            audit_record=_submitted_record(
                self.reporter.actor, identity, taken, entry.designation_id
            ),
            created_at=found["read_at"],
            claim_arguments=claim.arguments(answer) if claim is not None else NO_CLAIM,
        )
        if stored["superseded"] and claim is not None:
            claim.confirm(False)  # the lease is another's: raises, nothing was written
        if stored["id"] is None:
            return None
        if any(stored[name] != value for name, value in expected.items()):
            raise RuntimeError("the new report was stored otherwise than answered")
        result = Submitted(stored, taken.version.number, taken.on_time, taken.warnings)
        if claim is not None:
            claim.confirm(stored["key_claimed"])
        elif self.before_commit is not None:
            await self.before_commit(self.connection, result)
        return result

    async def later(self) -> Submitted:
        """A submission on the report as it stands, locked (or created as a draft now)."""
        connection, found, entry = self.connection, self.reporter.found, self.reporter.entry
        row: Row = await connection.fetchrow(  # an upsert: always a row
            queries.UPSERT_REPORT,
            uuid.uuid4(),
            found["id"],
            entry.designation_id,
            entry.entity_id,
            found["region_code"],
            entry.city_code,
        )
        report = self._new_report() if row["inserted"] else await load_report(connection, row)
        taken = self._take(report, row)
        stored = await save_step(
            connection,
            row,
            taken.report,
            warnings=taken.warnings,
            outbox_arguments=self._events(taken),
        )
        result = Submitted(stored, taken.version.number, taken.on_time, taken.warnings)
        if self.before_commit is not None:
            await self.before_commit(connection, result)
        await audit.record_changes(
            connection,
            [_submitted_record(self.reporter.actor, stored, taken, entry.designation_id)],
        )
        return result


def _first_report_row(
    identity: Mapping[str, Any], taken: _Taken, created_at: dt.datetime
) -> dict[str, Any]:
    """The row ``FIRST_SUBMISSION`` creates, as the database will answer it (times in UTC)."""
    return {
        **identity,
        "state": taken.report.steps[-1].to_state.value,
        "revision": 2,
        "first_submitted_at": taken.version.submitted_at.astimezone(dt.UTC),
        "created_at": created_at,
        "updated_at": created_at,
    }


def _submitted_record(
    actor: Actor, report: Mapping[str, Any], taken: _Taken, designation_id: str
) -> audit.PendingRecord:
    """The audit record of a submission, on the report (its id and region)."""
    version = taken.version
    return audit.change_record(
        actor=audit_actor(actor),
        action="report.submitted",
        resource_type="report",
        resource_id=report["id"],
        region_code=report["region_code"],
        after={
            "version": version.number,
            "figures": figures_json(version.figures),
            "explanations": dict(version.explanations),
        },
        details={
            "designation_id": designation_id,
            "on_behalf": version.on_behalf,
            "on_time": taken.on_time,
            "warnings": len(taken.warnings),
        },
    )


def _report_fields(row: Mapping[str, Any], version: int) -> dict[str, object]:
    return {
        "report_id": str(row["id"]),
        "window_id": row["window_id"],
        "designation_id": row["designation_id"],
        "entity_id": row["entity_id"],
        "city_code": row["city_code"],
        "version": version,
    }


async def review_report(
    pool: Pool,
    context: Context,
    *,
    window_id: str,
    designation_id: str,
    authorize: Callable[[Mapping[str, Any] | None], Actor],
    action: Action,
    reason: str | None,
    field_comments: Mapping[str, str],
    now: dt.datetime,
    check_revision: object = None,
    before_commit: BeforeCommit | None = None,
) -> Row:
    """One review step (city return or recommend; province accept or return). ``authorize``
    sees the report (None when there is none) and answers the acting ``Actor`` or raises."""
    async with pool.acquire() as connection, connection.transaction():
        await load_window(connection, context, window_id)
        row = await connection.fetchrow(queries.REPORT_FOR_UPDATE, window_id, designation_id)
        actor = authorize(row)
        if row is None:
            raise NotFound("report", designation_id)
        if callable(check_revision):
            check_revision(row["revision"])
        report = await load_report(connection, row)
        updated = review.review(
            report, actor, action, at=now, reason=reason, field_comments=field_comments
        )
        stored = await save_step(connection, row, updated)
        step = updated.steps[-1]
        common = _report_fields(stored, step.version)
        event: DomainEvent
        if action is Action.city_recommend:
            event = ReportRecommended(**common, recommended_by=actor.id, reason=step.reason)
        elif action is Action.province_accept:
            figures = updated.current.figures if updated.current else {}
            event = ReportAccepted(
                **common, accepted_by=actor.id, figures={k: str(v) for k, v in figures.items()}
            )
        else:
            event = ReportReturned(
                **common,
                returned_by=actor.id,
                by=actor.role.value,
                to="city_bureau" if action is Action.province_return_to_city else "reporter",
                reason=step.reason,
                field_comments=dict(step.field_comments),
            )
        await publish_and_claim(
            connection, context, [event], before_commit=before_commit, result=stored
        )
        await record_review_step(
            connection,
            step,
            resource_type="report",
            stored=stored,
            details={"designation_id": designation_id},
        )
    return stored
