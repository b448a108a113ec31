"""The reports, sent as the reporters' own clients send them: the operator's token, one
Idempotency-Key per report, and every answer that is not final retried with that same key
(connection lost, 5xx, 429, ``request_in_progress``) until the API acknowledges (201) or refuses
for good. Acknowledged means a 201 reached the client: those are what must be stored once."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

from tests.chaos.seed import Reporter, Tokens

FIGURES = {
    "online_retail_sales": "12345678.90",
    "physical_goods_online_retail_sales": "9876543.21",
    "live_sessions": 120,
    "workers": 48,
}
RETRIED_STATUSES = {408, 425, 429, 500, 502, 503, 504}


@dataclass
class LoadResult:
    acknowledged: dict[str, str] = field(default_factory=dict)  # designation -> version URL
    replayed: int = 0
    attempts: int = 0
    retried: Counter[str] = field(default_factory=Counter)  # why
    refused: dict[str, str] = field(default_factory=dict)  # designation -> final answer
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # of every answered request, ms

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(int(share * len(ordered)), len(ordered) - 1)] if ordered else 0.0

    @property
    def done(self) -> int:
        return len(self.acknowledged) + len(self.refused)


async def submit_reports(
    base_url: str,
    window_id: str,
    reporters: Sequence[Reporter],
    tokens: Tokens,
    *,
    clients: int,
    result: LoadResult,
    figures: Callable[[Reporter], dict[str, object]] = lambda _: FIGURES,
    give_up_after: float = 600,
) -> LoadResult:
    queue: asyncio.Queue[Reporter] = asyncio.Queue()
    for reporter in reporters:
        queue.put_nowait(reporter)
    started = time.monotonic()

    async def one(client: aiohttp.ClientSession, reporter: Reporter) -> None:
        token = tokens.operator(reporter)
        headers = {
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": f"chaos-report-{reporter.designation_id}",
        }
        path = f"/v1/windows/{window_id}/reports/{reporter.designation_id}/versions"
        delay = 0.2
        deadline = time.monotonic() + give_up_after
        while True:
            result.attempts += 1
            sent = time.monotonic()
            try:
                async with client.post(
                    path, json={"figures": figures(reporter)}, headers=headers
                ) as response:
                    body = await response.text()
                    result.latencies.append((time.monotonic() - sent) * 1000)
                    if response.status == 201:
                        if response.headers.get("Idempotent-Replayed") == "true":
                            result.replayed += 1
                        result.acknowledged[reporter.designation_id] = response.headers.get(
                            "Location", ""
                        )
                        return
                    in_progress = response.status == 409 and "request_in_progress" in body
                    if response.status not in RETRIED_STATUSES and not in_progress:
                        result.refused[reporter.designation_id] = f"{response.status} {body[:300]}"
                        return
                    result.retried[f"HTTP {response.status}"] += 1
            except (aiohttp.ClientError, TimeoutError) as exc:
                result.retried[type(exc).__name__] += 1
            if time.monotonic() > deadline:
                result.refused[reporter.designation_id] = "gave up: no final answer"
                return
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    async def worker() -> None:
        # One connection per client, as the offices' own systems would have.
        # A connection per request: the API closes its side after each answer, and a request
        # sent on a connection the server is closing is lost (ServerDisconnectedError).
        connector = aiohttp.TCPConnector(limit=1, force_close=True)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(
            base_url=base_url, connector=connector, timeout=timeout
        ) as client:
            while not queue.empty():
                await one(client, queue.get_nowait())

    await asyncio.gather(*(worker() for _ in range(clients)))
    result.seconds = time.monotonic() - started
    return result
