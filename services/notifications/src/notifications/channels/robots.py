"""WeCom (企业微信) group robots and DingTalk robots: their markdown messages, size limits,
DingTalk's signed mode, and success only when the body's ``errcode`` is 0 (both answer HTTP 200
when they reject or throttle a message).

* WeCom: ``{"msgtype": "markdown", "markdown": {"content": …}}``, content at most 4096 bytes
  (UTF-8); 20 messages a minute per robot; errcode 45009 when exceeded.
* DingTalk: ``{"msgtype": "markdown", "markdown": {"title": …, "text": …}}``, at most 20000
  bytes; signed mode appends ``timestamp`` (ms) and ``sign`` = base64 HMAC-SHA256 of
  ``"<timestamp>\\n<secret>"`` keyed by the secret (valid one hour); 20 a minute; errcode 130101
  when exceeded (after which DingTalk holds the robot for 10 minutes).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
import urllib.parse
from typing import Any

import httpx

from notifications.channels.base import Outcome, Outgoing

WECOM_LIMIT = 4096
DINGTALK_LIMIT = 20000
THROTTLE_CODES = {45009, 130101}
TRUNCATED = "\n\n……（内容过长，已截断）[查看全文]({url})"


def fit(text: str, limit: int, url: str) -> str:
    """``text`` cut to ``limit`` UTF-8 bytes, ending with a link to the full message."""
    if len(text.encode()) <= limit:
        return text
    tail = TRUNCATED.format(url=url)
    room = limit - len(tail.encode())
    cut = text.encode()[:room].decode(errors="ignore")
    return cut + tail


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def robot_outcome(status: int, answer: Any) -> Outcome:
    if status != 200 or not isinstance(answer, dict):
        retry = status >= 500 or status == 429
        return Outcome("retry" if retry else "failed", f"HTTP {status}: {answer!r}"[:300], status)
    code, reason = answer.get("errcode"), f"errcode {answer.get('errcode')}: {answer.get('errmsg')}"
    if code == 0:
        return Outcome("delivered", None, status)
    if code in THROTTLE_CODES:
        return Outcome("throttled", reason, status)
    if code in (-1,):  # system busy
        return Outcome("retry", reason, status)
    return Outcome("failed", reason, status)


class _Robot:
    name = ""
    limit = 0

    def __init__(self, client: httpx.AsyncClient, full_text_url: str) -> None:
        self._client = client
        self._full_text_url = full_text_url

    def body(self, message: Outgoing, text: str) -> dict[str, Any]:
        raise NotImplementedError

    def url(self, message: Outgoing) -> str:
        return message.address

    async def send(self, message: Outgoing) -> Outcome:
        text = fit(f"{message.body}", self.limit, self._full_text_url)
        try:
            response = await self._client.post(self.url(message), json=self.body(message, text))
        except httpx.HTTPError as error:
            return Outcome("retry", f"{type(error).__name__}: {error}")
        try:
            answer = response.json()
        except ValueError:
            answer = response.text
        return robot_outcome(response.status_code, answer)


class WeComRobot(_Robot):
    name = "wecom"
    limit = WECOM_LIMIT

    def body(self, message: Outgoing, text: str) -> dict[str, Any]:
        return {"msgtype": "markdown", "markdown": {"content": text}}


class DingTalkRobot(_Robot):
    name = "dingtalk"
    limit = DINGTALK_LIMIT

    def body(self, message: Outgoing, text: str) -> dict[str, Any]:
        return {"msgtype": "markdown", "markdown": {"title": message.title[:64], "text": text}}

    def url(self, message: Outgoing) -> str:
        if not message.secret:
            return message.address
        timestamp = int(time.time() * 1000)
        sign = urllib.parse.quote_plus(dingtalk_sign(message.secret, timestamp))
        return f"{message.address}&timestamp={timestamp}&sign={sign}"
