"""Saving a draft: an incomplete report kept for the reporter until it submits ("draft →
submitted", docs/submissions.md).

A draft is taken exactly when a submission would be (the window open, the reporter expected,
the report not under review, not locked: ``locks.submission_refusal``), so a draft never
outlives the window's rules. Its figures must be figures of the template (known indicator,
unit, type, bounds); what only a submission needs (every required figure, the cross checks,
the explanations of large changes, the figures rewards are computed from) is answered as
``pending``, not refused. A draft is no
version and emits no event; each save is audited. The submission deletes it
(``queries.SAVE_SUBMISSION``, or ``queries.FIRST_SUBMISSION`` when it creates the report).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from shared import audit
from submissions.db import queries
from submissions.db.repository import figures_from_json
from submissions.domain.actors import Actor
from submissions.domain.review import ReportState
from submissions.domain.roster import RosterEntry
from submissions.domain.validation import (
    REQUIRED_FOR_REWARD,
    Finding,
    ReportCheck,
    ReportedFigure,
    check_reporters_report,
)
from submissions.handlers.common import (
    Connection,
    Context,
    Pool,
    Row,
    Visible,
    WindowParts,
    audit_actor,
)
from submissions.handlers.reporter import Authorize, reporter_on_roster
from submissions.handlers.reports import InvalidReport

# Findings a draft may carry: it is incomplete by design; the submission must clear them.
PENDING = frozenset({"required", REQUIRED_FOR_REWARD, "cross_check", "explanation_required"})


@dataclass(frozen=True)
class Taking:
    found: Row
    actor: Actor
    parts: WindowParts
    entry: RosterEntry
    report: Row | None


async def reporter_may_write(
    connection: Connection,
    context: Context,
    window_id: str,
    designation_id: str,
    *,
    authorize: Authorize,
    now: dt.datetime,
) -> Taking:
    """The window, roster entry and report of a reporter that may write now (a draft, an
    attachment) under the rules of a submission; else ``NotFound`` or ``Refused``."""
    reporter = await reporter_on_roster(connection, context, window_id, designation_id, authorize)
    report = await connection.fetchrow(queries.REPORT, window_id, designation_id)
    reporter.refuse_unless_taken(
        designation_id,
        state=ReportState(report["state"]) if report else ReportState.draft,
        has_submitted=bool(report and report["first_submitted_at"]),
        now=now,
    )
    return Taking(reporter.found, reporter.actor, reporter.parts, reporter.entry, report)


@dataclass(frozen=True)
class SavedDraft:
    draft: Row
    pending: list[Finding]


def _reported(raw: object) -> ReportedFigure:
    if isinstance(raw, dict):
        unit = raw.get("unit")
        return ReportedFigure(raw.get("value"), unit if unit is None else str(unit))
    return ReportedFigure(raw)


async def save_draft(
    pool: Pool,
    context: Context,
    *,
    window_id: str,
    designation_id: str,
    authorize: Authorize,
    figures: Mapping[str, Any],
    explanations: Mapping[str, str],
    now: dt.datetime,
    check_revision: Callable[[int | None], None] | None = None,
) -> SavedDraft:
    """Replace the reporter's draft with ``figures`` as sent (JSON values). ``check_revision``
    sees the current draft's revision (None: no draft yet), locked until the commit."""
    async with pool.acquire() as connection, connection.transaction():
        taking = await reporter_may_write(
            connection, context, window_id, designation_id, authorize=authorize, now=now
        )
        if check_revision is not None:
            check_revision(
                await connection.fetchval(queries.DRAFT_REVISION, window_id, designation_id)
            )
        found, actor, parts, entry = taking.found, taking.actor, taking.parts, taking.entry
        last = found["last_figures"]
        check = check_reporters_report(
            parts.programme,
            {name: _reported(value) for name, value in figures.items()},
            category=entry.category,
            entity_type=found["entity_type"],
            last_accepted=figures_from_json(last) if last else None,
            explanations=explanations,
        )
        blocking = tuple(f for f in check.errors if f.code not in PENDING)
        if blocking:
            raise InvalidReport(ReportCheck(check.figures, blocking, (), ()))
        pending = [f for f in (*check.errors, *check.unexplained) if f.code in PENDING]
        draft: Row = await connection.fetchrow(  # an upsert: always a row
            queries.SAVE_DRAFT,
            window_id,
            designation_id,
            dict(figures),
            dict(explanations),
            actor.id,
            actor.role.value,
            now,
        )
        await audit.record_change_by(
            connection,
            audit_actor(actor),
            "report.draft_saved",
            audit.Resource("report_draft", f"{window_id}/{designation_id}", found["region_code"]),
            after={"figures": dict(figures), "explanations": dict(explanations)},
            details={"revision": draft["revision"], "pending": len(pending)},
        )
    return SavedDraft(draft, pending)


async def find_draft(
    pool: Pool, window_id: str, designation_id: str, visible: Visible
) -> Mapping[str, Any]:
    """The reporter's draft when the caller may see it; ``visible`` raises when it is absent
    or another's."""
    return visible(await pool.fetchrow(queries.DRAFT, window_id, designation_id))
