"""Loopback servers that behave like the receivers: a webhook receiver that checks the
signature, a WeCom group robot, a DingTalk robot (signed mode, errcode answers, 20 a minute
then errcode throttles) and Alibaba Cloud SMS (RPC signature check). Real HTTP on 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from notifications.channels.sms import rpc_signature


@dataclass
class Receiver:
    """What the fake received, and how it should behave."""

    webhook_secret: str = "webhook-secret-123"
    dingtalk_secret: str = "SECdingtalk-secret"
    sms_secret: str = "sms-secret"
    failing_paths: dict[str, int] = field(default_factory=dict)  # path -> status to answer
    per_minute: int = 20
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sent_times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)
    base_url: str = ""

    def bodies(self, path: str) -> list[dict[str, Any]]:
        with self.lock:
            return [body for where, body in self.received if where == path]

    def _throttled(self, key: str) -> bool:
        now = time.monotonic()
        with self.lock:
            recent = [t for t in self.sent_times[key] if t > now - 60]
            self.sent_times[key] = recent
            if len(recent) >= self.per_minute:
                return True
            recent.append(now)
            return False


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
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
            if url.path in receiver.failing_paths:
                self._answer(receiver.failing_paths[url.path], {"error": "down"})
                return
            if url.path.startswith("/hook"):
                self._webhook(url.path, raw)
            elif url.path == "/cgi-bin/webhook/send":
                self._wecom(query, raw)
            elif url.path == "/robot/send":
                self._dingtalk(query, raw)
            elif url.path == "/sms":
                self._sms(raw)
            else:
                self._answer(404, {})

        def _webhook(self, path: str, raw: bytes) -> None:
            timestamp = self.headers.get("X-Notification-Timestamp", "")
            expected = (
                "sha256="
                + hmac.new(
                    receiver.webhook_secret.encode(),
                    timestamp.encode() + b"." + raw,
                    hashlib.sha256,
                ).hexdigest()
            )
            if not hmac.compare_digest(expected, self.headers.get("X-Notification-Signature", "")):
                self._answer(401, {"error": "bad signature"})
                return
            with receiver.lock:
                receiver.received.append((path, json.loads(raw)))
            self._answer(204 if path.endswith("204") else 200, {})

        def _wecom(self, query: dict[str, str], raw: bytes) -> None:
            body = json.loads(raw)
            content = body.get("markdown", {}).get("content", "")
            if len(content.encode()) > 4096:
                self._answer(
                    200, {"errcode": 40058, "errmsg": "markdown.content exceed max length"}
                )
                return
            if receiver._throttled("wecom:" + query.get("key", "")):
                self._answer(200, {"errcode": 45009, "errmsg": "api freq out of limit"})
                return
            with receiver.lock:
                receiver.received.append(("wecom:" + query.get("key", ""), body))
            self._answer(200, {"errcode": 0, "errmsg": "ok"})

        def _dingtalk(self, query: dict[str, str], raw: bytes) -> None:
            token = query.get("access_token", "")
            if token.startswith("signed"):
                timestamp = query.get("timestamp", "0")
                mac = hmac.new(
                    receiver.dingtalk_secret.encode(),
                    f"{timestamp}\n{receiver.dingtalk_secret}".encode(),
                    hashlib.sha256,
                )
                fresh = abs(time.time() * 1000 - int(timestamp)) < 3600 * 1000
                if not fresh or query.get("sign") != base64.b64encode(mac.digest()).decode():
                    self._answer(200, {"errcode": 310000, "errmsg": "sign not match"})
                    return
            if receiver._throttled("dingtalk:" + token):
                self._answer(
                    200, {"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}
                )
                return
            with receiver.lock:
                receiver.received.append(("dingtalk:" + token, json.loads(raw)))
            self._answer(200, {"errcode": 0, "errmsg": "ok"})

        def _sms(self, raw: bytes) -> None:
            params = dict(urllib.parse.parse_qsl(raw.decode()))
            signature = params.pop("Signature", "")
            if signature != rpc_signature(params, receiver.sms_secret):
                self._answer(400, {"Code": "SignatureDoesNotMatch", "Message": "bad signature"})
                return
            with receiver.lock:
                receiver.received.append(("sms", params))
            self._answer(200, {"Code": "OK", "Message": "OK", "BizId": "1", "RequestId": "r"})

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 1024  # bursts of concurrent senders (the default backlog is 5)
    daemon_threads = True


@contextmanager
def loopback_receiver(receiver: Receiver | None = None) -> Iterator[Receiver]:
    receiver = receiver or Receiver()
    server = _Server(("127.0.0.1", 0), _handler(receiver))
    receiver.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
