"""Strong ETags from record versions (or, for resources without a version column, from the
bytes of their representation), and the If-Match check for updates."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi.encoders import jsonable_encoder
from starlette.responses import JSONResponse

from shared.http import catalogue
from shared.http.problems import ProblemError
from shared.i18n import t


def etag_for(version: int | str) -> str:
    return f'"{version}"'


def content_etag(body: bytes) -> str:
    """A strong tag for exactly these bytes."""
    return etag_for(hashlib.sha256(body).hexdigest()[:32])


def representation_etag(content: Any) -> str:
    """The strong tag of ``content`` rendered as the API sends JSON: a route that sets it on
    its GET and checks it on its PUT compares the same bytes by construction."""
    return content_etag(JSONResponse(jsonable_encoder(content)).body)


def _candidates(if_match: str) -> list[str]:
    """The tags If-Match lists. If-Match compares strongly (RFC 9110, 13.1.1): a weak tag
    (``W/"3"``) never matches, since it does not promise the same bytes the update was
    based on."""
    return [tag.strip() for tag in if_match.split(",")]


def check_if_match(if_match: str | None, current_version: int | str) -> None:
    """An update must name the version it read: missing → 428, stale → 412."""
    check_if_match_tag(if_match, etag_for(current_version))


def check_put_precondition(if_match: str | None, current: str | None) -> None:
    """A PUT creates or replaces. Replacing needs If-Match with the current tag (428 without
    it, 412 when stale); creating needs none, and an If-Match there fails (412): it names a
    version of something that is not there (RFC 9110, 13.1.1)."""
    if current is not None:
        check_if_match_tag(if_match, current)
    elif if_match is not None and if_match.strip():
        raise ProblemError(
            catalogue.PRECONDITION_FAILED,
            t(
                "If-Match 指明了一个版本，但该记录尚不存在",
                "If-Match names a version, but there is none yet",
            ),
        )


def check_if_match_tag(if_match: str | None, current: str) -> None:
    if if_match is None or not if_match.strip():
        raise ProblemError(
            catalogue.PRECONDITION_REQUIRED,
            t(
                "请在 If-Match 中提供所读取版本的 ETag",
                "send If-Match with the ETag of the version you read",
            ),
            extra={"current_etag": current},
        )
    candidates = _candidates(if_match)
    if "*" in candidates or current in candidates:
        return
    raise ProblemError(
        catalogue.PRECONDITION_FAILED,
        t("读取之后记录已被修改", "the record changed since you read it"),
        extra={"current_etag": current},
        headers={"ETag": current},
    )
