"""HTTP conventions shared by every API: problem+json, cursors, ETags, Idempotency-Key."""

from shared.http.etag import check_if_match, etag_for
from shared.http.pagination import Page, decode_cursor, encode_cursor
from shared.http.problems import ProblemError, install_problem_handlers, not_found

__all__ = [
    "Page",
    "ProblemError",
    "check_if_match",
    "decode_cursor",
    "encode_cursor",
    "etag_for",
    "install_problem_handlers",
    "not_found",
]
