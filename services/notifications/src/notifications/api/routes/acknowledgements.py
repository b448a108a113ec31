"""``/acknowledgements/{token}``: the signed link each message carries (outside /v1: the link
needs no login, the token is the proof).

GET only shows what the link would acknowledge: mail gateways' link scanners and the link
previews of WeCom and DingTalk fetch every link in a message on their own, so a GET that
acknowledged would stop an office's reminders before anyone read them. POST (the page's button)
acknowledges, once; a second POST acknowledges nothing new and says so. Browsers get zh-CN
HTML, other clients JSON. The token is masked in access logs and spans (secret_paths)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from notifications.api import ack_page
from notifications.api.routes.deliveries import acknowledge
from notifications.api.schemas import Acknowledged
from notifications.db import queries
from notifications.domain import ack_tokens
from shared.http import catalogue
from shared.http.problems import ProblemError, not_found
from shared.i18n import t

PREFIX = "/acknowledgements/"
router = APIRouter(tags=["acknowledgements"])

_HTML: dict[str, Any] = {"content": {"text/html": {"schema": {"type": "string"}}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "the link is forged or expired", **_HTML},
    404: {"description": "the message no longer exists"},
}


class AcknowledgementLink(BaseModel):
    delivery_id: uuid.UUID
    title: str
    kind: str
    region_code: str
    role: str
    sent_at: dt.datetime
    acknowledged_at: dt.datetime | None = Field(description="None: not yet acknowledged")


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


async def _delivery_of(request: Request, token: str) -> asyncpg.Record:
    secret = request.app.state.settings.ack_secret.get_secret_value()
    try:
        delivery_id = ack_tokens.verify(token, secret=secret)
    except ack_tokens.InvalidAcknowledgement as error:
        raise ProblemError(catalogue.INVALID_ACKNOWLEDGEMENT_LINK, error.text) from error
    pool: asyncpg.Pool = request.app.state.pool
    async with pool.acquire() as connection:
        row = await connection.fetchrow(queries.DELIVERY, delivery_id)
    if row is None:
        raise not_found(t("投递记录", "delivery"), str(delivery_id))
    return row


def _invalid_html(error: ProblemError) -> HTMLResponse:
    return HTMLResponse(ack_page.invalid_page(), status_code=error.status, headers=ack_page.HEADERS)


@router.get(
    PREFIX + "{token}",
    response_model=AcknowledgementLink,
    responses={200: _HTML, **_ERRORS},
)
async def show_acknowledgement(request: Request, token: str) -> Response | AcknowledgementLink:
    """What the link acknowledges, and whether it already is; changes nothing."""
    try:
        row = await _delivery_of(request, token)
    except ProblemError as error:
        if _wants_html(request):
            return _invalid_html(error)
        raise
    if _wants_html(request):
        return HTMLResponse(ack_page.confirm_page(row), headers=ack_page.HEADERS)
    return AcknowledgementLink(
        delivery_id=row["id"],
        title=row["title"],
        kind=row["kind"],
        region_code=row["region_code"],
        role=row["role"],
        sent_at=row["created_at"],
        acknowledged_at=row["acknowledged_at"],
    )


@router.post(
    PREFIX + "{token}",
    response_model=Acknowledged,
    responses={200: _HTML, **_ERRORS},
)
async def acknowledge_by_link(request: Request, token: str) -> Response | Acknowledged:
    """Acknowledges the message on every channel it went out on (audited); repeating it
    changes nothing more (``acknowledged`` 0, ``already`` true)."""
    try:
        row = await _delivery_of(request, token)
    except ProblemError as error:
        if _wants_html(request):
            return _invalid_html(error)
        raise
    done = await acknowledge(request.app.state.pool, row["id"], actor=None)
    if _wants_html(request):
        page = ack_page.done_page(row, acknowledged_now=not done.already, at=done.acknowledged_at)
        return HTMLResponse(page, headers=ack_page.HEADERS)
    return done
