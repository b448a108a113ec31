"""``GET /v1/audit`` (cursor-paged, newest first) and ``GET /v1/audit.csv``: the service's audit
records for the province, and for a city or county bureau the records of its own region.

Reading the audit trail is itself recorded (an ``access`` row, with the filters): the records
hold personal data and say who looked at what, so who read them is accountable too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from shared.audit import queries
from shared.audit.context import AuditContextMiddleware
from shared.audit.records import Actor, record_access
from shared.auth import CurrentPrincipal, Principal, Role, may_act_on_region
from shared.china_time import CHINA
from shared.http import catalogue
from shared.http.pagination import Page, encode_cursor, read_cursor
from shared.http.problems import ProblemError
from shared.http.request_body import QueryInstant
from shared.i18n import t
from shared.settings import ServiceSettings

router = APIRouter(prefix="/v1", tags=["audit"])

BUREAUS = (Role.city_bureau, Role.county_bureau)
FETCH_ROWS = 2_000


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


def to_public(row: asyncpg.Record) -> AuditRecordPublic:
    return AuditRecordPublic.model_validate(
        dict(row) | {"recorded_at_china": china_time(row["recorded_at"])}
    )


def region_prefix(principal: Principal) -> str | None:
    """None: every record (the province). Otherwise the code prefix of the bureau's subtree,
    the shape ``shared.auth.region_contains`` reads codes by."""
    if Role.province_admin in principal.roles:
        return None
    code = principal.region_code
    if not (principal.roles & set(BUREAUS)) or not code:
        raise ProblemError(
            catalogue.FORBIDDEN,
            t(
                "审计记录仅供省厅及市、县商务主管部门查阅",
                "the audit trail is for the province and for city and county bureaus",
            ),
        )
    return code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code


def _visible(principal: Principal, prefix: str | None, row: asyncpg.Record) -> bool:
    if prefix is None:
        return True
    code = row["region_code"]
    return code is not None and may_act_on_region(principal, code, write=False)


def _arguments(
    resource_type: str | None,
    resource_id: str | None,
    actor: str | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> list[Any]:
    return [resource_type, resource_id, actor, start, end]


Filters = dict[str, Any]


def _filters(**values: Any) -> Filters:
    return {key: value for key, value in values.items() if value is not None}


@router.get(
    "/audit",
    response_model=Page[AuditRecordPublic],
    summary="Audit records, newest first (the province: all; a bureau: its region's)",
    description="Filters: resource_type, resource_id, actor (subject), from/to (ISO times, "
    "to exclusive). Times are UTC; recorded_at_china shows them in China time.",
)
async def list_audit(
    request: Request,
    principal: CurrentPrincipal,
    resource_type: str | None = None,
    resource_id: str | None = None,
    actor: str | None = None,
    start: QueryInstant | None = Query(default=None, alias="from"),
    end: QueryInstant | None = Query(default=None, alias="to"),
    cursor: str | None = None,
    limit: int = Query(default=50, ge=1, le=500),
) -> Page[AuditRecordPublic]:
    prefix = region_prefix(principal)
    after = read_cursor(cursor, lambda p: int(p["seq"]))
    pool: asyncpg.Pool = request.app.state.pool
    arguments = [*_arguments(resource_type, resource_id, actor, start, end), after, limit + 1]
    if prefix is not None:
        arguments.append(prefix)
    rows = await pool.fetch(queries.search(region_prefix=prefix is not None), *arguments)
    page = rows[:limit]
    await record_access(
        pool,
        actor=Actor.of(principal),
        action="audit.read",
        resource_type="audit_log",
        details=_filters(
            resource_type=resource_type, resource_id=resource_id, actor=actor,
            start=start, end=end, cursor=cursor, rows=len(page),
        ),
    )  # fmt: skip
    following = encode_cursor({"seq": page[-1]["seq"]}) if len(rows) > limit else None
    return Page[AuditRecordPublic](
        items=[to_public(row) for row in page if _visible(principal, prefix, row)],
        next_cursor=following,
    )


CSV_HEADERS = ["序号", "时间(北京时间)", "类别", "操作", "对象类型", "对象ID", "地区代码",
               "操作人", "角色", "操作人地区", "原因", "变更前", "变更后", "详情", "请求ID",
               "追踪ID", "客户端IP", "终端(User-Agent)", "哈希"]  # fmt: skip


def _csv_row(row: asyncpg.Record) -> list[Any]:
    def as_json(value: Any) -> str:
        return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    return [
        row["seq"], china_time(row["recorded_at"]), row["kind"], row["action"],
        row["resource_type"], row["resource_id"], row["region_code"], row["actor_subject"],
        " ".join(row["actor_roles"]), row["actor_region"], row["reason"], as_json(row["before"]),
        as_json(row["after"]), as_json(row["details"]), row["request_id"], row["trace_id"],
        row["client_ip"], row["user_agent"], row["row_hash"],
    ]  # fmt: skip


async def _csv(
    pool: asyncpg.Pool, principal: Principal, prefix: str | None, arguments: list[Any]
) -> AsyncIterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")  # Excel reads the Chinese correctly with a BOM
    writer.writerow(CSV_HEADERS)
    sql = queries.search(region_prefix=prefix is not None, newest_first=False)
    async with pool.acquire() as connection, connection.transaction(readonly=True):
        async for row in connection.cursor(sql, *arguments, prefetch=FETCH_ROWS):
            if _visible(principal, prefix, row):
                writer.writerow(_csv_row(row))
            if buffer.tell() > 1 << 16:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


@router.get(
    "/audit.csv",
    summary="The same audit records as a CSV file (oldest first, times in China time)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def export_audit(
    request: Request,
    principal: CurrentPrincipal,
    resource_type: str | None = None,
    resource_id: str | None = None,
    actor: str | None = None,
    start: QueryInstant | None = Query(default=None, alias="from"),
    end: QueryInstant | None = Query(default=None, alias="to"),
) -> StreamingResponse:
    prefix = region_prefix(principal)
    pool: asyncpg.Pool = request.app.state.pool
    await record_access(
        pool,
        actor=Actor.of(principal),
        action="audit.export",
        resource_type="audit_log",
        details=_filters(
            resource_type=resource_type, resource_id=resource_id, actor=actor, start=start, end=end
        ),
    )
    arguments = [*_arguments(resource_type, resource_id, actor, start, end), None, 100_000_000]
    if prefix is not None:
        arguments.append(prefix)
    stamp = dt.datetime.now(CHINA).strftime("%Y%m%d-%H%M")
    return StreamingResponse(
        _csv(pool, principal, prefix, arguments),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )


def install_audit(app: FastAPI, settings: ServiceSettings) -> None:
    """Every service's API: the request-facts middleware and the audit routes."""
    app.add_middleware(AuditContextMiddleware, trusted_proxies=settings.trusted_proxies)
    app.include_router(router)
