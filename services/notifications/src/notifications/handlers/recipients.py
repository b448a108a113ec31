"""The recipients directory. The province manages every office in its province, a bureau its
own office, an operator the contacts of its own enterprises. Every change is audited, with an
operator's contact masked (personal data)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from notifications.db import queries
from notifications.domain.addresses import BadAddress, check_address
from notifications.handlers.common import BeforeCommit, Pool, Row, Slice
from shared import audit
from shared.auth.principal import Principal
from shared.auth.scope import may_manage_office, office_scope, sees_contact_unmasked
from shared.http import catalogue
from shared.http.etag import check_if_match
from shared.http.pagination import next_cursor, read_cursor
from shared.http.problems import ProblemError, forbidden, invalid, not_found
from shared.i18n import t
from shared.masking import mask_address


@dataclass(frozen=True, kw_only=True)
class NewRecipient:
    region_code: str
    role: str
    enterprise_id: str | None
    name: str
    channel: str
    address: str
    secret: str | None


@dataclass(frozen=True, kw_only=True)
class RecipientChange:
    name: str
    address: str
    secret: str | None
    active: bool


def _logged(row: Row) -> str:
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


def _visible(principal: Principal, row: Row) -> bool:
    if sees_contact_unmasked(principal, enterprise_id=row["enterprise_id"]):
        return True
    scope = office_scope(principal)
    return scope is not None and scope.covers(row["region_code"], row["role"])


def _checked(channel: str, address: str, *, allow_private: bool) -> None:
    try:
        check_address(channel, address, allow_private=allow_private)
    except BadAddress as error:
        raise ProblemError(
            catalogue.BAD_ADDRESS,
            error.text,
            extra={"errors": [{"field": "address", "message": error.text}]},
        ) from error


async def list_recipients(
    pool: Pool, principal: Principal, *, role: str | None, cursor: str | None, limit: int
) -> Slice[Row]:
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
    rows = await pool.fetch(queries.LIST_RECIPIENTS, pattern, role, after, limit + 1)
    shown = [row for row in rows[:limit] if _visible(principal, row)]
    return Slice(shown, next_cursor(rows, limit, lambda last: {"id": str(last["id"])}))


async def add_recipient(
    pool: Pool,
    principal: Principal,
    recipient: NewRecipient,
    *,
    allow_private: bool,
    before_commit: BeforeCommit,
) -> Row:
    if (recipient.role == "operator") != (recipient.enterprise_id is not None):
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
        principal,
        region_code=recipient.region_code,
        role=recipient.role,
        enterprise=recipient.enterprise_id,
    ):
        raise forbidden(t("不是您管理的单位", "not an office you manage"))
    _checked(recipient.channel, recipient.address, allow_private=allow_private)
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            queries.INSERT_RECIPIENT,
            uuid.uuid4(),
            recipient.region_code,
            recipient.role,
            recipient.enterprise_id,
            recipient.name,
            recipient.channel,
            recipient.address,
            recipient.secret,
            "api",
        )
        if row is None:
            raise ProblemError(
                catalogue.RECIPIENT_ALREADY_LISTED,
                t("该单位已登记此地址", "this office has this address"),
            )
        await before_commit(connection, row)
        await audit.record_change_by(
            connection,
            principal,
            "recipient.added",
            audit.Resource("recipient", row["id"], recipient.region_code),
            after={
                "region_code": recipient.region_code,
                "role": recipient.role,
                "enterprise_id": recipient.enterprise_id,
                "name": recipient.name,
                "channel": recipient.channel,
                "address": _logged(row),
            },
        )
    return row


async def change_recipient(
    pool: Pool,
    principal: Principal,
    recipient_id: uuid.UUID,
    change: RecipientChange,
    *,
    if_match: str | None,
    allow_private: bool,
) -> Row:
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(queries.RECIPIENT_FOR_UPDATE, recipient_id)
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
        _checked(row["channel"], change.address, allow_private=allow_private)
        updated = await connection.fetchrow(
            queries.UPDATE_RECIPIENT,
            recipient_id,
            change.name,
            change.address,
            change.secret,
            change.active,
            row["version"],
        )
        await audit.record_change_by(
            connection,
            principal,
            "recipient.updated",
            audit.Resource("recipient", recipient_id, row["region_code"]),
            before={"name": row["name"], "address": _logged(row), "active": row["active"]},
            after={
                "name": updated["name"],
                "address": _logged(updated),
                "active": updated["active"],
                "secret_changed": change.secret is not None,
            },
        )
    return updated
