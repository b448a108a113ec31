"""Pooled connections carry no session state, so the pool skips asyncpg's reset query
(``shared.db.pool``): every SQL text in production code that would leave state on a session
(a session advisory lock, ``LISTEN``, a ``SET`` without ``LOCAL``, ``set_config`` for the
session, a cursor ``WITH HOLD``, a temporary table) is listed here, and only the outbox lease,
which has a connection of its own (``asyncpg.connect``, never the pool), may have one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# The lease session: lane locks and LISTEN on a connection of its own.
OWN_CONNECTIONS = {"shared/src/shared/messaging/lanes.py"}
# SQL keywords as this code base writes them (upper case), so prose does not match; a session
# SET is a statement of its own (``SET name = …``/``TO …``), not an UPDATE's SET clause.
SESSION_STATE = re.compile(
    r"(?s)\bpg_(?:try_)?advisory_lock(?:_shared)?\s*\("
    r"|^\s*(?:UN)?LISTEN\s+\w"
    r"|^\s*SET\s+(?:SESSION\s+)?(?!LOCAL\b|TRANSACTION\b|CONSTRAINTS\b)\w+\s*(?:=|TO\b)"
    r"|^\s*RESET\s+\w"
    r"|\bset_config\s*\([^)]*,\s*false\s*\)"
    r"|\bWITH\s+HOLD\b"
    r"|\bCREATE\s+(?:TEMP|TEMPORARY)\s+TABLE\b",
)


def _texts(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "add_listener":
            found.append((node.lineno, "LISTEN (add_listener)"))
    return found


def test_only_the_outbox_lease_keeps_session_state() -> None:
    modules = [*ROOT.glob("shared/src/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]
    assert len(modules) > 100
    offending = [
        f"{name}:{line}: {text.strip()[:80]}"
        for path in sorted(modules)
        if (name := str(path.relative_to(ROOT))) not in OWN_CONNECTIONS
        for line, text in _texts(path)
        if SESSION_STATE.search(text)
    ]
    assert not offending, (
        "session state on what may be a pooled connection (the pool skips asyncpg's reset "
        "query, shared.db.pool):\n" + "\n".join(offending)
    )


def test_the_guard_sees_session_state() -> None:
    for sql in (
        "SELECT pg_advisory_lock(1)",
        "SELECT pg_try_advisory_lock($1, $2)",
        "LISTEN outbox_inserted",
        "SET statement_timeout = 0",
        "  SET search_path TO x",
        "SET SESSION statement_timeout = 0",
        "RESET ALL",
        "SELECT set_config('app.user', $1, false)",
        "DECLARE c CURSOR WITH HOLD FOR SELECT 1",
        "CREATE TEMP TABLE t (x int)",
    ):
        assert SESSION_STATE.search(sql), sql
    for sql in (
        "SELECT pg_advisory_xact_lock(1)",
        "SET LOCAL lock_timeout = '1s'",
        "UPDATE t\nSET x = 1",
        " SET ",
        "Set at start, so it is found",
        "SELECT set_config('app.user', $1, true)",
    ):
        assert not SESSION_STATE.search(sql), sql
