"""Strong ETags from record versions, and the If-Match check for updates."""

from __future__ import annotations

from shared.http import catalogue
from shared.http.problems import ProblemError
from shared.i18n import t


def etag_for(version: int | str) -> str:
    return f'"{version}"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def check_if_match(if_match: str | None, current_version: int | str) -> None:
    """An update must name the version it read: missing → 428, stale → 412."""
    current = etag_for(current_version)
    if if_match is None or not if_match.strip():
        raise ProblemError(
            catalogue.PRECONDITION_REQUIRED,
            t(
                "请在 If-Match 中提供所读取版本的 ETag",
                "send If-Match with the ETag of the version you read",
            ),
            extra={"current_etag": current},
        )
    candidates = [_opaque(tag) for tag in if_match.split(",")]
    if "*" in candidates or current in candidates:
        return
    raise ProblemError(
        catalogue.PRECONDITION_FAILED,
        t("读取之后记录已被修改", "the record changed since you read it"),
        extra={"current_etag": current},
        headers={"ETag": current},
    )
