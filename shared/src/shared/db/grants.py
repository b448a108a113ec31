"""Privileges of the role the services connect as in production (docs/audit.md, "Roles").

Migrations run as the database owner; the api, relay, consumer, importer, worker and sender
processes should connect as a login role that owns nothing. After applying migrations,
``migrate`` grants that role (``<P>DATABASE_APP_ROLE``) what the services need: read and write
the service's own tables and sequences; of the audit trail only what the ``audit_appender``
group gives (read, append, move the chain head), and nothing on the migration log. Without
ownership it can neither change audit rows nor disable the trigger that refuses it. Run at
every migration, so tables added later are granted too.
"""

from __future__ import annotations

import re

import asyncpg

ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# Every table and view of the schema but the audit trail's and the migration tool's.
_TABLES = r"""
SELECT c.relname, c.relname LIKE 'audit\_%' AS audit
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
  AND c.relname NOT LIKE '\_yoyo%' AND c.relname NOT LIKE 'yoyo%'
ORDER BY c.relname
"""


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def grant_app_role(connection: asyncpg.Connection, role: str) -> None:
    """Grant ``role`` the service's tables and the audit trail's append-only access."""
    if not ROLE_NAME.match(role):
        raise ValueError(f"not a plain role name: {role!r}")
    if not await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        raise ValueError(f"role {role!r} does not exist: create it first (docs/audit.md)")
    if not await connection.fetchval("SELECT 1 FROM pg_roles WHERE rolname = 'audit_appender'"):
        raise ValueError("role audit_appender does not exist: create it (docs/audit.md)")
    rows = await connection.fetch(_TABLES)
    service = ", ".join(_quoted(r["relname"]) for r in rows if not r["audit"])
    audit = ", ".join(_quoted(r["relname"]) for r in rows if r["audit"])
    who = _quoted(role)
    async with connection.transaction():
        await connection.execute(f"GRANT USAGE ON SCHEMA public TO {who}")
        if service:
            await connection.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {service} TO {who}")
        await connection.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {who}")
        if audit:  # whatever was granted on them before: only audit_appender's rights remain
            await connection.execute(f"REVOKE ALL ON {audit} FROM {who}")
        await connection.execute(f"GRANT audit_appender TO {who}")
