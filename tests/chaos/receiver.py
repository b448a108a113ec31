"""The offices' webhook endpoint: checks each request's signature (docs/notifications.md, the
recipe a receiver follows), counts requests per ``X-Notification-Id`` (a resend after a crashed
sender carries the same id: receivers deduplicate on it), and answers the first request of every
tenth delivery with 503, so that the senders' retries are part of the run."""

from __future__ import annotations

import hashlib
import hmac
from collections import Counter

from aiohttp import web


class WebhookReceiver:
    def __init__(self, secret: str, port: int) -> None:
        self.secret = secret.encode()
        self.port = port
        self.requests: Counter[str] = Counter()
        self.refused: set[str] = set()
        self.bad_signatures = 0
        self.paths: dict[str, str] = {}
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _hook(self, request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers.get("X-Notification-Timestamp", "")
        signature = request.headers.get("X-Notification-Signature", "")
        expected = hmac.new(self.secret, timestamp.encode() + b"." + body, hashlib.sha256)
        if not hmac.compare_digest(signature, f"sha256={expected.hexdigest()}"):
            self.bad_signatures += 1
            return web.Response(status=401)
        delivery = request.headers.get("X-Notification-Id", "")
        self.paths[delivery] = request.path
        if (
            delivery not in self.refused
            and int(hashlib.sha256(delivery.encode()).hexdigest(), 16) % 10 == 0
        ):
            self.refused.add(delivery)
            return web.Response(status=503)
        self.requests[delivery] += 1
        return web.json_response({"ok": True})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook/{tail:.*}", self._hook)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
