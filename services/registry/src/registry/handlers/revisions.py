"""Programme revisions (docs/programmes.md, "Revisions"): the province of a programme's
jurisdiction revises it through the API; a changed programme file does at deploy. Each revision
is validated by the model of the files and the document's guards, recorded for good (who, when,
why), kept as the registry's own current definition and published with the whole programme, in
one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from registry.db import programmes as sql
from registry.domain.revisions import Change, changes
from registry.handlers.common import Connection, Context, Row
from shared import audit
from shared.auth import Principal
from shared.auth.scope import may_revise_programme
from shared.events.programmes import ProgrammeRevised
from shared.http import catalogue
from shared.http.etag import check_if_match, etag_for
from shared.http.pagination import cursor_int, next_cursor, read_cursor
from shared.http.problems import ProblemError, forbidden, invalid, not_found
from shared.i18n import t
from shared.programmes import InvalidProgramme, Programme, validate_programme
from shared.programmes.catalogue import SHIPPED
from shared.programmes.guards import Violation, guard, unchangeable
from shared.programmes.revisions import store_definition

PROGRAMME = t("规划", "programme")


@dataclass(frozen=True)
class Current:
    """A programme as it stands, and its revision (0: the shipped file, none recorded yet)."""

    programme: Programme
    revision: int

    @property
    def etag(self) -> str:
        return etag_for(self.revision)


@dataclass(frozen=True)
class Revision:
    """One recorded revision, with what it changed against the one before (none for the
    first)."""

    row: Row
    previous: int | None
    changes: list[Change]


def _known(context: Context, programme_id: str) -> Programme:
    programme = context.programmes.get(programme_id)
    if programme is None:
        raise not_found(PROGRAMME, programme_id)
    return programme


async def current(context: Context, programme_id: str) -> Current:
    """The newest revision as recorded: the catalogue's programme when it holds that revision
    (the usual case), else the recorded one, which the catalogue then holds too."""
    known = _known(context, programme_id)
    latest = await context.pool.fetchval(sql.LATEST_REVISION_NUMBER, programme_id)
    if latest is None:
        return Current(known, SHIPPED)
    if context.programmes.revision(programme_id) == latest:
        # Read again: the refresher may have taken a revision while the query ran.
        return Current(context.programmes[programme_id], latest)
    row = await context.pool.fetchrow(sql.REVISION, programme_id, latest)
    programme = validate_programme(row["definition"])
    context.programmes.apply(programme, latest)
    return Current(programme, latest)


async def revise(
    context: Context,
    principal: Principal,
    *,
    programme_id: str,
    definition: dict[str, Any],
    reason: str,
    if_match: str | None,
) -> Revision:
    """Record ``definition`` as the next revision: the province over the jurisdiction only;
    If-Match names the revision read (428 without, 412 stale); 422 when the model refuses it,
    when it changes what identifies the programme, or when it breaks the document's figures."""
    known = _known(context, programme_id)
    if not may_revise_programme(principal, jurisdiction=known.jurisdiction):
        raise forbidden(
            t(
                "规划由其所辖省份的省级商务主管部门修订",
                "a programme is revised by the province administration of its jurisdiction",
            )
        )
    async with context.pool.acquire() as connection, connection.transaction():
        await connection.execute(sql.LOCK_PROGRAMME, programme_id)
        latest = await connection.fetchrow(sql.LATEST_REVISION, programme_id)
        number = SHIPPED if latest is None else latest["revision"]
        check_if_match(if_match, number)
        programme = _valid(definition)
        _same_identity(known, programme)
        _within_the_document(programme)
        before = known.model_dump(mode="json") if latest is None else latest["definition"]
        row = await _record(
            connection,
            context,
            programme,
            number + 1,
            source="api",
            author=principal.subject,
            reason=reason,
        )
        found = changes(before, row["definition"])
        await audit.record_change_by(
            connection,
            principal,
            "programme.revised",
            audit.Resource("programme", programme_id, known.jurisdiction),
            before={"revision": number},
            after={"revision": number + 1},
            reason=reason,
            details={"changed": [change.path for change in found]},
        )
    context.programmes.apply(programme, number + 1)
    return Revision(row, number if number else None, found)


def _valid(definition: dict[str, Any]) -> Programme:
    try:
        return validate_programme(definition)
    except InvalidProgramme as exc:
        errors = [
            {
                "field": f"body.definition.{problem.field}" if problem.field else "body.definition",
                "message": problem.reason
                if problem.item_id is None
                else f"{problem.reason} (id {problem.item_id!r})",
                "type": problem.kind or "programme",
            }
            for problem in exc.problems
        ]
        raise invalid(errors) from exc


def _same_identity(known: Programme, programme: Programme) -> None:
    fields = unchangeable(known, programme)
    if fields:
        message = t(
            "规划的标识、辖区和依据文件不随修订改变；新文件即新规划",
            "a revision keeps the programme's id, jurisdiction and document; "
            "another document is another programme",
        )
        raise invalid(
            [
                {"field": f"body.definition.{f}", "message": message, "type": "unchangeable"}
                for f in fields
            ]
        )


def violation_document(violation: Violation) -> dict[str, str]:
    quote = violation.quote
    return {
        "field": f"body.definition.{violation.field}",
        "rule": violation.rule,
        "quote": quote.text,
        "file": quote.file,
        "section": quote.section,
    }


def _within_the_document(programme: Programme) -> None:
    violations = guard(programme)
    if not violations:
        return
    fields = ", ".join(violation.field for violation in violations)
    quotes = "；".join(dict.fromkeys(f"“{v.quote.text}”" for v in violations))
    raise ProblemError(
        catalogue.DOCUMENT_RULE_BROKEN,
        t(f"{fields} 违反规划文件：{quotes}", f"{fields} break the programme's document: {quotes}"),
        extra={
            "violations": [violation_document(violation) for violation in violations],
            "errors": [
                {
                    "field": f"body.definition.{violation.field}",
                    "message": f"{violation.rule}: “{violation.quote.text}”",
                    "type": "document_rule",
                }
                for violation in violations
            ],
        },
    )


async def _record(
    connection: Connection,
    context: Context,
    programme: Programme,
    number: int,
    *,
    source: Literal["file", "api"],
    author: str,
    reason: str,
    file_sha256: str | None = None,
) -> Row:
    """The revision's row, the registry's current definition and the event, in the caller's
    transaction (which holds the programme's lock)."""
    definition = programme.model_dump(mode="json")
    row: Row = await connection.fetchrow(
        sql.INSERT_REVISION,
        programme.id,
        number,
        definition,
        source,
        file_sha256,
        author,
        reason,
    )
    await store_definition(connection, programme.id, number, definition)
    event = ProgrammeRevised(
        programme_id=programme.id,
        revision=number,
        definition=definition,
        source=source,
        author=author,
        reason=reason,
        revised_at=row["created_at"],
    )
    await context.publish(connection, [event])
    return row


@dataclass(frozen=True)
class RevisionsPage:
    rows: list[Row]
    next_cursor: str | None


async def revisions_page(
    context: Context, programme_id: str, *, cursor: str | None, limit: int
) -> RevisionsPage:
    """Newest first; ``cursor`` reads on from the previous page's last revision."""
    _known(context, programme_id)
    before = read_cursor(cursor, lambda position: cursor_int(position["before"]))
    rows = await context.pool.fetch(sql.REVISIONS_PAGE, programme_id, before, limit + 1)
    following = next_cursor(rows, limit, lambda last: {"before": last["revision"]})
    return RevisionsPage(rows[:limit], following)


async def revision(context: Context, programme_id: str, number: int) -> Revision:
    """Revision ``number`` with its changes against ``number - 1``."""
    _known(context, programme_id)
    row = await context.pool.fetchrow(sql.REVISION, programme_id, number)
    if row is None:
        raise not_found(t("规划修订", "programme revision"), f"{programme_id}/{number}")
    if number == 1:
        return Revision(row, None, [])
    previous = await context.pool.fetchrow(sql.REVISION, programme_id, number - 1)
    return Revision(row, number - 1, changes(previous["definition"], row["definition"]))


@dataclass(frozen=True)
class FileRevision:
    programme_id: str
    revision: int
    file_name: str


async def record_file(
    context: Context,
    programme: Programme,
    *,
    file_name: str,
    sha256: str,
) -> FileRevision | None:
    """A shipped programme file as a revision (docs/programmes.md, "Revisions"): revision 1
    when the programme has none; the next one when the file differs from the last file
    recorded (the file replaces the whole definition; revisions made through the API since
    stay in the history); nothing when the file is the one recorded."""
    violations = guard(programme)
    if violations:
        broken = "; ".join(f"{v.field}: {v.rule} (“{v.quote.text}”)" for v in violations)
        raise ValueError(f"programme file {file_name} breaks its document: {broken}")
    async with context.pool.acquire() as connection, connection.transaction():
        await connection.execute(sql.LOCK_PROGRAMME, programme.id)
        latest = await connection.fetchval(sql.LATEST_REVISION_NUMBER, programme.id)
        if latest is None:
            reason = f"programme file {file_name}"
        elif await connection.fetchval(sql.LATEST_FILE_SHA256, programme.id) != sha256:
            reason = f"programme file {file_name} changed"
        else:
            return None
        number = 1 if latest is None else latest + 1
        await _record(
            connection,
            context,
            programme,
            number,
            source="file",
            author="deploy",
            reason=reason,
            file_sha256=sha256,
        )
        await audit.record_change_by(
            connection,
            audit.Actor.process("registry-migrate"),
            "programme.revised",
            audit.Resource("programme", programme.id, programme.jurisdiction),
            before=None if latest is None else {"revision": latest},
            after={"revision": number},
            reason=reason,
        )
    return FileRevision(programme.id, number, file_name)
