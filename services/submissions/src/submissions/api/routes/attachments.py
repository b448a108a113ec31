"""``/v1/windows/{window_id}/reports/{designation_id}/attachments``: the report's files (the
written development report). The file is the request body with its Content-Type (no
multipart), read up to the size limit (413 beyond, at once when Content-Length says so);
allowed types only (415), and the content must be of that type (422). Reads are scoped as the
report: the reporter and its city bureau (and the province)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request, Response, status

from shared.auth import CurrentPrincipal
from shared.http import catalogue
from shared.http.pagination import Page, PageQuery, next_cursor, read_cursor
from shared.http.problems import ProblemError, not_found
from shared.i18n import t
from submissions.api.access import actor_for, visible_or_404
from submissions.api.deps import Ctx, Now, Pool, Settings
from submissions.api.errors import HANDLED, problem_for
from submissions.api.routes.reports import visible_report
from submissions.api.schemas import AttachmentPublic, public
from submissions.domain.actors import Actor
from submissions.domain.attachments import (
    SIGNATURES,
    content_matches,
    media_type,
    unsupported,
)
from submissions.handlers.attachments import add_attachment, attachment_file, attachments_page

router = APIRouter(
    prefix="/v1/windows/{window_id}/reports/{designation_id}/attachments", tags=["reports"]
)


def _too_large(limit: int) -> ProblemError:
    return ProblemError(
        catalogue.FILE_TOO_LARGE,
        t(f"附件不得超过 {limit} 字节", f"attachments are limited to {limit} bytes"),
    )


async def _read_file(request: Request, limit: int) -> tuple[str, bytes]:
    content_type = media_type(request.headers.get("content-type", ""))
    if unsupported(content_type):
        types = ", ".join(sorted(SIGNATURES))
        raise ProblemError(
            catalogue.UNSUPPORTED_FILE_TYPE,
            t(
                f"请直接发送以下类型之一的文件：{types}",
                f"send the file itself with one of: {types}",
            ),
        )
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    content = b"".join(chunks)
    if not content:
        raise ProblemError(catalogue.EMPTY_FILE, t("请求体为空", "the request body is empty"))
    if not content_matches(content_type, content):
        raise ProblemError(
            catalogue.CONTENT_NOT_OF_TYPE,
            t(f"文件内容不是 {content_type}", f"the file's content is not {content_type}"),
            extra={"errors": [{"field": "body", "message": "content mismatch", "type": "type"}]},
        )
    return content_type, content


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentPublic,
    summary="Attach a file to the report (stored once by content)",
    responses={
        413: {"description": "File over the size limit"},
        415: {"description": "Not one of the accepted types (or a multipart form)"},
        422: {"description": "Empty, or the content is not of its declared type"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in SIGNATURES},
        }
    },
)
async def attach(
    request: Request,
    window_id: str,
    designation_id: str,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
    settings: Settings,
    now: Now,
    filename: str = Query(min_length=1, max_length=255),
) -> AttachmentPublic:
    def authorize(entry: Mapping[str, Any]) -> Actor:
        visible_or_404(principal, entry, "reporter on the roster", designation_id)
        return actor_for(principal, entry)

    content_type, content = await _read_file(request, settings.attachment_max_bytes)
    try:
        attached = await add_attachment(
            pool,
            context,
            window_id=window_id,
            designation_id=designation_id,
            authorize=authorize,
            filename=filename,
            content_type=content_type,
            content=content,
            now=now,
        )
    except HANDLED as exc:
        raise problem_for(exc) from exc
    result: AttachmentPublic = public(AttachmentPublic, attached.attachment)
    return result


@router.get(
    "",
    response_model=Page[AttachmentPublic],
    summary="The report's attachments in the order they were added (paged)",
    description="`limit` (default 50, at most 500) a page; `next_cursor` reads on.",
)
async def list_attachments(
    window_id: str,
    designation_id: str,
    principal: CurrentPrincipal,
    pool: Pool,
    asked: PageQuery,
) -> Page[AttachmentPublic]:
    after_at, after_sha = read_cursor(
        asked.cursor, lambda p: (dt.datetime.fromisoformat(p["added_at"]), _digest(p["sha256"]))
    ) or (None, None)
    rows = await attachments_page(
        pool,
        window_id,
        designation_id,
        visible_report(principal, designation_id),
        after_at=after_at,
        after_sha256=after_sha,
        count=asked.limit + 1,
    )
    return Page[AttachmentPublic](
        items=[public(AttachmentPublic, row) for row in rows[: asked.limit]],
        next_cursor=next_cursor(
            rows,
            asked.limit,
            lambda last: {"added_at": last["added_at"].isoformat(), "sha256": last["sha256"]},
        ),
    )


def _digest(value: object) -> str:
    """A cursor's digest: the 64 hex digits this API issued, nothing else (a string of any
    length would otherwise reach the query)."""
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise ValueError("not a sha256 digest")
    return value


@router.get(
    "/{sha256}",
    response_class=Response,
    summary="The file itself",
    responses={200: {"content": {t: {} for t in SIGNATURES}}},
)
async def download(
    window_id: str,
    designation_id: str,
    sha256: str,
    principal: CurrentPrincipal,
    pool: Pool,
    context: Ctx,
) -> Response:
    found = await attachment_file(
        pool, context, window_id, designation_id, visible_report(principal, designation_id), sha256
    )
    if found is None:
        raise not_found(t("附件", "attachment"), sha256)
    return Response(
        content=found.blob.content,
        media_type=found.blob.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.link['filename'])}",
            "X-Content-Type-Options": "nosniff",
        },
    )
