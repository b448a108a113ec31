"""Signed webhooks (docs/notifications.md, "Webhooks"): a JSON POST with

* ``X-Notification-Id``: the delivery id (the same on every retry: receivers deduplicate on it),
* ``X-Notification-Timestamp``: Unix seconds,
* ``X-Notification-Signature``: ``sha256=`` + hex HMAC-SHA256 over
  ``<timestamp>.<raw body>`` with the recipient's secret.

Receivers recompute the signature over the raw body and refuse timestamps older than 5 min."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

import httpx

from notifications.channels.base import Outcome, Outgoing, http_outcome


def signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookChannel:
    name = "webhook"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, message: Outgoing) -> Outcome:
        body = json.dumps(
            {
                "id": str(message.delivery_id),
                "kind": message.kind,
                "title": message.title,
                "text": message.body,
                "data": message.payload,
            },
            ensure_ascii=False,
            separators=(",", ":"),
            default=str,
        ).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Notification-Id": str(message.delivery_id),
            "X-Notification-Timestamp": timestamp,
        }
        if message.secret:
            headers["X-Notification-Signature"] = signature(message.secret, timestamp, body)
        try:
            response = await self._client.post(message.address, content=body, headers=headers)
        except httpx.HTTPError as error:
            return Outcome("retry", f"{type(error).__name__}: {error}")
        if 200 <= response.status_code < 300:
            # The body is not read into the outcome on success: decoding it cost more than
            # signing the request.
            return Outcome("delivered", None, response.status_code)
        return http_outcome(response.status_code, response.text)
