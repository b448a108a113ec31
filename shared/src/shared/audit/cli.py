"""``ecom-audit verify|checkpoint|archive|partitions --service <name>``.

The database comes from ``--database-url`` or the service's own setting
(``<SERVICE>_DATABASE_URL``, e.g. ``REGISTRY_DATABASE_URL``). ``verify`` exits 1 and prints the
first broken link when the chain is broken. ``archive`` and ``partitions`` need the table
owner's rights (the migrating role); ``verify`` only reads.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from shared.audit.checkpoint import publish_checkpoint
from shared.audit.retention import (
    MINIMUM_RETENTION_DAYS,
    ArchiveRefused,
    archive_expired,
    ensure_partitions,
    verify_archive_file,
)
from shared.audit.verify import verify
from shared.db.pool import connect
from shared.settings import event_source_of


def _setting(service: str, name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"{service.upper()}_{name.upper()}", default)


def _dsn(args: argparse.Namespace) -> str:
    dsn = args.database_url or _setting(args.service, "database_url")
    if not dsn:
        raise SystemExit(f"give --database-url or set {args.service.upper()}_DATABASE_URL")
    return dsn


async def _verify(args: argparse.Namespace) -> int:
    result = await verify(_dsn(args))
    for path in args.archive or []:
        try:
            rows, last = verify_archive_file(path)
            print(f"{path.name}: {rows} rows chain, ending {last}")
        except ArchiveRefused as exc:
            print(f"{args.service}: archive broken: {exc}")
            return 1
    if result.broken is not None:
        print(f"{args.service}: audit chain BROKEN {result.broken}")
        return 1
    print(
        f"{args.service}: audit chain intact: {result.rows} rows from seq {result.first_seq} "
        f"to {result.head_seq}, head {result.head_hash}"
    )
    return 0


async def _checkpoint(args: argparse.Namespace) -> int:
    connection = await connect(_dsn(args))
    try:
        prefix = args.topic_prefix
        if prefix is None:
            prefix = _setting(args.service, "kafka_topic_prefix", "")
        # The deployment's source, as the service's own processes write it.
        base = _setting(args.service, "event_source_base") or os.environ.get("EVENT_SOURCE_BASE")
        event = await publish_checkpoint(
            connection,
            service=args.service,
            topic_prefix=prefix or "",
            event_source=event_source_of(args.service, base) if base else None,
            force=args.force,
        )
    finally:
        await connection.close()
    if event is None:
        print(f"{args.service}: head already published; nothing to do (--force to repeat)")
    else:
        print(f"{args.service}: checkpoint at seq {event.seq} {event.row_hash} (outbox)")
    return 0


async def _archive(args: argparse.Namespace) -> int:
    retention = args.retention_days or int(
        _setting(args.service, "audit_retention_days", str(MINIMUM_RETENTION_DAYS)) or 0
    )
    directory = args.archive_dir or Path(
        _setting(args.service, "audit_archive_dir", "audit-archives") or "audit-archives"
    )
    connection = await connect(_dsn(args))
    try:
        archived = await archive_expired(
            connection, service=args.service, archive_dir=directory, retention_days=retention
        )
    except (ValueError, ArchiveRefused) as exc:
        print(f"{args.service}: archive refused: {exc}")
        return 1
    finally:
        await connection.close()
    for partition in archived:
        print(
            f"{partition.name}: {partition.rows} rows to {partition.path}, head {partition.last_hash}"
        )
    if not archived:
        print(f"{args.service}: no partition older than {retention} days")
    return 0


async def _partitions(args: argparse.Namespace) -> int:
    connection = await connect(_dsn(args))
    try:
        made = await ensure_partitions(connection, months_ahead=args.months_ahead)
    finally:
        await connection.close()
    print(f"{args.service}: {made} partitions made")
    return 0


COMMANDS = {
    "verify": _verify,
    "checkpoint": _checkpoint,
    "archive": _archive,
    "partitions": _partitions,
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="ecom-audit", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        command = sub.add_parser(name)
        command.add_argument("--service", required=True, help="registry, submissions, …")
        command.add_argument("--database-url")
    sub.choices["verify"].add_argument(
        "--archive", type=Path, action="append", help="also check this archive file"
    )
    sub.choices["checkpoint"].add_argument("--topic-prefix")
    sub.choices["checkpoint"].add_argument("--force", action="store_true")
    sub.choices["archive"].add_argument("--archive-dir", type=Path)
    sub.choices["archive"].add_argument("--retention-days", type=int)
    sub.choices["partitions"].add_argument("--months-ahead", type=int, default=6)
    args = parser.parse_args(argv)
    sys.exit(asyncio.run(COMMANDS[args.command](args)))


if __name__ == "__main__":
    main()
