"""Monthly partitions: made ahead of time, and archived to a file before they are dropped.

A partition is archived only when its whole month ended more than the retention period ago
(``audit_retention_days``, at least 180: 001 (二十三)). Archiving writes its rows, oldest first,
to ``<dir>/<service>-<partition>.jsonl.gz``: a header line (range, first and last seq, the hash
the first row links to, the chain head at its end, the row count), then one line per row with
its hashes. The file is checked (every link and hash) as it is written and synced to disk; only
then, in one transaction, is the archive recorded in ``audit_archives`` (with the file's
SHA-256, and where the chain resumes) and the partition detached and dropped. Nothing is ever
dropped that is not in a file.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import asyncpg

from shared.audit import queries
from shared.audit.chain import GENESIS_HASH, row_hash, utc_text

MINIMUM_RETENTION_DAYS = 180
MONTHS_AHEAD = 6


class ArchiveRefused(Exception):
    """The partition's rows do not chain as they should: keep them, and investigate."""


@dataclass(frozen=True)
class ArchivedPartition:
    name: str
    path: Path
    rows: int
    last_seq: int | None
    last_hash: str | None


async def ensure_partitions(
    connection: asyncpg.Connection,
    *,
    months_ahead: int = MONTHS_AHEAD,
    now: dt.datetime | None = None,
) -> int:
    """This month's partition and the next ``months_ahead``; returns how many were made.
    Needs the table owner's rights (the migrating role), not the service's."""
    month = (now or dt.datetime.now(dt.UTC)).date().replace(day=1)
    made: int = await connection.fetchval(queries.ENSURE_PARTITIONS, month, months_ahead + 1)
    return made


def _row_document(row: asyncpg.Record) -> dict[str, Any]:
    document = dict(row)
    document["recorded_at"] = utc_text(row["recorded_at"])
    return document


async def _resume_point(connection: asyncpg.Connection) -> tuple[int, str]:
    archive = await connection.fetchrow(queries.LAST_ARCHIVE)
    return (archive["last_seq"], archive["last_hash"]) if archive else (0, GENESIS_HASH)


async def _write_file(
    connection: asyncpg.Connection, partition: asyncpg.Record, path: Path, service: str
) -> dict[str, Any]:
    quoted = '"' + partition["name"].replace('"', '""') + '"'
    # An aggregate without GROUP BY answers exactly one row, even for an empty partition.
    summary = cast(
        asyncpg.Record,
        await connection.fetchrow(
            f"SELECT count(*) AS rows, min(seq) AS first_seq, max(seq) AS last_seq FROM {quoted}"
        ),
    )
    seq, previous = await _resume_point(connection)
    header: dict[str, Any] = {
        "type": "audit-archive",
        "service": service,
        "partition": partition["name"],
        "range_from": utc_text(partition["range_from"]),
        "range_to": utc_text(partition["range_to"]),
        "first_seq": summary["first_seq"],
        "last_seq": summary["last_seq"],
        "first_prev_hash": previous,
        "rows": summary["rows"],
    }
    temporary = path.with_suffix(".partial")
    with gzip.open(temporary, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(header, ensure_ascii=False, sort_keys=True) + "\n")
        async for row in connection.cursor(f"SELECT * FROM {quoted} ORDER BY seq"):
            if row["seq"] != seq + 1 or row["prev_hash"] != previous:
                raise ArchiveRefused(f"{partition['name']}: the chain breaks at seq {seq + 1}")
            if row_hash(previous, dict(row)) != row["row_hash"]:
                raise ArchiveRefused(f"{partition['name']}: row {row['seq']} was edited")
            handle.write(json.dumps(_row_document(row), ensure_ascii=False, sort_keys=True) + "\n")
            seq, previous = row["seq"], row["row_hash"]
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return header | {"last_hash": previous if summary["rows"] else None}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


async def archive_expired(
    connection: asyncpg.Connection,
    *,
    service: str,
    archive_dir: Path,
    retention_days: int = MINIMUM_RETENTION_DAYS,
    now: dt.datetime | None = None,
) -> list[ArchivedPartition]:
    """Archive then drop every partition whose month ended before the retention period."""
    if retention_days < MINIMUM_RETENTION_DAYS:
        raise ValueError(f"retention must be at least {MINIMUM_RETENTION_DAYS} days (001 (二十三))")
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=retention_days)
    archive_dir.mkdir(parents=True, exist_ok=True)
    archived: list[ArchivedPartition] = []
    for partition in await connection.fetch(queries.PARTITIONS):
        if partition["range_to"] > cutoff:
            break
        path = archive_dir / f"{service}-{partition['name']}.jsonl.gz"
        # One transaction: the file is written from it, and the partition's lock on audit_log
        # (DETACH) is taken last, just before the commit, so appends wait only a moment.
        async with connection.transaction():
            header = await _write_file(connection, partition, path, service)
            await connection.execute(
                queries.INSERT_ARCHIVE, partition["name"], partition["range_from"],
                partition["range_to"], header["first_seq"], header["last_seq"],
                header["first_prev_hash"] if header["rows"] else None, header["last_hash"],
                header["rows"], path.name, _sha256(path),
            )  # fmt: skip
            quoted = '"' + partition["name"].replace('"', '""') + '"'
            await connection.execute(f"ALTER TABLE audit_log DETACH PARTITION {quoted}")
            await connection.execute(f"DROP TABLE {quoted}")
        archived.append(
            ArchivedPartition(
                partition["name"], path, header["rows"], header["last_seq"], header["last_hash"]
            )
        )
    return archived


def verify_archive_file(path: Path) -> tuple[int, str | None]:
    """Check an archive file's links and hashes; returns (rows, last hash) or raises."""
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        header = json.loads(handle.readline())
        previous, seq, rows = header["first_prev_hash"], None, 0
        for line in handle:
            row = json.loads(line)
            row["recorded_at"] = dt.datetime.fromisoformat(row["recorded_at"])
            if previous != row["prev_hash"] or row_hash(previous, row) != row["row_hash"]:
                raise ArchiveRefused(f"{path.name}: the chain breaks at seq {row['seq']}")
            if seq is not None and row["seq"] != seq + 1:
                raise ArchiveRefused(f"{path.name}: row {seq + 1} missing")
            previous, seq, rows = row["row_hash"], row["seq"], rows + 1
    if rows != header["rows"]:
        raise ArchiveRefused(f"{path.name}: {rows} rows, the header says {header['rows']}")
    return rows, previous if rows else None
