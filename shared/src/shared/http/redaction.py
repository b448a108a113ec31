"""Keep secrets that travel in URL paths out of access logs and trace spans.

A link that carries its own proof (the notifications' acknowledgement token) is as good as a
password for as long as it is valid: whoever reads the access log or the tracing backend could
use it. Services name the path prefixes whose next segment is such a secret; anything shaped
like a JWT in a path is masked too, so a new kind of link is not leaked while nobody noticed.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import Any

MASK = "{token}"
_JWT_SHAPED = re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*)?")
# The span attributes that hold the raw path or URL (old and new HTTP semantic conventions).
_URL_ATTRIBUTES = ("http.target", "http.url", "url.path", "url.full", "url.query")
_secret_prefixes: set[str] = set()


def add_secret_prefixes(prefixes: Iterable[str]) -> None:
    """Paths under these prefixes (``/acknowledgements/``) carry a secret as the next segment."""
    _secret_prefixes.update(prefix if prefix.endswith("/") else f"{prefix}/" for prefix in prefixes)


def redact(text: str) -> str:
    """``text`` (a path, a URL or a request line) with every path secret replaced by MASK."""
    for prefix in _secret_prefixes:
        start = text.find(prefix)
        while start != -1:
            begin = start + len(prefix)
            end = begin
            while end < len(text) and text[end] not in '/?# "':
                end += 1
            text = text[:begin] + MASK + text[end:]
            start = text.find(prefix, begin + len(MASK))
    return _JWT_SHAPED.sub(MASK, text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's arguments (uvicorn's access line passes the path as one) and its
    message before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def _redact_value(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


_FILTER = RedactingFilter()
# uvicorn's access and error loggers do not propagate to the root, so each gets the filter.
_LOGGERS = ("uvicorn.access", "uvicorn.error", "")


def install_log_redaction() -> None:
    """Filter the access/error loggers and the root's handlers (idempotent; uvicorn's logging
    configuration replaces handlers but keeps a logger's filters)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for handler in logging.getLogger().handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)


def redact_span(span: Any, scope: dict[str, Any]) -> None:
    """``server_request_hook`` of the FastAPI instrumentation: the server span is created with
    the raw path and URL; overwrite them before the span ends and is exported. Its name is the
    route template (``GET /acknowledgements/{token}``), which holds no secret."""
    if not span.is_recording():
        return
    attributes = getattr(span, "attributes", None) or {}
    for key in _URL_ATTRIBUTES:
        value = attributes.get(key)
        if isinstance(value, str) and (masked := redact(value)) != value:
            span.set_attribute(key, masked)
