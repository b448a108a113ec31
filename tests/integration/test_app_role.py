"""The production app role (shared/db/grants.py, docs/audit.md "Roles"): after ``migrate``
grants it, the role reads and writes the service's tables and appends to the audit trail, but
cannot change or delete audit rows, disable the trigger, or touch the migration log."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from registry.config import RegistrySettings
from registry.db import MIGRATIONS_DIR
from shared import audit
from shared.db.grants import grant_app_role
from shared.service.entrypoints import run_migrate
from tests.support.databases import create_database, drop_database
from tests.support.stack import Stack


@pytest.fixture
async def granted(stack: Stack) -> AsyncIterator[str]:
    """A registry database migrated by the ``migrate`` role naming an app role, and that
    role's DSN on it (trust authentication)."""
    role = f"app_{uuid.uuid4().hex[:8]}"
    dsn = await create_database(stack, "app_role")
    admin = await asyncpg.connect(stack.admin_dsn)
    try:
        await admin.execute(f'CREATE ROLE "{role}" LOGIN')
        settings = RegistrySettings(
            environment="test", database_url=dsn, kafka_bootstrap_servers="127.0.0.1:9",
            database_app_role=role,
        )  # fmt: skip
        await asyncio.to_thread(run_migrate, settings, MIGRATIONS_DIR)
        await asyncio.to_thread(run_migrate, settings, MIGRATIONS_DIR)  # every deploy: again
        scheme, _, rest = dsn.partition("://")
        yield f"{scheme}://{role}@{rest.split('@', 1)[1]}"
    finally:
        await drop_database(stack, dsn)
        await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        await admin.close()


async def test_the_app_role_appends_to_the_audit_trail_and_cannot_rewrite_it(granted: str) -> None:
    connection = await asyncpg.connect(granted)
    try:
        assert not await connection.fetchval(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        )
        async with connection.transaction():
            await connection.execute("UPDATE enterprises SET name = name WHERE false")
            await connection.execute("DELETE FROM outbox WHERE false")
            await audit.record_change(
                connection, actor=audit.Actor("tester"), action="t.change", resource_type="t"
            )
        assert await connection.fetchval("SELECT count(*) FROM audit_log") == 1
        refused = [
            "UPDATE audit_log SET reason = 'rewritten'",
            "DELETE FROM audit_log",
            "DELETE FROM audit_chain_head",
            "TRUNCATE audit_checkpoints",
            "ALTER TABLE audit_log DISABLE TRIGGER ALL",
            "DELETE FROM _yoyo_migration",
        ]
        for statement in refused:
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await connection.execute(statement)
    finally:
        await connection.close()


async def test_a_role_name_that_is_not_plain_is_refused(granted: str) -> None:
    connection = await asyncpg.connect(granted)
    try:
        for name in ('app"; DROP TABLE audit_log; --', "App", ""):
            with pytest.raises(ValueError):
                await grant_app_role(connection, name)
    finally:
        await connection.close()
