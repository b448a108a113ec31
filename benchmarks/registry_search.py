"""Name search over 1,000,000 stores and 100,000 enterprises: p95 through the HTTP API and
the same query as bare SQL.

Goal: p95 <= 50 ms through the API on this machine for every query shape, at the default
sizes and at 10 M stores and 1 M enterprises (``BENCH_STORES=10000000
BENCH_ENTERPRISES=1000000``, about ten minutes of loading); the ratio of API to bare-SQL p95 is
printed.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
import uuid

import asyncpg
import httpx

from benchmarks import results
from benchmarks.common import (
    drop_database,
    free_port,
    fresh_database,
    kafka_bootstrap,
    peak_memory_kib,
    percentile,
    start_api_process,
)
from registry.data.regions import load_country_regions
from registry.db import MIGRATIONS_DIR
from registry.db.list_queries import ListQuery
from registry.db.regions import sync_regions
from registry.domain.entities.definitions import ENTERPRISE, STORE
from shared.auth import generate_dev_keypair, mint_token

STORES = int(os.environ.get("BENCH_STORES", "1000000"))
ENTERPRISES = int(os.environ.get("BENCH_ENTERPRISES", "100000"))
QUERIES = 300
SPECS = {"stores": STORE, "enterprises": ENTERPRISE}
# A free port, kept in the environment so the API process it starts (which imports this
# module again) serves on the same one; a fixed port would clash with other checkouts' runs.
PORT = int(os.environ.setdefault("BENCH_PORT_REGISTRY_SEARCH", str(free_port())))
PRODUCT_WORDS = (
    "茶叶 辣椒 酱酒 刺梨 苗绣 蜡染 食品 特产 生鲜 农产品 服饰 银饰 米粉 腊肉 菌菇 猕猴桃 天麻 "
    "石斛 折耳根 牛肉 酸汤 竹笋 吉他 玩具 预制菜 非遗 山货 百货"
).split()
SUFFIXES = "旗舰店 专营店 工厂店 直营店 优选 好物馆 小铺 精品店 商贸 电子商务有限公司".split()
# Shop names are mostly their own words: two syllable pairs drawn from common characters.
SYLLABLES = (
    "黔贵遵义安顺毕节铜仁凯里都匀兴义六盘水赤水仁怀湄潭凤冈余庆习水桐梓正安道真务川绥阳"
    "金沙织金纳雍威宁赫章大方黔西清镇修文息烽开阳花溪乌当白云观山湖南明云岩龙里惠水长顺"
    "罗甸平塘独山荔波三都丹寨麻江雷山台江剑河锦屏天柱三穗镇远岑巩施秉黄平榕江从江黎平"
    "山水田园云雾彩虹星月春秋福禄寿喜乐安康宁和美好佳优品鲜香甜辣味源农家苗侗布依"
)
CITIES = ("520102", "520103", "520302", "520402", "520502", "520602", "522301", "522601", "522701")


def name(rng: random.Random) -> str:
    brand = "".join(rng.choice(SYLLABLES) for _ in range(4))
    return f"{brand}{rng.choice(PRODUCT_WORDS)}{rng.choice(SUFFIXES)}"


def query_terms(rng: random.Random) -> dict[str, list[str]]:
    """What people type: part of a shop's own name, or a common product word."""
    return {
        "shop name": ["".join(rng.choice(SYLLABLES) for _ in range(3)) for _ in range(50)],
        "product word": list(PRODUCT_WORDS),
    }


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
        # As autovacuum leaves a table at rest: statistics, and the visibility map that lets a
        # search count a sample's matches from the index without reading the rows.
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


def start_api(dsn: str, public_pem: str) -> subprocess.Popen[bytes]:
    env = {
        "REGISTRY_ENVIRONMENT": "test",
        "REGISTRY_DATABASE_URL": dsn,
        "REGISTRY_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap(),
        "REGISTRY_TEMPORAL_TARGET": os.environ.get("STACK_TEMPORAL_TARGET", "127.0.0.1:7233"),
        "REGISTRY_HTTP_HOST": "127.0.0.1",
        "REGISTRY_HTTP_PORT": str(PORT),
        "REGISTRY_JWT_PUBLIC_KEY": public_pem,
    }
    return start_api_process(["-m", "registry", "api"], env, port=PORT, name="registry")


async def api_latencies(token: str, path: str, terms: list[str]) -> list[float]:
    timings: list[float] = []
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{PORT}", headers={"Authorization": f"Bearer {token}"}
    ) as client:
        for n in range(QUERIES):
            started = time.perf_counter()
            response = await client.get(path, params={"q": terms[n % len(terms)], "limit": 20})
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    return timings


async def sql_latencies(dsn: str, table: str, terms: list[str]) -> list[float]:
    timings: list[float] = []
    connection = await asyncpg.connect(dsn)
    try:
        for n in range(QUERIES):
            # The statement the API runs for the benchmark's caller (who reads every region),
            # built by the API's own query builder.
            query = ListQuery(SPECS[table], search=terms[n % len(terms)])
            sql = query.sql(limit=21)
            started = time.perf_counter()
            await connection.fetch(sql, *query.params)
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
        roles=["integrator"],  # reads the whole country (a province admin needs its region)
        region_code=None,
        issuer="ecom-local",
        audience="ecom-api",
    )
    api = start_api(dsn, public_pem)
    size = f"{STORES / 1e6:g}M stores, {ENTERPRISES / 1e6:g}M enterprises"
    try:
        for table, path in (("stores", "/v1/stores"), ("enterprises", "/v1/enterprises")):
            for kind, terms in query_terms(random.Random(11)).items():
                await api_latencies(token, path, terms[:10])  # warm-up
                through_api = percentile(await api_latencies(token, path, terms), 0.95)
                bare = percentile(await sql_latencies(dsn, table, terms), 0.95)
                print(
                    f"  {table:<12} {kind:<13} p95 through the API {through_api:6.1f} ms "
                    f"(goal <= 50), bare SQL {bare:6.1f} ms, ratio api/sql {through_api / bare:5.2f}"
                )
                results.record(
                    "registry_search",
                    f"search {table} {kind} p95 ({size})",
                    ours=f"{through_api:.1f} ms",
                    baseline=f"{bare:.1f} ms",
                    ratio=through_api / bare,
                    goal="<= 50 ms",
                    passed=through_api <= 50,
                    peak_mib=peak_memory_kib(api.pid) / 1024,
                )
    finally:
        api.terminate()
        api.wait(timeout=10)
        await drop_database(dsn)
