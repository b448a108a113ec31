"""What the year's end-to-end tests do through the public surface: REST calls with tokens of
the right office, the events as an outside system reads them from Kafka, and the histories
Temporal keeps. Nothing here imports a service's own modules (they move; their APIs do not).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.support.kafka import envelope_of
from tests.support.kafka_snapshot import read_to_end
from tests.support.polling import eventually
from tests.support.year_stack import FINANCE_SECRET, YearStack, gather_pages

T = TypeVar("T")

PROGRAMMES = Path(__file__).resolve().parent / "programmes"
PROGRAMME = "guizhou-year-e2e"
YEAR = 2026
WINDOW = f"{PROGRAMME}.annual-report.{YEAR}"
PROVINCE = "520000"
CHINA = dt.timezone(dt.timedelta(hours=8))

# GB 32100-2015: the 31 characters and the weights of positions 1-17 (DOMAIN.md).
CODE_CHARACTERS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def credit_code(region_code: str) -> str:
    """A fresh unified social credit code (9 = industry and commerce, 1 = enterprise) with its
    check character, registered in ``region_code``."""
    first17 = f"91{region_code}" + "".join(secrets.choice("0123456789") for _ in range(9))
    total = sum(CODE_CHARACTERS.index(c) * w for c, w in zip(first17, CODE_WEIGHTS, strict=True))
    return first17 + CODE_CHARACTERS[(31 - total % 31) % 31]


def china(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CHINA)


class Refused(AssertionError):
    pass


@dataclass
class Api:
    """REST calls as one of the programme's offices, people or systems."""

    stack: YearStack

    # --- tokens ------------------------------------------------------------------------------

    def province(self) -> str:
        return self.stack.tokens(
            roles=["province_admin"], subject="gz-province", region_code=PROVINCE
        )

    def city(self, city_code: str) -> str:
        return self.stack.tokens(
            roles=["city_bureau"], subject=f"bureau-{city_code}", region_code=city_code
        )

    def operator(self, subject: str, entity_ids: Iterable[str]) -> str:
        return self.stack.tokens(roles=["operator"], subject=subject, enterprise_ids=entity_ids)

    def expert(self, expert_id: str) -> str:
        return self.stack.tokens(roles=["expert"], subject=expert_id)

    def integrator(self) -> str:
        return self.stack.tokens(roles=["integrator"], subject="gz-finance-platform")

    # --- calls -------------------------------------------------------------------------------

    async def call(
        self,
        method: str,
        service: str,
        path: str,
        token: str | None,
        *,
        expect: int | tuple[int, ...] = (200, 201),
        json_body: Any = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
    ) -> httpx.Response:
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if method == "POST" and token is not None:
            sent.setdefault("Idempotency-Key", uuid.uuid4().hex)
        async with self.stack.client(service) as client:
            response = await client.request(
                method, path, json=json_body, params=params, headers=sent, content=content
            )
        expected = (expect,) if isinstance(expect, int) else expect
        if response.status_code not in expected:
            raise Refused(
                f"{method} {service}{path}: {response.status_code} {response.text[:2000]}"
            )
        return response

    async def post(self, service: str, path: str, token: str, body: Any, **kw: Any) -> Any:
        return (await self.call("POST", service, path, token, json_body=body, **kw)).json()

    async def get(self, service: str, path: str, token: str, **kw: Any) -> Any:
        return (await self.call("GET", service, path, token, **kw)).json()

    async def pages(self, service: str, path: str, token: str, **params: Any) -> list[Any]:
        async with self.stack.client(service) as client:
            return await gather_pages(
                client, path, headers={"Authorization": f"Bearer {token}"}, **params
            )

    async def inbox(self, token: str, **params: Any) -> list[dict[str, Any]]:
        return await self.pages("notifications", "/v1/inbox", token, **params)

    async def deliveries(self, token: str, **params: Any) -> list[dict[str, Any]]:
        return await self.pages("notifications", "/v1/deliveries", token, **params)

    async def finance_callback(self, body: dict[str, Any]) -> httpx.Response:
        """Finance's signed answer (HMAC-SHA256 of the raw body), as docs/rewards.md says."""
        raw = json.dumps(body, separators=(",", ":")).encode()
        signature = hmac.new(FINANCE_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        return await self.call(
            "POST",
            "awards",
            "/callbacks/finance/payment-results",
            None,
            content=raw,
            headers={
                "Content-Type": "application/json",
                "X-Finance-Signature": f"sha256={signature}",
            },
            expect=(200, 201),
        )


async def until_value(
    check: Callable[[], Awaitable[T]],
    accept: Callable[[T], bool],
    *,
    seconds: float = 90,
    what: str,
) -> T:
    """Poll ``check`` until ``accept`` takes its value; fail naming ``what`` and the last value."""
    value = await eventually(check, accept, seconds=seconds, interval=0.5)
    assert accept(value), f"{what}: not reached in {seconds}s; last seen: {str(value)[:3000]}"
    return value


@dataclass
class Events:
    """The run's events as an outside system reads them: a plain consumer from the start of
    each topic, every record read through the CloudEvents SDK (``envelope_of``)."""

    stack: YearStack
    seen: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    async def of(self, topic: str) -> list[dict[str, Any]]:
        records = await read_to_end(self.stack.kafka_bootstrap, self.stack.topic(topic))
        envelopes = [envelope_of(record) for record in records]
        envelopes.sort(key=lambda e: (e["time"], e["id"]))
        self.seen[topic] = envelopes
        return envelopes

    async def types(self, topic: str) -> list[str]:
        return [e["type"] for e in await self.of(topic)]

    async def wait(
        self, topic: str, accept: Callable[[list[dict[str, Any]]], bool], *, what: str
    ) -> list[dict[str, Any]]:
        return await until_value(lambda: self.of(topic), accept, what=what, seconds=90)


def of_type(envelopes: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [e for e in envelopes if e["type"] == event_type]
