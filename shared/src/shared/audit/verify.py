"""Walking the chain: the first broken link, or none.

The walk starts where the last archive ended (its last seq and hash; ``ecom-audit archive``) or
at the genesis, and checks each row in seq order: its position follows the previous one (a gap
is a deleted row), its ``prev_hash`` is the previous row's hash, and its ``row_hash`` is what its
content hashes to (an edit). At the end the chain-head row must name the last row (a deleted
tail), and every checkpoint recorded as published must still be in the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shared.audit import queries
from shared.audit.chain import GENESIS_HASH, row_hash
from shared.db.pool import connect

FETCH_ROWS = 2_000


@dataclass(frozen=True)
class BrokenLink:
    seq: int
    problem: str

    def __str__(self) -> str:
        return f"broken at seq {self.seq}: {self.problem}"


@dataclass(frozen=True)
class Verification:
    first_seq: int  # where the walk started (after the archives)
    rows: int
    head_seq: int
    head_hash: str
    broken: BrokenLink | None

    @property
    def ok(self) -> bool:
        return self.broken is None


async def _start(connection: asyncpg.Connection) -> tuple[int, str]:
    archive = await connection.fetchrow(queries.LAST_ARCHIVE)
    if archive is None:
        return 0, GENESIS_HASH
    return archive["last_seq"], archive["last_hash"]


async def _walk(
    connection: asyncpg.Connection, seq: int, previous: str
) -> tuple[int, str, int, BrokenLink | None]:
    rows = 0
    async for row in connection.cursor(queries.CHAIN_FROM, seq, prefetch=FETCH_ROWS):
        expected = seq + 1
        if row["seq"] != expected:
            missing = (
                f"{expected}" if row["seq"] == expected + 1 else f"{expected}..{row['seq'] - 1}"
            )
            return seq, previous, rows, BrokenLink(expected, f"row {missing} missing")
        if row["prev_hash"] != previous:
            return (
                seq,
                previous,
                rows,
                BrokenLink(expected, "prev_hash differs from the previous row's hash"),
            )
        if row_hash(previous, dict(row)) != row["row_hash"]:
            return (
                seq,
                previous,
                rows,
                BrokenLink(expected, "content does not match its row_hash (edited)"),
            )
        seq, previous, rows = expected, row["row_hash"], rows + 1
    return seq, previous, rows, None


async def verify_chain(connection: asyncpg.Connection) -> Verification:
    """Read-only; run it in a REPEATABLE READ transaction so appends do not move the head."""
    first, previous = await _start(connection)
    seq, previous, rows, broken = await _walk(connection, first, previous)
    head = await connection.fetchrow(queries.HEAD)
    if head is None:
        raise RuntimeError(queries.NO_CHAIN_HEAD)
    if broken is None and (head["seq"], head["row_hash"]) != (seq, previous):
        broken = BrokenLink(
            seq + 1,
            f"the chain head names seq {head['seq']} but the chain ends at seq {seq} "
            "(rows at the end deleted)",
        )
    if broken is None:
        broken = await _check_checkpoints(connection, first)
    return Verification(first + 1, rows, head["seq"], head["row_hash"], broken)


async def _check_checkpoints(connection: asyncpg.Connection, first: int) -> BrokenLink | None:
    for checkpoint in await connection.fetch(queries.CHECKPOINTS):
        if checkpoint["seq"] <= first:
            continue  # archived: the archive file holds that part of the chain
        row = await connection.fetchrow(queries.ROW_AT, checkpoint["seq"])
        if row is None or row["row_hash"] != checkpoint["row_hash"]:
            return BrokenLink(
                checkpoint["seq"], "differs from the published checkpoint (chain rewritten)"
            )
    return None


async def verify(dsn_or_connection: str | asyncpg.Connection) -> Verification:
    connection = (
        await connect(dsn_or_connection)
        if isinstance(dsn_or_connection, str)
        else dsn_or_connection
    )
    try:
        async with connection.transaction(isolation="repeatable_read", readonly=True):
            return await verify_chain(connection)
    finally:
        if isinstance(dsn_or_connection, str):
            await connection.close()
