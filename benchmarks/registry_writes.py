"""The registry's write path: ``POST /v1/enterprises`` through the HTTP API, N requests from a
few concurrent clients; requests per second and p95 latency.

Each request is the whole write: token check, Idempotency-Key record, the credit-code check,
the row, its history row, its event in the outbox (and its audit record) in one transaction.

Goal (issue "Audit trail"): adding the audit trail costs at most 10 % of req/s and p95.
``BENCH_WRITES`` (default 2,000) and ``BENCH_WRITE_CLIENTS`` (default 8) change the load.
"""

from __future__ import annotations

import asyncio
import os
import time

import httpx

from benchmarks.common import drop_database, fresh_database, percentile
from benchmarks.registry_search import start_api
from registry.data.regions import load_country_regions
from registry.db import MIGRATIONS_DIR
from registry.db.regions import sync_regions
from registry.domain.credit_code import check_character
from shared.auth import generate_dev_keypair, mint_token

WRITES = int(os.environ.get("BENCH_WRITES", "2000"))
CLIENTS = int(os.environ.get("BENCH_WRITE_CLIENTS", "8"))
WARM_UP = 100
PORT = 18101


def credit_code(n: int) -> str:
    first17 = f"91520100{n:09d}"
    return first17 + check_character(first17)


async def _client_loop(client: httpx.AsyncClient, numbers: list[int], timings: list[float]) -> None:
    for n in numbers:
        body = {"credit_code": credit_code(n), "name": f"压测企业{n}", "region_code": "520102"}
        started = time.perf_counter()
        response = await client.post(
            "/v1/enterprises", json=body, headers={"Idempotency-Key": f"bench-{n}"}
        )
        timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 201:
            raise RuntimeError(f"write {n} answered {response.status_code}: {response.text}")


async def run_writes(token: str, first: int, count: int) -> tuple[float, list[float]]:
    timings: list[float] = []
    shares = [list(range(first + c, first + count, CLIENTS)) for c in range(CLIENTS)]
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{PORT}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ) as client:
        started = time.perf_counter()
        await asyncio.gather(*(_client_loop(client, share, timings) for share in shares))
        elapsed = time.perf_counter() - started
    return elapsed, timings


async def main() -> None:
    dsn = await fresh_database("writes", MIGRATIONS_DIR)
    await sync_regions(dsn, load_country_regions())
    private_pem, public_pem = generate_dev_keypair()
    token = mint_token(
        private_key_pem=private_pem,
        subject="bench",
        roles=["province_admin"],
        region_code="520000",
        issuer="ecom-local",
        audience="ecom-api",
    )
    api = start_api(dsn, public_pem)
    try:
        await run_writes(token, 0, WARM_UP)
        elapsed, timings = await run_writes(token, WARM_UP, WRITES)
    finally:
        api.terminate()
        api.wait(timeout=10)
        await drop_database(dsn)
    print(f"registry_writes: {WRITES:,} POST /v1/enterprises from {CLIENTS} clients")
    print(f"  throughput  {WRITES / elapsed:8.1f} req/s  ({elapsed:.1f} s)")
    print(
        f"  latency     p50 {percentile(timings, 0.5):6.1f} ms   p95 {percentile(timings, 0.95):6.1f} ms"
    )
