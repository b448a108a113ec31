"""The outside receivers of the notifications sender, on loopback, judging time by the business
clock (the sender signs with the instant it reads, which is the run's business time):

- an SMTP server (aiosmtpd) keeping every message;
- signed webhooks (``/hook/<name>``): the ``X-Notification-Signature`` is checked with the
  recipient's secret, and a timestamp more than five minutes from the business clock is
  refused, as docs/notifications.md tells receivers to do;
- WeCom group robots (``/cgi-bin/webhook/send?key=…``) and DingTalk robots
  (``/robot/send?access_token=…``, signed mode when the token starts with ``signed``). Both
  answer HTTP 200 with an ``errcode``; a robot named in ``throttle_first`` answers its first
  message with the vendor's rate-limit code (WeCom 45009, DingTalk 130101) and takes the
  next ones.

Every request is kept, refused ones too, so a test can see a retry.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.private_postgres import free_port

WEBHOOK_SECRET = "year-webhook-secret"
DINGTALK_SECRET = "SECyear-dingtalk-secret"
FRESH_SECONDS = 300


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it, and what it answered."""

    endpoint: str  # "webhook:<name>", "wecom:<key>", "dingtalk:<token>"
    body: dict[str, Any]
    headers: dict[str, str]
    accepted: bool
    answer: dict[str, Any]


@dataclass
class HttpReceivers:
    business_now: Callable[[], float]  # seconds since the epoch, on the business clock
    throttle_first: set[str] = field(default_factory=set)  # endpoints refused once
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def url(self, channel: str, name: str) -> str:
        if channel == "webhook":
            return f"{self.base_url}/hook/{name}"
        if channel == "wecom":
            return f"{self.base_url}/cgi-bin/webhook/send?key={name}"
        if channel == "dingtalk":
            return f"{self.base_url}/robot/send?access_token={name}"
        raise ValueError(channel)

    def at(self, endpoint: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.endpoint == endpoint]

    def accepted(self, endpoint: str) -> list[Received]:
        return [r for r in self.at(endpoint) if r.accepted]

    def _keep(self, received: Received) -> None:
        with self.lock:
            self.received.append(received)

    def _throttle_once(self, endpoint: str) -> bool:
        with self.lock:
            if endpoint in self.throttle_first:
                self.throttle_first.discard(endpoint)
                return True
            return False


def _handler(receivers: HttpReceivers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query))
            headers = {k: v for k, v in self.headers.items()}
            body = json.loads(raw or b"{}")
            if url.path.startswith("/hook/"):
                status, answer = self._webhook(raw)
                endpoint = "webhook:" + url.path.removeprefix("/hook/")
                accepted = status == 200
            elif url.path == "/cgi-bin/webhook/send":
                endpoint = "wecom:" + query.get("key", "")
                status, answer = 200, self._robot(endpoint, 45009, "api freq out of limit")
                accepted = answer["errcode"] == 0
            elif url.path == "/robot/send":
                endpoint = "dingtalk:" + query.get("access_token", "")
                status, answer = 200, self._dingtalk(endpoint, query)
                accepted = answer["errcode"] == 0
            else:
                self._answer(404, {})
                return
            receivers._keep(Received(endpoint, body, headers, accepted, answer))
            self._answer(status, answer)

        def _webhook(self, raw: bytes) -> tuple[int, dict[str, Any]]:
            timestamp = self.headers.get("X-Notification-Timestamp", "")
            expected = (
                "sha256="
                + hmac.new(
                    WEBHOOK_SECRET.encode(), timestamp.encode() + b"." + raw, hashlib.sha256
                ).hexdigest()
            )
            if not hmac.compare_digest(expected, self.headers.get("X-Notification-Signature", "")):
                return 401, {"error": "bad signature"}
            if not timestamp.isdigit() or abs(receivers.business_now() - int(timestamp)) > (
                FRESH_SECONDS
            ):
                return 401, {"error": "stale timestamp"}
            return 200, {"ok": True}

        def _robot(self, endpoint: str, code: int, message: str) -> dict[str, Any]:
            if receivers._throttle_once(endpoint):
                return {"errcode": code, "errmsg": message}
            return {"errcode": 0, "errmsg": "ok"}

        def _dingtalk(self, endpoint: str, query: dict[str, str]) -> dict[str, Any]:
            if query.get("access_token", "").startswith("signed"):
                timestamp = query.get("timestamp", "0")
                mac = hmac.new(
                    DINGTALK_SECRET.encode(),
                    f"{timestamp}\n{DINGTALK_SECRET}".encode(),
                    hashlib.sha256,
                )
                fresh = abs(receivers.business_now() * 1000 - int(timestamp)) < 3600 * 1000
                if not fresh or query.get("sign") != base64.b64encode(mac.digest()).decode():
                    return {"errcode": 310000, "errmsg": "sign not match"}
            return self._robot(endpoint, 130101, "send too fast, exceed 20 times per minute")

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True


@contextlib.contextmanager
def http_receivers(receivers: HttpReceivers) -> Iterator[HttpReceivers]:
    server = _Server(("127.0.0.1", 0), _handler(receivers))
    receivers.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receivers
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mailbox:
    """What the SMTP server accepted: each message with its envelope recipients."""

    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [message for rcpt, message in self.messages if address in rcpt]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


@contextlib.contextmanager
def smtp_server() -> Iterator[Mailbox]:
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def text_of(message: EmailMessage) -> str:
    """The plain text of a message (the sender writes Markdown as text/plain)."""
    part = message.get_body(preferencelist=("plain", "html"))
    return str(part.get_content()) if part is not None else ""
