"""The log is append-only (trigger and grants), and verify finds an edit or a deletion made by
someone who got past both (a superuser with the trigger disabled)."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from shared.audit import Actor, record_change, verify
from shared.audit.cli import main as ecom_audit
from shared.db.pool import connect

ACTOR = Actor(subject="bob", roles=("province_admin",), region_code="520000")


async def _write(pool: asyncpg.Pool, count: int) -> None:
    for n in range(count):
        async with pool.acquire() as connection, connection.transaction():
            await record_change(
                connection, actor=ACTOR, action="thing.changed", resource_type="thing",
                resource_id=str(n), after={"n": n},
            )  # fmt: skip


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log"],
)
async def test_the_trigger_refuses_even_the_owner(audit_pool: asyncpg.Pool, statement: str) -> None:
    await _write(audit_pool, 2)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await audit_pool.execute(statement)
    assert await audit_pool.fetchval("SELECT count(*) FROM audit_log") == 2


async def test_truncating_a_partition_is_refused(audit_pool: asyncpg.Pool) -> None:
    await _write(audit_pool, 1)
    partition = await audit_pool.fetchval("SELECT tableoid::regclass::text FROM audit_log LIMIT 1")
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
        await audit_pool.execute(f"TRUNCATE {partition}")


async def test_a_non_owner_service_role_may_append_but_not_change(audit_db: str) -> None:
    """As production should run: a login role that is a member of audit_appender, not the owner."""
    role = f"audit_test_{uuid.uuid4().hex[:8]}"
    admin = await connect(audit_db)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD 'x' IN ROLE audit_appender")
        base, _, database = audit_db.rpartition("/")
        scheme, _, host = base.partition("//")
        service = await connect(f"{scheme}//{role}:x@{host.split('@')[-1]}/{database}")
        try:
            async with service.transaction():
                await record_change(service, actor=ACTOR, action="a", resource_type="thing")
            for statement in ("UPDATE audit_log SET action = 'x'", "DELETE FROM audit_log"):
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                    await service.execute(statement)
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await service.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        finally:
            await service.close()
        assert (await verify(admin)).ok
    finally:
        await admin.execute(f"DROP OWNED BY {role}")
        await admin.execute(f"DROP ROLE {role}")
        await admin.close()


async def test_verify_finds_an_edited_row(
    audit_pool: asyncpg.Pool, audit_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await _write(audit_pool, 5)
    async with audit_pool.acquire() as connection:
        await connection.execute("SET session_replication_role = replica")  # triggers off
        await connection.execute("UPDATE audit_log SET after = '{\"n\": 99}' WHERE seq = 3")
        await connection.execute("RESET session_replication_role")
        result = await verify(connection)
    assert result.broken is not None and result.broken.seq == 3
    assert "edited" in result.broken.problem
    with pytest.raises(SystemExit) as exit_code:
        await asyncio.to_thread(
            ecom_audit, ["verify", "--service", "registry", "--database-url", audit_db]
        )
    assert exit_code.value.code == 1
    assert "BROKEN broken at seq 3" in capsys.readouterr().out


async def test_verify_finds_a_deleted_row(audit_pool: asyncpg.Pool) -> None:
    await _write(audit_pool, 5)
    async with audit_pool.acquire() as connection:
        await connection.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        await connection.execute("DELETE FROM audit_log WHERE seq = 2")
        await connection.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        result = await verify(connection)
    assert result.broken is not None and result.broken.seq == 2
    assert result.broken.problem == "row 2 missing"


async def test_verify_finds_a_deleted_last_row(audit_pool: asyncpg.Pool) -> None:
    await _write(audit_pool, 3)
    async with audit_pool.acquire() as connection:
        await connection.execute("SET session_replication_role = replica")
        await connection.execute("DELETE FROM audit_log WHERE seq = 3")
        await connection.execute("RESET session_replication_role")
        result = await verify(connection)
    assert result.broken is not None and result.broken.seq == 3
    assert "rows at the end deleted" in result.broken.problem


async def test_verify_passes_an_intact_chain(
    audit_pool: asyncpg.Pool, audit_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    await _write(audit_pool, 3)
    with pytest.raises(SystemExit) as exit_code:
        await asyncio.to_thread(
            ecom_audit, ["verify", "--service", "registry", "--database-url", audit_db]
        )
    assert exit_code.value.code == 0
    assert "intact: 3 rows from seq 1 to 3" in capsys.readouterr().out


async def test_a_rewritten_chain_no_longer_matches_its_published_checkpoint(
    audit_pool: asyncpg.Pool,
) -> None:
    """Someone who edits a row and recomputes every hash after it passes the link checks;
    the checkpoint published before the rewrite still catches it."""
    from shared.audit.chain import row_hash
    from shared.audit.checkpoint import publish_checkpoint

    await _write(audit_pool, 3)
    async with audit_pool.acquire() as connection:
        await publish_checkpoint(connection, service="registry")
        await connection.execute("SET session_replication_role = replica")
        rows = [dict(r) for r in await connection.fetch("SELECT * FROM audit_log ORDER BY seq")]
        rows[1]["action"] = "thing.rewritten"
        previous = rows[0]["row_hash"]
        for row in rows[1:]:
            digest = row_hash(previous, row)
            await connection.execute(
                "UPDATE audit_log SET action = $2, prev_hash = $3, row_hash = $4 WHERE seq = $1",
                row["seq"], row["action"], previous, digest,
            )  # fmt: skip
            previous = digest
        await connection.execute("UPDATE audit_chain_head SET row_hash = $1", previous)
        await connection.execute("RESET session_replication_role")
        result = await verify(connection)
    assert result.broken is not None and result.broken.seq == 3
    assert "published checkpoint" in result.broken.problem
