"""The webhook channel hands its request to the client's transport itself (no cookies, auth or
redirect steps): what a receiver gets and what its answer comes to stay as through
``client.post``. No network: the transports are httpx's mock, or the egress client's with a
resolver that answers a private address."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from typing import Any

import httpx
import pytest

from notifications.channels.base import Outgoing
from notifications.channels.egress import egress_client
from notifications.channels.webhook import WebhookChannel

SECRET = "webhook-secret-123"


def message(address: str = "https://hooks.example.com/notify") -> Outgoing:
    return Outgoing(
        delivery_id=uuid.uuid4(),
        channel="webhook",
        address=address,
        secret=SECRET,
        kind="deadline_reminder",
        title="【年报提醒】尚有 1 家未报送",
        body="### 提醒\n- E1",
        payload={"designation_ids": ["E1"]},
    )


def answering(status: int, seen: list[httpx.Request], **answer: Any) -> httpx.AsyncClient:
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, **answer)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle), timeout=3)


async def test_the_request_is_the_one_client_post_sent_signed_and_with_the_clients_headers() -> (
    None
):
    seen: list[httpx.Request] = []
    async with answering(200, seen, json={}) as client:
        outgoing = message()
        outcome = await WebhookChannel(client).send(outgoing)
    assert (outcome.result, outcome.http_status) == ("delivered", 200)
    [request] = seen
    assert (request.method, str(request.url)) == ("POST", outgoing.address)
    headers = request.headers
    assert headers["host"] == "hooks.example.com"
    assert headers["content-type"] == "application/json"
    assert headers["content-length"] == str(len(request.content))
    assert headers["user-agent"] == client.headers["user-agent"]
    assert headers["x-notification-id"] == str(outgoing.delivery_id)
    mac = hmac.new(
        SECRET.encode(),
        headers["x-notification-timestamp"].encode() + b"." + request.content,
        hashlib.sha256,
    )
    assert headers["x-notification-signature"] == "sha256=" + mac.hexdigest()
    assert request.extensions["timeout"] == client.timeout.as_dict()


async def test_a_redirect_is_not_followed_and_fails_the_delivery() -> None:
    seen: list[httpx.Request] = []
    elsewhere = {"location": "https://elsewhere.example.com/"}
    async with answering(302, seen, headers=elsewhere, text="moved") as client:
        outcome = await WebhookChannel(client).send(message())
    assert (outcome.result, outcome.http_status) == ("failed", 302)
    assert outcome.reason == "HTTP 302: moved"
    assert len(seen) == 1


@pytest.mark.parametrize(
    ("status", "result"), [(204, "delivered"), (429, "retry"), (503, "retry"), (404, "failed")]
)
async def test_the_answer_is_classified_as_through_client_post(status: int, result: str) -> None:
    async with answering(status, [], text="nope") as client:
        outcome = await WebhookChannel(client).send(message())
    assert (outcome.result, outcome.http_status) == (result, status)
    if result != "delivered":
        assert outcome.reason == f"HTTP {status}: nope"


async def test_a_transport_error_is_a_retry() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handle)) as client:
        outcome = await WebhookChannel(client).send(message())
    assert outcome.result == "retry" and outcome.reason == "ReadTimeout: timed out"


async def test_the_egress_clients_check_still_refuses_a_private_answer() -> None:
    async def rebinding(host: str, port: int) -> list[str]:
        return ["10.0.0.7"]

    limits = httpx.Limits(max_connections=4)
    async with egress_client(allow_private=False, limits=limits, resolver=rebinding) as client:
        outcome = await WebhookChannel(client).send(message())
    assert outcome.result == "retry"
    assert "refused: hooks.example.com resolves to loopback or private 10.0.0.7" in (
        outcome.reason or ""
    )
