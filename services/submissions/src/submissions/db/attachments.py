"""The attachments' storage interface and its PostgreSQL implementation: blobs addressed by
their SHA-256, written and read on the caller's connection (so a blob commits with its link
to the report and its audit record). Another store (object storage) would implement the same
two methods."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

import asyncpg

from submissions.db import queries


@dataclass(frozen=True)
class Blob:
    content_type: str
    content: bytes


class AttachmentStore(Protocol):
    async def put(
        self, connection: asyncpg.Connection, *, content_type: str, content: bytes
    ) -> str: ...
    async def get(self, connection: asyncpg.Connection | asyncpg.Pool, sha256: str) -> Blob: ...


class PostgresAttachmentStore:
    async def put(
        self, connection: asyncpg.Connection, *, content_type: str, content: bytes
    ) -> str:
        sha256 = hashlib.sha256(content).hexdigest()
        await connection.execute(
            queries.PUT_ATTACHMENT_BLOB, sha256, content_type, len(content), content
        )
        return sha256

    async def get(self, connection: asyncpg.Connection | asyncpg.Pool, sha256: str) -> Blob:
        row = await connection.fetchrow(queries.ATTACHMENT_BLOB, sha256)
        if row is None:
            raise LookupError(sha256)
        return Blob(row["content_type"], bytes(row["content"]))
