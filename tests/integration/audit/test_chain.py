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


async def test_the_head_is_taken_at_commit_so_an_open_transaction_holds_up_no_one(
    audit_pool: asyncpg.Pool,
) -> None:
    """A record is chained when its transaction commits (audit_pending's deferred trigger), so
    the chain head is locked only for the commit itself: a transaction still open after its
    append does not make other writers wait, and seq order is commit order."""
    async with audit_pool.acquire() as slow, slow.transaction():
        await record_change(slow, actor=ACTOR, action="slow.first", resource_type="thing")
        await record_change(slow, actor=ACTOR, action="slow.second", resource_type="thing")
        assert await slow.fetchval("SELECT count(*) FROM audit_log") == 0  # not chained yet

        async def quick() -> None:
            async with audit_pool.acquire() as connection, connection.transaction():
                await record_change(connection, actor=ACTOR, action="quick", resource_type="thing")

        await asyncio.wait_for(quick(), timeout=10)  # the old head lock would block it here
        assert await audit_pool.fetchval("SELECT seq FROM audit_chain_head") == 1
    rows = await audit_pool.fetch("SELECT seq, action FROM audit_log ORDER BY seq")
    assert [(row["seq"], row["action"]) for row in rows] == [
        (1, "quick"), (2, "slow.first"), (3, "slow.second"),
    ]  # fmt: skip
    assert await audit_pool.fetchval("SELECT count(*) FROM audit_pending") == 0
    async with audit_pool.acquire() as connection:
        result = await verify(connection)
    assert result.ok and result.rows == 3


async def test_a_rolled_back_record_leaves_nothing_pending(audit_pool: asyncpg.Pool) -> None:
    async with audit_pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        await record_change(connection, actor=ACTOR, action="x", resource_type="thing")
        assert await connection.fetchval("SELECT count(*) FROM audit_pending") == 1
        await transaction.rollback()
        assert await connection.fetchval("SELECT count(*) FROM audit_pending") == 0
    assert await audit_pool.fetchval("SELECT count(*) FROM audit_log") == 0
