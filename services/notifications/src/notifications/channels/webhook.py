"""Signed webhooks (docs/notifications.md, "Webhooks"): a JSON POST with

* ``X-Notification-Id``: the delivery id (the same on every retry: receivers deduplicate on it),
* ``X-Notification-Timestamp``: Unix seconds,
* ``X-Notification-Signature``: ``sha256=`` + hex HMAC-SHA256 over
  ``<timestamp>.<raw body>`` with the recipient's secret.

Receivers recompute the signature over the raw body and refuse timestamps older than 5 min.

The request goes to the client's transport as ``client.post`` would hand it over, with the
client's headers and timeout, but without the steps around it that a webhook never uses
(cookies kept from answers, auth, redirects: the senders' clients follow none, and a 3xx fails
the delivery as before; event hooks; the per-request INFO log line, which the attempt row
replaces): those were a tenth of a send's CPU, more than signing and encoding the body. ``tests/unit/notifications/test_webhook.py`` checks the request is the same."""

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
        # Taken once: the client's own headers (User-Agent, Accept, ...) and its timeout.
        self._headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in client.headers.raw]
        self._extensions = {"timeout": client.timeout.as_dict()}

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
        headers = [
            *self._headers,
            ("Content-Type", "application/json"),
            ("X-Notification-Id", str(message.delivery_id)),
            ("X-Notification-Timestamp", timestamp),
        ]
        if message.secret:
            headers.append(("X-Notification-Signature", signature(message.secret, timestamp, body)))
        try:
            request = httpx.Request(
                "POST", message.address, content=body, headers=headers, extensions=self._extensions
            )
            return await self._post(request)
        except httpx.HTTPError as error:
            return Outcome("retry", f"{type(error).__name__}: {error}")

    async def _post(self, request: httpx.Request) -> Outcome:
        transport = self._client._transport_for_url(request.url)  # the client's proxy or pool
        response = await transport.handle_async_request(request)
        try:
            if 200 <= response.status_code < 300:
                # Read to its end (the connection goes back to the pool) but not kept: decoding
                # it cost more than signing the request.
                async for _ in response.stream:  # type: ignore[union-attr]
                    pass
                return Outcome("delivered", None, response.status_code)
            await response.aread()
            return http_outcome(response.status_code, response.text)
        finally:
            await response.aclose()
