"""Appends form one chain, in the caller's transaction, even with many concurrent writers."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from shared.audit import Actor, RequestFacts, record_change, use_request, verify
from shared.auth import Principal, Role

ACTOR = Actor.of(Principal("alice", frozenset({Role.city_bureau}), region_code="520100"))


async def test_a_record_carries_actor_request_and_change(audit_pool: asyncpg.Pool) -> None:
    use_request(RequestFacts(request_id="req-1", client_ip="203.0.113.9", user_agent="curl/8"))
    async with audit_pool.acquire() as connection, connection.transaction():
        await record_change(
            connection, actor=ACTOR, action="enterprise.updated", resource_type="enterprise",
            resource_id="e1", region_code="520102", before={"name": "旧"}, after={"name": "新"},
        )  # fmt: skip
    row = await audit_pool.fetchrow("SELECT * FROM audit_log")
    assert row["seq"] == 1 and row["prev_hash"] == "0" * 64
    assert (row["actor_subject"], row["actor_roles"], row["actor_region"]) == (
        "alice", ["city_bureau"], "520100",
    )  # fmt: skip
    assert (row["request_id"], row["client_ip"], row["user_agent"]) == (
        "req-1", "203.0.113.9", "curl/8",
    )  # fmt: skip
    assert row["before"] == {"name": "旧"} and row["after"] == {"name": "新"}
    assert row["region_code"] == "520102"
    async with audit_pool.acquire() as connection:
        assert (await verify(connection)).ok


async def test_a_record_rolls_back_with_its_change(audit_pool: asyncpg.Pool) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with audit_pool.acquire() as connection, connection.transaction():
            await record_change(connection, actor=ACTOR, action="x", resource_type="thing")
            raise RuntimeError("boom")
    assert await audit_pool.fetchval("SELECT count(*) FROM audit_log") == 0
    assert await audit_pool.fetchval("SELECT seq FROM audit_chain_head") == 0


async def test_outside_a_transaction_is_refused(audit_pool: asyncpg.Pool) -> None:
    async with audit_pool.acquire() as connection:
        with pytest.raises(RuntimeError, match="transaction"):
            await record_change(connection, actor=ACTOR, action="x", resource_type="thing")


async def test_concurrent_writers_do_not_fork_the_chain(audit_pool: asyncpg.Pool) -> None:
    writers, each = 8, 25

    async def writer(number: int) -> None:
        for n in range(each):
            async with audit_pool.acquire() as connection, connection.transaction():
                await connection.execute("SELECT pg_sleep(0.001)")  # the change itself
                await record_change(
                    connection, actor=ACTOR, action="thing.changed", resource_type="thing",
                    resource_id=f"{number}-{n}", after={"n": n, "ratio": 0.5},
                )  # fmt: skip

    await asyncio.gather(*(writer(number) for number in range(writers)))
    rows = await audit_pool.fetch("SELECT seq, prev_hash, row_hash FROM audit_log ORDER BY seq")
    assert [row["seq"] for row in rows] == list(range(1, writers * each + 1))
    assert all(rows[i]["prev_hash"] == rows[i - 1]["row_hash"] for i in range(1, len(rows)))
    assert len({row["prev_hash"] for row in rows}) == len(rows)  # no two rows share a parent
    async with audit_pool.acquire() as connection:
        result = await verify(connection)
    assert result.ok and result.rows == writers * each
