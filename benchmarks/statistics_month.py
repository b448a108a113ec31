"""One month of statistics (issue 13): every county bureau of Guizhou and Qinghai and every
district of Qingdao, and their city bureaus (≈ 160 reporters, every monthly figure their
programme collects from them), submitted through the API, recommended by the city and accepted
by the province (each acceptance publishes the period's sums again); then the province's
``GET /v1/statistics`` p50/p95 through the API against the same SQL run bare on asyncpg, and
against the same sums computed in SQL (``SUMS``: the goal's baseline, "the bare SQL of the same
sums", goal ≤ 2): the API fetches the figures' rows and sums them up the hierarchy in Python,
so its own statements alone are not the same work.

The earlier periods the growth needs (the month before, a year before) are copied in SQL
from the submitted month at 90 %. The three ways take turns query by query
(``query_side_by_side``). Scale down with ``BENCH_STATISTICS_QUERIES`` (queries per way,
default 300) and ``BENCH_STATISTICS_COUNTIES`` (counties per programme, default all);
``BENCH_ONE_WRITE=0`` serves the API with uvicorn's own protocol (two writes per response);
``BENCH_TELEMETRY=1`` sets up the SDK's providers in the API as ``run_api`` does. The
queries' client is ``benchmarks.load_client`` (``query_side_by_side`` says why), and each
month's line gives the API process's CPU per query, steadier than its latency on a loaded
machine.
Qingdao's programme ran 2014–2020, so its month is January 2020 and its API runs with a clock
in February 2020; the others report January 2025.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import os
import subprocess
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx

from benchmarks import results
from benchmarks.common import (
    delete_topics,
    drop_database,
    free_port,
    fresh_database,
    peak_memory_kib,
    percentile,
    start_api_process,
    submissions_env,
)
from benchmarks.load_client import LoadClient
from benchmarks.registry_writes import cpu_seconds
from shared.auth import generate_dev_keypair, mint_token
from shared.db.pool import create_pool
from shared.programmes import CHINA_STANDARD_TIME, Statistics, load_programmes
from submissions.db import MIGRATIONS_DIR
from submissions.db import statistics_queries as queries

QUERIES = int(os.environ.get("BENCH_STATISTICS_QUERIES", "300"))
COUNTIES = int(os.environ.get("BENCH_STATISTICS_COUNTIES", "0"))  # 0: all
CLIENTS = 16
POOL_SIZE = 10
# A free port, kept in the environment so the API process it starts (which imports this
# module again) serves on the same one; a fixed port would clash with other checkouts' runs.
PORT = int(os.environ.setdefault("BENCH_PORT_STATISTICS_MONTH", str(free_port())))
REGIONS = Path(__file__).parents[1] / "services/registry/src/registry/data/regions/regions.csv"
INDICATOR = "online_retail_sales"


@dataclass(frozen=True)
class Month:
    programme_id: str
    jurisdiction: str
    period: str
    previous: str
    a_year_earlier: str
    now: dt.datetime  # the API's clock: inside the period's window
    opens_at: dt.datetime  # the period's end: its roster is the registrations open then


def _january(programme_id: str, jurisdiction: str, year: int) -> Month:
    """January of ``year``: the API's clock on 5 February at 10:00, inside its window; the
    roster is the registrations open when the month ended."""
    return Month(
        programme_id,
        jurisdiction,
        f"{year}-01",
        f"{year - 1}-12",
        f"{year - 1}-01",
        dt.datetime(year, 2, 5, 10, tzinfo=CHINA_STANDARD_TIME),
        dt.datetime(year, 2, 1, tzinfo=CHINA_STANDARD_TIME),
    )


MONTHS = (
    _january("guizhou-shibaiqianwan-2023", "520000", 2025),
    _january("qinghai-2024-2026", "630000", 2025),
    _january("qingdao-2014", "370200", 2020),
)


@dataclass(frozen=True)
class Reporter:
    month: Month
    kind: str  # county or city
    region_code: str
    figures: dict[str, Any]


def serve() -> None:
    """The API process: the real app, its clock fixed at ``BENCH_NOW``."""
    import uvicorn

    from shared.service.one_write import OneWriteHttpToolsProtocol
    from submissions.api.app import create_app
    from submissions.config import SubmissionsSettings

    now = dt.datetime.fromisoformat(os.environ["BENCH_NOW"])
    if os.environ.get("BENCH_TELEMETRY") == "1":
        # As ``run_api`` sets it up (the SDK's providers, no exporter without an endpoint), as
        # in submissions_rush; off by default, so the figures compare with earlier runs.
        from shared.telemetry import setup_telemetry

        setup_telemetry("submissions")
    app = create_app(SubmissionsSettings())
    app.state.clock = lambda: now
    # As ``run_api`` serves it (shared.service.heap, its protocol); BENCH_GC_FREEZE=0 for pairs
    # without the heap freeze, BENCH_ONE_WRITE=0 for pairs with uvicorn's stock protocol.
    app.state.freeze_heap_on_start = os.environ.get("BENCH_GC_FREEZE", "1") == "1"
    # Keep-alive past uvicorn's 5 s: on a loaded machine a client may not send its next request
    # within 5 s, and a connection the server closes just as it is reused fails the run.
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=PORT,
        log_level="warning",
        timeout_keep_alive=60,
        http=OneWriteHttpToolsProtocol if os.environ.get("BENCH_ONE_WRITE", "1") == "1" else "auto",
    )


def start_api(dsn: str, public_pem: str, prefix: str, now: dt.datetime) -> subprocess.Popen[bytes]:
    return start_api_process(
        ["-c", "from benchmarks.statistics_month import serve; serve()"],
        {"BENCH_NOW": now.isoformat(), **submissions_env(dsn, public_pem, prefix, POOL_SIZE)},
        port=PORT,
        name="submissions",
    )


def stop_api(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=10)


def _regions(month: Month) -> tuple[list[str], list[str]]:
    """The counties (limited by BENCH_STATISTICS_COUNTIES) and their cities in force."""
    root = month.jurisdiction
    prefix = root[:2] if root.endswith("0000") else root[:4]
    counties: list[str] = []
    with REGIONS.open(encoding="utf-8") as file:
        rows = csv.DictReader(line for line in file if not line.startswith("#"))
        for row in rows:
            if row["code"].startswith(prefix) and row["level"] == "county":
                if not row["valid_to"]:
                    counties.append(row["code"])
    counties = counties[:COUNTIES] if COUNTIES else counties
    return counties, sorted({code[:4] + "00" for code in counties})


def _figures(statistics: Statistics, kind: str, n: int) -> dict[str, Any]:
    """Every monthly figure the programme collects from this kind of bureau."""
    total = Decimal(10_000_000 + 137 * n) + Decimal("0.25")
    figures: dict[str, Any] = {}
    for indicator in statistics.indicators:
        if indicator.period.value != "monthly" or indicator.aggregation.value == "derived":
            continue
        collected = indicator.level.value == kind or (
            kind == "city" and indicator.city_reports_total
        )
        if not collected:
            continue
        for key in indicator.figure_keys(statistics.customs_modes):
            if key == INDICATOR:
                value: Any = str(total * (20 if kind == "city" else 1))
            elif indicator.unit.value == "cny":
                value = str((total / 3).quantize(Decimal("0.01")))
            else:
                value = 40 + n % 7
            figures[key] = value
    return figures


def reporters() -> list[Reporter]:
    programmes = load_programmes("shared/programmes")
    found: list[Reporter] = []
    for month in MONTHS:
        statistics = programmes[month.programme_id].statistics
        assert statistics is not None
        counties, cities = _regions(month)
        for kind, codes in (("county", counties), ("city", cities)):
            for n, code in enumerate(codes):
                figures = _figures(statistics, kind, n)
                if figures:
                    found.append(Reporter(month, kind, code, figures))
    return found


def _base(month: Month, reporter: Reporter, tail: str) -> str:
    return (
        f"/v1/statistics/reports/{month.programme_id}/{month.period}/{reporter.region_code}{tail}"
    )


async def submit_and_accept(
    found: list[Reporter], token: Any
) -> tuple[list[float], list[float], int]:
    """Each reporter's figures, then its city's recommendation and the province's acceptance."""
    submitted: list[float] = []
    reviewed: list[float] = []
    refused = 0
    queue: asyncio.Queue[Reporter] = asyncio.Queue()
    for reporter in found:
        queue.put_nowait(reporter)

    async def client() -> None:
        nonlocal refused
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=120) as http:
            while not queue.empty():
                reporter = queue.get_nowait()
                month, code = reporter.month, reporter.region_code
                role = "county_bureau" if reporter.kind == "county" else "city_bureau"
                started = time.perf_counter()
                answer = await http.post(
                    _base(month, reporter, "/versions"),
                    json={
                        "reporter_kind": reporter.kind,
                        "region_code": code,
                        "figures": reporter.figures,
                    },
                    headers={
                        "Authorization": f"Bearer {token(role, code)}",
                        "Idempotency-Key": f"stat-{code}",
                    },
                )
                submitted.append((time.perf_counter() - started) * 1000)
                refused += answer.status_code != 201
                for path, decision, role, region in (
                    ("/city-review", "recommend", "city_bureau", code[:4] + "00"),
                    (
                        "/province-review",
                        "accept",
                        "province_admin",
                        month.jurisdiction[:2] + "0000",
                    ),
                ):
                    started = time.perf_counter()
                    answer = await http.post(
                        _base(month, reporter, path),
                        json={"decision": decision},
                        headers={"Authorization": f"Bearer {token(role, region)}"},
                    )
                    reviewed.append((time.perf_counter() - started) * 1000)
                    refused += answer.status_code != 200

    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    return submitted, reviewed, refused


EARLIER_REPORTS = """
INSERT INTO statistics_reports (id, programme_id, period, reporter_id, reporter_kind,
                                region_code, city_code, state, accepted_version)
SELECT gen_random_uuid(), programme_id, $3, reporter_id, reporter_kind, region_code, city_code,
       'accepted', 1
FROM statistics_reports WHERE programme_id = $1 AND period = $2
"""
EARLIER_FIGURES = """
INSERT INTO statistics_figures (programme_id, period, reporter_id, reporter_kind, region_code,
                                indicator, key, value)
SELECT programme_id, $3, reporter_id, reporter_kind, region_code, indicator, key,
       round(value * 0.9, 2)
FROM statistics_figures WHERE programme_id = $1 AND period = $2
"""


REGISTER = """
INSERT INTO statistics_reporters (programme_id, reporter_id, reporter_kind, region_code,
                                  city_code, registered_at, registered_by)
VALUES ($1, $2, $3, $2, $4, $5, 'bench')
"""


async def register_roster(dsn: str, found: list[Reporter]) -> None:
    """Every reporter expected: registered before its period opened."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.executemany(
            REGISTER,
            [
                (
                    r.month.programme_id,
                    r.region_code,
                    r.kind,
                    r.region_code[:4] + "00",
                    r.month.opens_at - dt.timedelta(days=31),
                )
                for r in found
            ],
        )
    finally:
        await connection.close()


async def earlier_periods(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        for month in MONTHS:
            for earlier in (month.previous, month.a_year_earlier):
                await connection.execute(EARLIER_REPORTS, month.programme_id, month.period, earlier)
                await connection.execute(EARLIER_FIGURES, month.programme_id, month.period, earlier)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


@dataclass(frozen=True)
class Queried:
    timings: list[float]
    bare: list[float]  # the published query's statements run bare, same rounds
    sums: list[float]  # the same sums in SQL (``SUMS``), same rounds: the goal's baseline
    rows: int
    completeness: str
    api_cpu_ms: float  # the API process's CPU per query (/proc)
    client_cpu_ms: float  # this process's, the client's (its JSON parsing outside the timing)


# The same sums in SQL: each figure of the indicator's level (county) counted at its region,
# its city and its province, per period, with reporters and provisional flags; the breakdown
# keys as a grouping set of their own. What the API sums in Python from FIGURES' rows.
SUMS = """
SELECT f.period, a.code, f.key, sum(f.value) AS value, count(DISTINCT f.reporter_id) AS reporters,
       bool_or(r.state <> 'accepted') AS provisional
FROM statistics_figures f
JOIN statistics_reports r
  ON r.programme_id = f.programme_id AND r.period = f.period AND r.reporter_id = f.reporter_id
CROSS JOIN LATERAL (
    SELECT DISTINCT c FROM unnest(ARRAY[f.region_code, left(f.region_code, 4) || '00',
                                        left(f.region_code, 2) || '0000']) AS c) AS a(code)
WHERE f.programme_id = $1 AND f.indicator = ANY($2::text[]) AND f.period = ANY($3::text[])
  AND f.region_code LIKE $4 AND a.code LIKE $4 AND f.reporter_kind = 'county'
GROUP BY GROUPING SETS ((f.period, a.code), (f.period, a.code, f.key))
"""


async def query_side_by_side(dsn: str, month: Month, token: str, api_pid: int) -> Queried:
    """The province's view, ``QUERIES`` rounds one after another: in each round the API once
    (one kept-alive connection), the published query's SQL bare once (the figures of three
    periods, the report states, the roster counts, as is) and once with the figures summed up
    the hierarchy in SQL (``SUMS``, the goal's baseline: "the bare SQL of the same sums"). The
    three sides take turns round by round, their order rotating, so that a burst of load on
    this 2-core machine falls on all of them alike instead of on one side's whole block.

    The client is ``benchmarks.load_client``: one request at a time, the client's own CPU is
    part of every timing, and aiohttp spent ≈ 0.3 ms per request (httpx several times that);
    the client is not what is measured, and the bare side's is asyncpg. Same requests: path,
    query, bearer token."""
    api_timings: list[float] = []
    bare: list[float] = []
    sums: list[float] = []
    rows = 0
    completeness: dict[str, dict[str, int]] = {}
    params = {"indicator": INDICATOR, "period": month.period, "region": month.jurisdiction}
    by = "city" if month.jurisdiction.endswith("0000") else "county"
    root = month.jurisdiction
    like = root[:2] + "%" if root.endswith("0000") else root[:4] + "%"
    parts = [INDICATOR]
    periods = [month.period, month.previous, month.a_year_earlier]
    client_cpu = 0.0
    pool = await create_pool(dsn, min_size=1, max_size=POOL_SIZE)
    try:
        async with LoadClient("127.0.0.1", PORT) as http:
            target = f"/v1/statistics?{urlencode({**params, 'by': by})}"
            headers = f"Authorization: Bearer {token}\r\n"

            async def through_api() -> None:
                nonlocal rows, completeness, client_cpu
                client_before = time.process_time()
                started = time.perf_counter()
                async with asyncio.timeout(60):
                    status, body = await http.get(target, headers)
                api_timings.append((time.perf_counter() - started) * 1000)
                client_cpu += time.process_time() - client_before
                if status != 200:
                    raise RuntimeError(f"GET {target} answered {status}: {body[:200]!r}")
                document = json.loads(body)
                rows = len(document["rows"])
                completeness = document["completeness"]

            async def bare_sql(summed: bool) -> None:
                started = time.perf_counter()
                async with pool.acquire() as connection:
                    await connection.fetch(
                        SUMS if summed else queries.FIGURES,
                        month.programme_id,
                        parts,
                        periods,
                        like,
                    )
                    await connection.fetch(
                        queries.REPORT_STATES, month.programme_id, month.period, like
                    )
                    await connection.fetch(
                        queries.ROSTER_COUNTS,
                        month.programme_id,
                        month.period,
                        month.opens_at,
                        like,
                    )
                (sums if summed else bare).append((time.perf_counter() - started) * 1000)

            sides = [through_api, lambda: bare_sql(False), lambda: bare_sql(True)]
            api_before = cpu_seconds([api_pid]).get(api_pid, 0.0)
            for n in range(QUERIES):
                for k in range(len(sides)):
                    await sides[(n + k) % len(sides)]()
            api_cpu = (cpu_seconds([api_pid]).get(api_pid, 0.0) - api_before) / QUERIES * 1000
    finally:
        await pool.close()
    counts = ", ".join(
        f"{kind} {c['accepted']}/{c['expected']} accepted, {c['missing']} missing"
        for kind, c in sorted(completeness.items())
    )
    return Queried(api_timings, bare, sums, rows, counts, api_cpu, client_cpu / QUERIES * 1000)


async def main() -> None:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    dsn = await fresh_database("statistics", MIGRATIONS_DIR)
    private_pem, public_pem = generate_dev_keypair()
    tokens: dict[tuple[str, str], str] = {}

    def token(role: str, region: str) -> str:
        if (role, region) not in tokens:
            tokens[role, region] = mint_token(
                private_key_pem=private_pem,
                subject=f"{role}-{region}",
                roles=[role],
                region_code=region,
                ttl_seconds=7200,
            )
        return tokens[role, region]

    found = reporters()
    submitted: list[float] = []
    reviewed: list[float] = []
    refused = 0
    lines = []
    try:
        await register_roster(dsn, found)
        started = time.perf_counter()
        for now in sorted({m.now for m in MONTHS}):
            api = start_api(dsn, public_pem, prefix, now)
            try:
                batch = [r for r in found if r.month.now == now]
                s, r, x = await submit_and_accept(batch, token)
                submitted, reviewed, refused = submitted + s, reviewed + r, refused + x
            finally:
                stop_api(api)
        elapsed = time.perf_counter() - started
        await earlier_periods(dsn)
        api = start_api(dsn, public_pem, prefix, MONTHS[0].now)
        try:
            for month in MONTHS:
                queried = await query_side_by_side(
                    dsn, month, token("province_admin", month.jurisdiction[:2] + "0000"), api.pid
                )
                api_timings, rows, counts = queried.timings, queried.rows, queried.completeness
                bare = queried.bare
                sums_p95 = percentile(queried.sums, 0.95)
                api_p95, bare_p95 = percentile(api_timings, 0.95), percentile(bare, 0.95)
                lines.append(
                    f"  {month.programme_id:28} {month.jurisdiction} {rows:3} rows  "
                    f"API p50 {percentile(api_timings, 0.5):6.1f} ms p95 {api_p95:6.1f} ms  "
                    f"bare SQL p50 {percentile(bare, 0.5):5.1f} ms p95 {bare_p95:5.1f} ms  "
                    f"ratio p95 api/bare {api_p95 / bare_p95:5.1f}\n"
                    f"  {'':28} the same sums in SQL p95 {sums_p95:5.1f} ms, "
                    f"ratio p95 api/sums {api_p95 / sums_p95:5.2f} (goal <= 2)\n"
                    f"  {'':28} CPU per query: API process {queried.api_cpu_ms:.2f} ms, "
                    f"client {queried.client_cpu_ms:.2f} ms\n"
                    f"  {'':28} completeness: {counts}"
                )
                results.record(
                    "statistics_month",
                    f"statistics {month.programme_id} {month.jurisdiction} p95 / SQL sums",
                    ours=f"{api_p95:.1f} ms",
                    baseline=f"{sums_p95:.1f} ms",
                    ratio=api_p95 / sums_p95,
                    goal="<= 2.0",
                    passed=api_p95 / sums_p95 <= 2.0,
                    peak_mib=peak_memory_kib(api.pid) / 1024,
                    cpu_ms=queried.api_cpu_ms,
                )
                results.record(
                    "statistics_month",
                    "  the same / its statements' rows fetched bare",
                    ours=f"{api_p95:.1f} ms",
                    baseline=f"{bare_p95:.1f} ms",
                    ratio=api_p95 / bare_p95,
                    goal="(context)",
                    passed=None,
                )
        finally:
            stop_api(api)
        figures = sum(len(r.figures) for r in found)
        print(
            f"statistics month: {len(found)} reporters, {figures} figures "
            f"({figures / len(found):.1f} per reporter), {CLIENTS} clients, pool {POOL_SIZE}\n"
            f"  submitted, recommended, accepted in {elapsed:5.1f} s "
            f"({refused} refused)  submit p50 {percentile(submitted, 0.5):6.1f} ms "
            f"p95 {percentile(submitted, 0.95):6.1f} ms  review p95 "
            f"{percentile(reviewed, 0.95):6.1f} ms\n"
            f"  the province's GET /v1/statistics?indicator={INDICATOR}, {QUERIES} queries "
            f"taking turns with its SQL run bare and the same sums in SQL:\n" + "\n".join(lines)
        )
    finally:
        await drop_database(dsn)
        await delete_topics(prefix)
