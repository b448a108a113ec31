"""``/v1/recipients``: the recipients directory. The province manages every office in its
province, a bureau its own office, an operator the contacts of its own enterprises. Every
change is audited; an operator's address is masked in every read that is not its own."""

from __future__ import annotations

import uuid

import asyncpg
from fastapi import APIRouter, Query, Request, Response, status

from notifications.api.schemas import RecipientCreate, RecipientPublic, RecipientUpdate
from notifications.db import queries
from notifications.domain.addresses import BadAddress, check_address
from shared import audit
from shared.auth import CurrentPrincipal
from shared.auth.principal import Principal
from shared.auth.scope import may_manage_office, office_scope, sees_contact_unmasked
from shared.http import catalogue
from shared.http.etag import check_if_match, etag_for
from shared.http.headers import ETAG, if_match_header, sends
from shared.http.idempotency import claim_idempotency_key
from shared.http.pagination import Page, PageLimit, encode_cursor, read_cursor
from shared.http.problems import ProblemError, forbidden, invalid, not_found
from shared.i18n import t
from shared.masking import mask_address

router = APIRouter(prefix="/v1/recipients", tags=["recipients"])


def public(principal: Principal, row: asyncpg.Record) -> RecipientPublic:
    address = row["address"]
    if row["role"] == "operator" and not sees_contact_unmasked(
        principal, enterprise_id=row["enterprise_id"]
    ):
        address = mask_address(row["channel"], address)
    return RecipientPublic(
        **{k: row[k] for k in RecipientPublic.model_fields if k not in ("address", "has_secret")},
        address=address,
        has_secret=row["secret"] is not None,
    )


def _logged(row: asyncpg.Record) -> str:
    """The audit trail keeps an operator's contact masked (personal data; the row has it)."""
    if row["role"] == "operator":
        return mask_address(row["channel"], row["address"])
    return str(row["address"])


def _may_change(
    principal: Principal, *, region_code: str, role: str, enterprise: str | None
) -> bool:
    if role == "operator":
        return sees_contact_unmasked(principal, enterprise_id=enterprise) or may_manage_office(
            principal, region_code=region_code, role=role
        )
    return may_manage_office(principal, region_code=region_code, role=role)


def _visible(principal: Principal, row: asyncpg.Record) -> bool:
    if sees_contact_unmasked(principal, enterprise_id=row["enterprise_id"]):
        return True
    scope = office_scope(principal)
    return scope is not None and scope.covers(row["region_code"], row["role"])


def _checked(request: Request, channel: str, address: str) -> None:
    try:
        check_address(
            channel, address, allow_private=request.app.state.settings.allow_private_endpoints
        )
    except BadAddress as error:
        raise ProblemError(
            catalogue.BAD_ADDRESS,
            error.text,
            extra={"errors": [{"field": "address", "message": error.text}]},
        ) from error


@router.get("", response_model=Page[RecipientPublic])
async def list_recipients(
    request: Request,
    principal: CurrentPrincipal,
    role: str | None = Query(default=None, max_length=20),
    cursor: str | None = None,
    limit: PageLimit = 50,
) -> Page[RecipientPublic]:
    scope = office_scope(principal)
    if scope is None and not principal.enterprise_ids:
        raise forbidden(
            t(
                "通讯录仅供省厅、各级商务主管部门和运营主体查阅",
                "the directory is read by the province, the bureaus and operators",
            )
        )
    after = read_cursor(cursor, lambda p: uuid.UUID(p["id"]))
    pattern = scope.region_pattern if scope and not scope.everything else None
    if scope is None:
        pattern = None  # an operator: its own rows, filtered below
    pool: asyncpg.Pool = request.app.state.pool
    rows = await pool.fetch(queries.LIST_RECIPIENTS, pattern, role, after, limit + 1)
    shown = [row for row in rows[:limit] if _visible(principal, row)]
    next_cursor = encode_cursor({"id": str(rows[limit - 1]["id"])}) if len(rows) > limit else None
    return Page[RecipientPublic](
        items=[public(principal, r) for r in shown], next_cursor=next_cursor
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RecipientPublic,
    responses=sends(201, ETAG),
)
async def create_recipient(
    request: Request, body: RecipientCreate, principal: CurrentPrincipal, response: Response
) -> RecipientPublic:
    if (body.role == "operator") != (body.enterprise_id is not None):
        raise invalid(
            [
                {
                    "field": "body.enterprise_id",
                    "message": "enterprise_id is for operators only",
                    "type": "operator_only",
                }
            ],
            t("仅运营主体填写 enterprise_id", "enterprise_id is for operators only"),
        )
    if not _may_change(
        principal, region_code=body.region_code, role=body.role, enterprise=body.enterprise_id
    ):
        raise forbidden(t("不是您管理的单位", "not an office you manage"))
    _checked(request, body.channel, body.address)
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            queries.INSERT_RECIPIENT,
            uuid.uuid4(),
            body.region_code,
            body.role,
            body.enterprise_id,
            body.name,
            body.channel,
            body.address,
            body.secret,
            "api",
        )
        if row is None:
            raise ProblemError(
                catalogue.RECIPIENT_ALREADY_LISTED,
                t("该单位已登记此地址", "this office has this address"),
            )
        result = public(principal, row)
        response.headers["ETag"] = etag_for(row["version"])
        await claim_idempotency_key(
            connection,
            request,
            status_code=201,
            content=result.model_dump(mode="json"),
            headers={"ETag": response.headers["ETag"]},
        )
        await audit.record_change(
            connection,
            actor=audit.Actor.of(principal),
            action="recipient.added",
            resource_type="recipient",
            resource_id=row["id"],
            region_code=body.region_code,
            after={**body.model_dump(exclude={"secret", "address"}), "address": _logged(row)},
        )
    return result


@router.put(
    "/{recipient_id}",
    response_model=RecipientPublic,
    responses=sends(200, ETAG),
)
async def update_recipient(
    request: Request,
    recipient_id: uuid.UUID,
    body: RecipientUpdate,
    principal: CurrentPrincipal,
    response: Response,
    if_match: str | None = if_match_header(),
) -> RecipientPublic:
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(queries.RECIPIENT + " FOR UPDATE", recipient_id)
        if row is None or not _visible(principal, row):
            raise not_found(t("收件单位", "recipient"), str(recipient_id))
        if not _may_change(
            principal,
            region_code=row["region_code"],
            role=row["role"],
            enterprise=row["enterprise_id"],
        ):
            raise forbidden(t("不是您管理的单位", "not an office you manage"))
        check_if_match(if_match, row["version"])
        _checked(request, row["channel"], body.address)
        updated = await connection.fetchrow(
            queries.UPDATE_RECIPIENT,
            recipient_id,
            body.name,
            body.address,
            body.secret,
            body.active,
            row["version"],
        )
        result = public(principal, updated)
        response.headers["ETag"] = etag_for(updated["version"])
        await audit.record_change(
            connection,
            actor=audit.Actor.of(principal),
            action="recipient.updated",
            resource_type="recipient",
            resource_id=recipient_id,
            region_code=row["region_code"],
            before={"name": row["name"], "address": _logged(row), "active": row["active"]},
            after={
                "name": updated["name"],
                "address": _logged(updated),
                "active": updated["active"],
                "secret_changed": body.secret is not None,
            },
        )
    return result
