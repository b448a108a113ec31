"""``/acknowledgements/{token}``: the signed link each message carries (outside /v1: the link
needs no login, the token is the proof).

GET only shows what the link would acknowledge: mail gateways' link scanners and the link
previews of WeCom and DingTalk fetch every link in a message on their own, so a GET that
acknowledged would stop an office's reminders before anyone read them. POST (the page's button)
acknowledges, once; a second POST acknowledges nothing new and says so. Browsers get zh-CN
HTML, other clients JSON. The token is masked in access logs and spans (secret_paths)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from notifications.api import ack_page
from notifications.api.deps import Pool, Settings
from notifications.api.routes.deliveries import acknowledged
from notifications.api.schemas import Acknowledged, AcknowledgementLink
from notifications.handlers import acknowledgements
from shared.http.problems import ProblemError

PREFIX = "/acknowledgements/"
router = APIRouter(tags=["acknowledgements"])

_HTML: dict[str, Any] = {"content": {"text/html": {"schema": {"type": "string"}}}}
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "the link is forged or expired", **_HTML},
    404: {"description": "the message no longer exists"},
}


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _invalid_html(error: ProblemError) -> HTMLResponse:
    return HTMLResponse(ack_page.invalid_page(), status_code=error.status, headers=ack_page.HEADERS)


@router.get(
    PREFIX + "{token}",
    response_model=AcknowledgementLink,
    responses={200: _HTML, **_ERRORS},
)
async def show_acknowledgement(
    request: Request, token: str, pool: Pool, settings: Settings
) -> Response | AcknowledgementLink:
    """What the link acknowledges, and whether it already is; changes nothing."""
    try:
        row = await acknowledgements.delivery_by_link(
            pool, token, secret=settings.ack_secret.get_secret_value()
        )
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
async def acknowledge_by_link(
    request: Request, token: str, pool: Pool, settings: Settings
) -> Response | Acknowledged:
    """Acknowledges the message on every channel it went out on (audited); repeating it
    changes nothing more (``acknowledged`` 0, ``already`` true)."""
    try:
        row, done = await acknowledgements.acknowledge_by_link(
            pool, token, secret=settings.ack_secret.get_secret_value()
        )
    except ProblemError as error:
        if _wants_html(request):
            return _invalid_html(error)
        raise
    if _wants_html(request):
        page = ack_page.done_page(row, acknowledged_now=not done.already, at=done.acknowledged_at)
        return HTMLResponse(page, headers=ack_page.HEADERS)
    return acknowledged(done)
