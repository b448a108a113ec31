"""Strong ETags from record versions, and the If-Match check for updates."""

from __future__ import annotations

from shared.http.problems import ProblemError


def etag_for(version: int | str) -> str:
    return f'"{version}"'


def _candidates(if_match: str) -> list[str]:
    """The tags If-Match lists. If-Match compares strongly (RFC 9110, 13.1.1): a weak tag
    (``W/"3"``) never matches, since it does not promise the same bytes the update was
    based on."""
    return [tag.strip() for tag in if_match.split(",")]


def check_if_match(if_match: str | None, current_version: int | str) -> None:
    """An update must name the version it read: missing → 428, stale → 412."""
    current = etag_for(current_version)
    if if_match is None or not if_match.strip():
        raise ProblemError(
            status=428,
            title="Precondition required",
            detail="send If-Match with the ETag of the version you read",
            extra={"current_etag": current},
        )
    candidates = _candidates(if_match)
    if "*" in candidates or current in candidates:
        return
    raise ProblemError(
        status=412,
        title="Precondition failed",
        detail="the record changed since you read it",
        extra={"current_etag": current},
        headers={"ETag": current},
    )
