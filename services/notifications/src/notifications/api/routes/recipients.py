"""``/v1/recipients``: the recipients directory. The province manages every office in its
province, a bureau its own office, an operator the contacts of its own enterprises. Every
change is audited; an operator's address is masked in every read that is not its own."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Query, Response, status

from notifications.api.deps import Key, Pool, Settings
from notifications.api.schemas import RecipientCreate, RecipientPublic, RecipientUpdate
from notifications.handlers import recipients
from shared.auth import CurrentPrincipal
from shared.auth.principal import Principal
from shared.auth.scope import sees_contact_unmasked
from shared.http.etag import etag_for
from shared.http.headers import ETAG, if_match_header, sends
from shared.http.pagination import Page, PageQuery
from shared.masking import mask_address

router = APIRouter(prefix="/v1/recipients", tags=["recipients"])


def public(principal: Principal, row: Mapping[str, Any]) -> RecipientPublic:
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


def _etag(row: Mapping[str, Any]) -> dict[str, str]:
    return {"ETag": etag_for(row["version"])}


@router.get("", response_model=Page[RecipientPublic])
async def list_recipients(
    principal: CurrentPrincipal,
    pool: Pool,
    asked: PageQuery,
    role: str | None = Query(default=None, max_length=20),
) -> Page[RecipientPublic]:
    page = await recipients.list_recipients(
        pool, principal, role=role, cursor=asked.cursor, limit=asked.limit
    )
    return Page[RecipientPublic](
        items=[public(principal, r) for r in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=RecipientPublic,
    responses=sends(201, ETAG),
)
async def create_recipient(
    body: RecipientCreate,
    principal: CurrentPrincipal,
    response: Response,
    pool: Pool,
    settings: Settings,
    key: Key,
) -> RecipientPublic:
    row = await recipients.add_recipient(
        pool,
        principal,
        recipients.NewRecipient(**body.model_dump()),
        allow_private=settings.allow_private_endpoints,
        before_commit=key.claim(
            lambda added: public(principal, added), status_code=201, headers=_etag
        ),
    )
    response.headers["ETag"] = etag_for(row["version"])
    return public(principal, row)


@router.put(
    "/{recipient_id}",
    response_model=RecipientPublic,
    responses=sends(200, ETAG),
)
async def update_recipient(
    recipient_id: uuid.UUID,
    body: RecipientUpdate,
    principal: CurrentPrincipal,
    response: Response,
    pool: Pool,
    settings: Settings,
    if_match: str | None = if_match_header(),
) -> RecipientPublic:
    row = await recipients.change_recipient(
        pool,
        principal,
        recipient_id,
        recipients.RecipientChange(
            name=body.name, address=body.address, secret=body.secret, active=body.active
        ),
        if_match=if_match,
        allow_private=settings.allow_private_endpoints,
    )
    response.headers["ETag"] = etag_for(row["version"])
    return public(principal, row)
