"""``GET /v1/audit`` (cursor-paged, newest first) and ``GET /v1/audit.csv``: the service's audit
records over the regions the caller administers, as ``shared.auth.scope.audit_scope`` says.

Contacts in the records' before/after/details are masked for every reader (``shared.masking``).
Reading the audit trail is itself recorded (an ``access`` row, with the filters): the records
say who looked at what, so who read them is accountable too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from dataclasses import asdict, astuple, dataclass
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from shared.audit import queries
from shared.audit.context import AuditContextMiddleware
from shared.audit.records import Actor, record_access
from shared.auth import CurrentPrincipal, Principal
from shared.auth.scope import AuditScope, audit_scope
from shared.china_time import CHINA
from shared.csv_cells import csv_cell
from shared.http import catalogue
from shared.http.pagination import Page, PageQuery, next_cursor, read_cursor
from shared.http.problems import ProblemError
from shared.http.request_body import QueryInstant
from shared.i18n import t
from shared.masking import mask_personal
from shared.settings import ServiceSettings

router = APIRouter(prefix="/v1", tags=["audit"])

FETCH_ROWS = 2_000
# A time without an offset would be read in the server's zone, which says nothing to a caller
# in China reading UTC records: refused (422) instead.
TIME = "an ISO 8601 time with its UTC offset (2026-01-02T08:00:00+08:00 or …Z)"
FROM = Query(default=None, alias="from", description=f"records at or after {TIME}")
TO = Query(default=None, alias="to", description=f"records before {TIME}")
ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Only the province, city and county bureaus and integrators read it"},
    422: {"description": "Invalid input (`from`/`to` without a UTC offset): `errors` names it"},
}


class AuditRecordPublic(BaseModel):
    seq: int
    recorded_at: dt.datetime  # UTC
    recorded_at_china: str  # the same instant in China time, as people read it
    kind: str
    action: str
    resource_type: str
    resource_id: str | None
    region_code: str | None
    actor_subject: str
    actor_roles: list[str]
    actor_region: str | None
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    details: dict[str, Any] | None
    request_id: str | None
    trace_id: str | None
    client_ip: str | None
    user_agent: str | None
    prev_hash: str
    row_hash: str


def china_time(moment: dt.datetime) -> str:
    return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")


def masked(row: asyncpg.Record) -> dict[str, Any]:
    values = dict(row)
    for column in ("before", "after", "details"):
        values[column] = mask_personal(values[column])
    return values


def to_public(row: asyncpg.Record) -> AuditRecordPublic:
    return AuditRecordPublic.model_validate(
        masked(row) | {"recorded_at_china": china_time(row["recorded_at"])}
    )


def scope_of(principal: Principal) -> AuditScope:
    """Decided before any query, so a refusal says nothing about the records."""
    scope = audit_scope(principal)
    if scope is None:
        raise ProblemError(
            catalogue.FORBIDDEN,
            t(
                "审计记录仅供商务主管部门和获授权的对接系统查阅",
                "the audit trail is read by the administration and integrators",
            ),
        )
    return scope


@dataclass(frozen=True)
class AuditFilters:
    """What both reads filter by, in ``queries.search``'s order."""

    resource_type: str | None
    resource_id: str | None
    actor: str | None
    start: dt.datetime | None
    end: dt.datetime | None

    def arguments(self, scope: AuditScope, *, after: int | None, limit: int) -> list[Any]:
        """``queries.search``'s parameters: the filters, the page, and the regions when not
        all."""
        regions = [] if scope.everything else [list(scope.region_patterns)]
        return [*astuple(self), after, limit, *regions]

    def given(self, **more: Any) -> dict[str, Any]:
        """The filters the caller gave (and ``more``), for the access record of the read."""
        values = asdict(self) | more
        return {key: value for key, value in values.items() if value is not None}


async def _audit_filters(
    resource_type: str | None = None,
    resource_id: str | None = None,
    actor: str | None = None,
    start: QueryInstant | None = FROM,
    end: QueryInstant | None = TO,
) -> AuditFilters:
    return AuditFilters(resource_type, resource_id, actor, start, end)


# A dependency rather than parameters, so both routes take the filters alike, listed (as
# FastAPI lists a dependency's query parameters) before the page's.
Filtered = Annotated[AuditFilters, Depends(_audit_filters)]


@router.get(
    "/audit",
    response_model=Page[AuditRecordPublic],
    summary="Audit records, newest first, of the regions the caller administers",
    description="A province reads its province's records, a city or county bureau its "
    "subtree's, an integrator every record; others get 403. Contacts (phone, e-mail, channel "
    "addresses) in before/after/details are masked. Filters: resource_type, resource_id, actor "
    "(subject), from/to (times with a UTC offset, to exclusive). Times are UTC; "
    "recorded_at_china shows them in China time.",
    responses=ERRORS,
)
async def list_audit(
    request: Request, principal: CurrentPrincipal, filters: Filtered, asked: PageQuery
) -> Page[AuditRecordPublic]:
    cursor, limit = asked.cursor, asked.limit
    scope = scope_of(principal)
    after = read_cursor(cursor, lambda p: int(p["seq"]))
    pool: asyncpg.Pool = request.app.state.pool
    arguments = filters.arguments(scope, after=after, limit=limit + 1)
    rows = await pool.fetch(queries.search(regional=not scope.everything), *arguments)
    page = rows[:limit]
    details = filters.given(cursor=cursor, rows=len(page))
    await _record_read(pool, principal, "audit.read", details)
    following = next_cursor(rows, limit, lambda last: {"seq": last["seq"]})
    return Page[AuditRecordPublic](
        items=[to_public(row) for row in page if scope.covers(row["region_code"])],
        next_cursor=following,
    )


async def _record_read(
    pool: asyncpg.Pool, principal: Principal, action: str, details: dict[str, Any]
) -> None:
    await record_access(
        pool, actor=Actor.of(principal), action=action, resource_type="audit_log", details=details
    )


CSV_HEADERS = ["序号", "时间(北京时间)", "类别", "操作", "对象类型", "对象ID", "地区代码",
               "操作人", "角色", "操作人地区", "原因", "变更前", "变更后", "详情", "请求ID",
               "追踪ID", "客户端IP", "终端(User-Agent)", "哈希"]  # fmt: skip


def _csv_row(record: asyncpg.Record) -> list[Any]:
    def as_json(value: Any) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    row = masked(record)
    cells = [
        row["seq"], china_time(row["recorded_at"]), row["kind"], row["action"],
        row["resource_type"], row["resource_id"], row["region_code"], row["actor_subject"],
        " ".join(row["actor_roles"]), row["actor_region"], row["reason"], as_json(row["before"]),
        as_json(row["after"]), as_json(row["details"]), row["request_id"], row["trace_id"],
        row["client_ip"], row["user_agent"], row["row_hash"],
    ]  # fmt: skip
    return [csv_cell(cell) for cell in cells]  # a stored text never runs as a formula


async def _csv(pool: asyncpg.Pool, scope: AuditScope, arguments: list[Any]) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # Excel reads the Chinese correctly with a BOM
    writer.writerow(CSV_HEADERS)
    sql = queries.search(regional=not scope.everything, newest_first=False)
    async with pool.acquire() as connection, connection.transaction(readonly=True):
        async for row in connection.cursor(sql, *arguments, prefetch=FETCH_ROWS):
            if scope.covers(row["region_code"]):
                writer.writerow(_csv_row(row))
            if buffer.tell() > 1 << 16:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


@router.get(
    "/audit.csv",
    summary="The same audit records as a CSV file (oldest first, times in China time)",
    description="The records, scope, masking and filters of GET /v1/audit.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}, **ERRORS},
)
async def export_audit(
    request: Request, principal: CurrentPrincipal, filters: Filtered
) -> StreamingResponse:
    scope = scope_of(principal)
    pool: asyncpg.Pool = request.app.state.pool
    await _record_read(pool, principal, "audit.export", filters.given())
    arguments = filters.arguments(scope, after=None, limit=100_000_000)
    stamp = dt.datetime.now(CHINA).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        _csv(pool, scope, arguments),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )


def install_audit(app: FastAPI, settings: ServiceSettings) -> None:
    """Every service's API: the request-facts middleware and the audit routes."""
    app.add_middleware(AuditContextMiddleware, trusted_proxies=settings.trusted_proxies)
    app.include_router(router)
