"""Name search over 1,000,000 stores and 100,000 enterprises: p95 through the HTTP API and
the same query as bare SQL.

Goal (issue "Registry service"): p95 <= 50 ms through the API on this machine; the ratio of
API to bare-SQL p95 is printed.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
import uuid

import asyncpg
import httpx

from benchmarks.common import drop_database, fresh_database, kafka_bootstrap, percentile
from registry.data.regions import load_country_regions
from registry.db import MIGRATIONS_DIR
from registry.db.regions import sync_regions
from shared.auth import generate_dev_keypair, mint_token

STORES = int(os.environ.get("BENCH_STORES", "1000000"))
ENTERPRISES = int(os.environ.get("BENCH_ENTERPRISES", "100000"))
QUERIES = 300
PORT = 18101
WORDS = (
    "贵州 遵义 黔东南 茶叶 辣椒 酱酒 刺梨 苗绣 蜡染 食品 特产 生鲜 农产品 民族 服饰 银饰 米粉 腊肉 "
    "菌菇 猕猴桃 李子 天麻 石斛 折耳根 豆腐乳 牛肉 酸汤 竹笋 吉他 玩具 预制菜 非遗 旗舰店 专营店 "
    "工厂店 直营 优选 好物 小铺 精品 老字号 山货 百货 电子商务 商贸 科技 文化 传媒"
).split()
QUERY_TERMS = (
    "刺梨",
    "苗绣蜡染",
    "酸汤牛肉",
    "猕猴桃",
    "老字号酱酒",
    "石斛",
    "折耳根",
    "茶叶旗舰店",
)
CITIES = ("520102", "520103", "520302", "520402", "520502", "520602", "522301", "522601", "522701")


def name(rng: random.Random) -> str:
    return "".join(rng.sample(WORDS, 3)) + str(rng.randrange(10_000))


async def populate(dsn: str) -> None:
    rng = random.Random(7)
    connection = await asyncpg.connect(dsn)
    try:
        enterprises = [
            (uuid.uuid4(), f"X{n:017d}", name(rng), rng.choice(CITIES), "bench")
            for n in range(ENTERPRISES)
        ]
        await connection.copy_records_to_table(
            "enterprises",
            records=enterprises,
            columns=["id", "credit_code", "name", "region_code", "created_by"],
        )
        batch = 100_000
        for start in range(0, STORES, batch):
            stores = [
                (uuid.uuid4(), "taobao", str(n), name(rng), "个人", rng.choice(CITIES), "bench")
                for n in range(start, min(start + batch, STORES))
            ]
            await connection.copy_records_to_table(
                "stores",
                records=stores,
                columns=[
                    "id",
                    "platform",
                    "platform_shop_id",
                    "name",
                    "owner_individual",
                    "region_code",
                    "created_by",
                ],
            )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def start_api(dsn: str, public_pem: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "REGISTRY_ENVIRONMENT": "test",
        "REGISTRY_DATABASE_URL": dsn,
        "REGISTRY_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap(),
        "REGISTRY_TEMPORAL_TARGET": os.environ.get("STACK_TEMPORAL_TARGET", "127.0.0.1:7233"),
        "REGISTRY_HTTP_HOST": "127.0.0.1",
        "REGISTRY_HTTP_PORT": str(PORT),
        "REGISTRY_JWT_PUBLIC_KEY": public_pem,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "registry", "api"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{PORT}/healthz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("the registry API did not start")


async def api_latencies(token: str, path: str) -> list[float]:
    timings: list[float] = []
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{PORT}", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        for n in range(QUERIES):
            started = time.perf_counter()
            response = await client.get(
                path, params={"q": QUERY_TERMS[n % len(QUERY_TERMS)], "limit": 20}
            )
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return timings


async def sql_latencies(dsn: str, table: str) -> list[float]:
    sql = (
        f"SELECT * FROM {table} WHERE (name ILIKE $2 OR $1 <% name) "
        "ORDER BY word_similarity($1, name) DESC, similarity(name, $1) DESC, length(name), id "
        "LIMIT 21"
    )
    timings: list[float] = []
    connection = await asyncpg.connect(dsn)
    try:
        for n in range(QUERIES):
            term = QUERY_TERMS[n % len(QUERY_TERMS)]
            started = time.perf_counter()
            await connection.fetch(sql, term, f"%{term}%")
            timings.append((time.perf_counter() - started) * 1000)
    finally:
        await connection.close()
    return timings


async def main() -> None:
    dsn = await fresh_database("search", MIGRATIONS_DIR)
    await sync_regions(dsn, load_country_regions())
    started = time.perf_counter()
    await populate(dsn)
    print(
        f"registry search: {STORES} stores, {ENTERPRISES} enterprises (loaded in "
        f"{time.perf_counter() - started:.0f}s)"
    )
    private_pem, public_pem = generate_dev_keypair()
    token = mint_token(
        private_key_pem=private_pem,
        subject="bench",
        roles=["province_admin"],
        region_code=None,
        issuer="ecom-local",
        audience="ecom-api",
    )
    api = start_api(dsn, public_pem)
    try:
        for table, path in (("stores", "/v1/stores"), ("enterprises", "/v1/enterprises")):
            await api_latencies(token, path)  # warm-up
            through_api = percentile(await api_latencies(token, path), 0.95)
            bare = percentile(await sql_latencies(dsn, table), 0.95)
            print(
                f"  {table:<12} p95 through the API {through_api:6.1f} ms (goal <= 50), "
                f"bare SQL {bare:6.1f} ms, ratio api/sql {through_api / bare:5.2f}"
            )
    finally:
        api.terminate()
        api.wait(timeout=10)
        await drop_database(dsn)
