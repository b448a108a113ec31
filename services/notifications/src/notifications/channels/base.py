"""The one interface every channel implements, and what a send can come to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Result = Literal["delivered", "sent", "retry", "throttled", "failed"]


@dataclass(frozen=True, kw_only=True)
class Outgoing:
    delivery_id: uuid.UUID
    channel: str
    address: str
    secret: str | None
    kind: str
    title: str
    body: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """``delivered``: the receiver confirmed it (webhook 2xx, robot errcode 0); ``sent``: a
    relay accepted it (SMTP 250, SMS provider OK); ``retry``: worth another try;
    ``throttled``: the endpoint asks us to slow down; ``failed``: permanent, with the reason."""

    result: Result
    reason: str | None = None
    http_status: int | None = None


class Channel(Protocol):
    name: str

    async def send(self, message: Outgoing) -> Outcome: ...


def http_outcome(status: int, text: str) -> Outcome:
    """Only 2xx is success; 408, 425, 429 and 5xx are worth retrying; other 4xx are final."""
    snippet = text[:300]
    if 200 <= status < 300:
        return Outcome("delivered", None, status)
    if status in (408, 425, 429) or status >= 500:
        return Outcome("retry", f"HTTP {status}: {snippet}", status)
    return Outcome("failed", f"HTTP {status}: {snippet}", status)
