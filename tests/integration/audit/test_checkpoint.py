"""The chain head is published as audit.checkpoint.recorded through the outbox."""

from __future__ import annotations

import asyncio
import json

import asyncpg
import pytest

from shared.audit import Actor, record_change
from shared.audit.checkpoint import auditor_loop, publish_checkpoint
from shared.audit.cli import main as ecom_audit
from shared.settings import ServiceSettings
from tests.support.polling import until


async def _change(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection, connection.transaction():
        await record_change(connection, actor=Actor("dave"), action="a", resource_type="thing")


async def test_a_checkpoint_is_an_outbox_event_once_per_head(audit_pool: asyncpg.Pool) -> None:
    await _change(audit_pool)
    async with audit_pool.acquire() as connection:
        event = await publish_checkpoint(connection, service="registry", topic_prefix="t.")
        assert event is not None and event.seq == 1
        assert await publish_checkpoint(connection, service="registry") is None
    row = await audit_pool.fetchrow("SELECT topic, event_type, payload FROM outbox")
    assert (row["topic"], row["event_type"]) == (
        "t.audit.checkpoint",
        "audit.checkpoint.recorded.v1",
    )
    data = json.loads(row["payload"])["data"]
    head = await audit_pool.fetchrow("SELECT seq, row_hash FROM audit_chain_head")
    assert (data["service"], data["seq"], data["row_hash"]) == ("registry", 1, head["row_hash"])


async def test_the_auditor_loop_publishes_until_stopped(
    audit_pool: asyncpg.Pool, audit_db: str
) -> None:
    await _change(audit_pool)
    settings = ServiceSettings(
        environment="test", service_name="registry", database_url=audit_db,
        kafka_bootstrap_servers="unused:9092", audit_checkpoint_interval_seconds=0.05,
    )  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(auditor_loop(audit_pool, settings, stop))

    async def published(seq: int) -> bool:
        return (
            await audit_pool.fetchval("SELECT coalesce(max(seq), 0) FROM audit_checkpoints") >= seq
        )

    await until(lambda: published(1), seconds=10, interval=0.05, message="no checkpoint published")
    await _change(audit_pool)
    await until(
        lambda: published(2), seconds=10, interval=0.05, message="the new head was not published"
    )
    stop.set()
    await asyncio.wait_for(task, timeout=5)


async def test_the_cli_publishes_a_checkpoint_and_makes_partitions(
    audit_pool: asyncpg.Pool, audit_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await _change(audit_pool)
    for command in (["checkpoint", "--topic-prefix", "t."], ["partitions", "--months-ahead", "14"]):
        with pytest.raises(SystemExit) as exit_code:
            await asyncio.to_thread(
                ecom_audit, [command[0], "--service", "registry", "--database-url", audit_db,
                             *command[1:]],
            )  # fmt: skip
        assert exit_code.value.code == 0
    out = capsys.readouterr().out
    assert "checkpoint at seq 1" in out and "2 partitions made" in out  # 13 made at migration
    assert await audit_pool.fetchval("SELECT topic FROM outbox") == "t.audit.checkpoint"
