"""Use cases of dynamic management: the designation workflow's cycle plan and its decisions.
Each decision writes its standing row, the designation's current standing, its events (outbox)
and its audit record in one transaction; the workflow numbers decisions, so a retried activity
finds its row and changes nothing.

Revocation is ``awards.designation.revoked`` (with reason, legal basis, evidence and who
decided). It is the hook for the rewards side: whether unpaid rewards are cancelled and paid
ones flagged for recovery is the rewards consumer's programme setting, not decided here.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from awards.config import DEFAULT_EVENT_SOURCE
from awards.db import standing as queries
from awards.domain.standing import (
    Outcome,
    ReportFacts,
    Standing,
    evaluate,
    re_evaluate,
    rectify_by,
)
from awards.handlers.common import Connection, Pool, Row, request_context
from awards.workflows.types import CyclePlan, Decision, DecisionRequest, DesignationStart
from shared import audit
from shared.china_time import CHINA
from shared.events.designations import (
    DesignationReinstated,
    DesignationRevoked,
    DesignationWarned,
)
from shared.events.envelope import DomainEvent
from shared.messaging.outbox import append_events
from shared.programmes import Programme
from shared.programmes.standing import DynamicManagement

CLOCK = audit.Actor.process("awards-standing")


class NotManaged(LookupError):
    """The programme runs no dynamic management (its file has no ``dynamic_management``)."""

    def __init__(self, programme_id: str) -> None:
        super().__init__(f"programme {programme_id} has no dynamic management")


class UnknownDesignation(LookupError):
    def __init__(self, designation_id: str) -> None:
        super().__init__(f"no designation {designation_id}")


def _managed(programme: Programme) -> DynamicManagement:
    if programme.dynamic_management is None:
        raise NotManaged(programme.id)
    return programme.dynamic_management


def judged_window(programme: Programme, year: int) -> str:
    """The id of the reporting window whose report the year's evaluation judges (the id the
    submissions service gives the window's year)."""
    return f"{programme.id}.{_managed(programme).reporting_window}.{year}"


def cycle_plan(programme: Programme, year: int) -> CyclePlan:
    managed = programme.dynamic_management
    window = next(
        (w for w in programme.reporting_windows if managed and w.id == managed.reporting_window),
        None,
    )
    days = managed.rectification_days if managed else 90
    if managed is None or window is None:
        return CyclePlan(year=year, evaluate_at=None, rectification_days=days, programme_over=True)
    try:
        schedule = window.schedule(year)
    except KeyError:
        later = window.last_year is None or year < window.last_year
        return CyclePlan(
            year=year, evaluate_at=None, rectification_days=days, programme_over=not later
        )
    return CyclePlan(
        year=year,
        evaluate_at=schedule.locks_at,
        grace_until=schedule.grace_until,
        rectification_days=days,
        programme_over=False,
        window_id=judged_window(programme, year),
    )


def _facts(row: Row | None) -> ReportFacts:
    if row is None:
        return ReportFacts()
    figures = row["accepted_figures"]
    return ReportFacts(
        first_submitted_at=row["first_submitted_at"],
        accepted_figures=figures,
    )


def with_first_plan(start: DesignationStart, programme: Programme | None) -> DesignationStart:
    """The first run's input with its cycle's plan, taken by the starter: the workflow's first
    task then starts its timer without another activity (the designations benchmark)."""
    if programme is None or start.plan is not None:
        return start
    return start.model_copy(update={"plan": cycle_plan(programme, start.year)})


async def report_facts(connection: Connection, designation_id: str, window_id: str) -> ReportFacts:
    return _facts(await connection.fetchrow(queries.ANNUAL_REPORT, designation_id, window_id))


@dataclass(frozen=True)
class _Judged:
    """One decision made, with what it writes."""

    decision: Decision
    row: tuple[object, ...]
    events: list[DomainEvent]
    record: audit.PendingRecord


async def decide_many(
    pool: Pool,
    requests: Sequence[DecisionRequest],
    programmes: Mapping[str, Programme],
    *,
    topic_prefix: str,
    event_source: str = DEFAULT_EVENT_SOURCE,
) -> list[Decision]:
    """Decisions of different designations in one transaction, in a fixed number of round
    trips (one read, one write, one for the events, one for the audit records, chained in the
    requests' order); each is what it would write alone. A request whose number is decided
    already gets that decision and writes nothing (a retried activity)."""
    async with pool.acquire() as connection, connection.transaction():
        return await _decide_many(
            connection,
            requests,
            programmes,
            topic_prefix=topic_prefix,
            event_source=event_source,
        )


async def _decide_many(
    connection: Connection,
    requests: Sequence[DecisionRequest],
    programmes: Mapping[str, Programme],
    *,
    topic_prefix: str,
    event_source: str,
) -> list[Decision]:
    rows = await connection.fetch(
        queries.DECISION_INPUTS,
        [uuid.UUID(r.designation_id) for r in requests],
        [r.seq for r in requests],
        [r.window_id for r in requests],
    )
    designations = {(str(row["id"]), row["seq_asked"]): row for row in rows}
    decisions: list[Decision] = []
    judged: dict[tuple[str, int], _Judged] = {}
    for request in requests:
        key = (request.designation_id, request.seq)
        designation = designations.get(key)
        if designation is None:
            raise UnknownDesignation(request.designation_id)
        if key in judged:  # the same decision asked twice in one batch: made once
            decisions.append(judged[key].decision)
        elif designation["decided"]:  # a retried activity: the decision stands as written
            decisions.append(
                Decision(
                    standing=Standing(designation["decided_standing"]),
                    reason=designation["decided_reason"],
                    rectify_by=designation["decided_rectify_by"],
                )
            )
        else:
            judged[key] = await _judge(connection, designation, request, programmes)
            decisions.append(judged[key].decision)
    if judged:
        made = list(judged.values())
        columns = list(zip(*(j.row for j in made), strict=True))
        await connection.execute(queries.RECORD_DECISIONS, *columns)
        events = [event for j in made for event in j.events]
        await append_events(connection, events, source=event_source, topic_prefix=topic_prefix)
        await audit.record_changes(connection, [j.record for j in made])
    return decisions


async def _judge(
    connection: Connection,
    designation: Row,
    request: DecisionRequest,
    programmes: Mapping[str, Programme],
) -> _Judged:
    programme = programmes[designation["programme_id"]]
    managed = programme.dynamic_management
    legal_basis = request.legal_basis or (managed.legal_basis if managed else None)
    today = request.at.astimezone(CHINA).date()
    if request.kind in ("evaluate", "re_evaluate"):
        rules = _managed(programme)
        window_id = judged_window(programme, request.year)
        facts = (
            _facts(designation if designation["reported"] else None)
            if request.window_id == window_id
            # a plan from before window_id was carried (older histories) names no window
            else await report_facts(connection, request.designation_id, window_id)
        )
        thresholds = rules.thresholds_for(designation["category"])
        outcome: Outcome = (
            evaluate(facts, grace_until=request.grace_until or request.at, thresholds=thresholds)
            if request.kind == "evaluate"
            else re_evaluate(facts, thresholds=thresholds)
        )
        standing, reason = outcome.standing, outcome.reason
        evidence = {"window_id": window_id, **outcome.evidence()}
        step = {
            (Standing.good_standing, "evaluate"): "good_standing",
            (Standing.warning, "evaluate"): "warned",
            (Standing.good_standing, "re_evaluate"): "rectified",
            (Standing.revoked, "re_evaluate"): "revoked",
        }[(standing, request.kind)]
    elif request.kind == "violation":
        standing, step = Standing.revoked, "revoked_for_violation"
        reason, evidence = request.reason or "major violation", request.evidence
    else:
        standing, step = Standing.good_standing, "reinstated"
        reason, evidence = request.reason or "reinstated by the province", {}
    rectify = (
        rectify_by(today, request.rectification_days) if standing is Standing.warning else None
    )
    actor = request.actor
    decided_by = actor.subject if actor else "awards"
    with request_context(request.request):
        record = audit.change_record(
            actor=audit.Actor(actor.subject, actor.roles, actor.region_code) if actor else CLOCK,
            action=f"designation.{step}",
            resource_type="designation",
            resource_id=designation["id"],
            region_code=designation["region_code"],
            before={"standing": designation["standing"]},
            after={"standing": standing.value, "year": request.year, "rectify_by": rectify},
            reason=reason,
            details={"evidence": evidence, "legal_basis": legal_basis},
        )
    row = (
        designation["id"], request.seq, request.year, standing.value, step, reason,
        json.dumps(evidence, ensure_ascii=False), legal_basis, rectify, decided_by, request.at,
    )  # fmt: skip
    return _Judged(
        decision=Decision(standing=standing, reason=reason, rectify_by=rectify),
        row=row,
        events=_events(designation, step, request, reason, evidence, legal_basis, rectify, today),
        record=record,
    )


def _events(
    designation: Row,
    step: str,
    request: DecisionRequest,
    reason: str,
    evidence: dict[str, object],
    legal_basis: str | None,
    rectify: dt.date | None,
    today: dt.date,
) -> list[DomainEvent]:
    common = {
        "designation_id": str(designation["id"]),
        "programme_id": designation["programme_id"],
        "category": designation["category"],
        "entity_id": designation["entity_id"],
        "region_code": designation["region_code"],
    }
    decided_by = request.actor.subject if request.actor else "awards"
    if step == "warned":
        if rectify is None or legal_basis is None:
            raise ValueError("a warning names its rectification deadline and legal basis")
        return [
            DesignationWarned(
                **common,
                year=request.year,
                reason=reason,
                rectify_by=rectify,
                legal_basis=legal_basis,
                evidence=evidence,
            )
        ]
    if step in ("revoked", "revoked_for_violation"):
        return [
            DesignationRevoked(
                **common,
                entity_type=designation["entity_type"],
                revoked_on=today,
                reason=reason,
                legal_basis=legal_basis,
                evidence=evidence,
                revoked_by=decided_by,
                major_violation=step == "revoked_for_violation",
                year=request.year,
            )
        ]
    if step in ("rectified", "reinstated"):
        return [
            DesignationReinstated(
                **common,
                entity_type=designation["entity_type"],
                reinstated_on=today,
                by="rectification" if step == "rectified" else "province",
                reason=reason,
                reinstated_by=decided_by,
            )
        ]
    return []
