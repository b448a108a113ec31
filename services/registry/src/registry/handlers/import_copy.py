"""Rows in PostgreSQL's binary ``COPY`` format, written by the thread that encodes them and
streamed to ``copy_to_table`` in parts (the import's events and history rows)."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Sequence

# PostgreSQL's binary COPY format: a signature, flags and header extension (none), then per row
# the number of fields and each field as its length (-1: NULL) and bytes, then -1.
HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
TRAILER = b"\xff\xff"
LENGTH = struct.Struct("!i").pack
NULL = LENGTH(-1)
UUID_LENGTH = LENGTH(16)
PART = 64 * 1024  # a COPY buffer's part (and chunk sent), below malloc's mmap threshold


def field_bytes(value: bytes | None) -> bytes:
    return NULL if value is None else LENGTH(len(value)) + value


def field_text(value: str | None) -> bytes:
    return NULL if value is None else field_bytes(value.encode("utf-8"))


class CopyRows:
    """Rows in binary ``COPY`` format, written one after another (header, rows, trailer) by the
    thread that encodes them, into parts of about ``PART`` bytes, and where each row ends
    in the stream. Not a ``bytes`` per row: a batch's rows are never held twice. Parts of one
    size, not one buffer grown to megabytes: the allocator reuses them batch after batch (each
    batch's growing buffers, freed by another thread, left ≈ 10 MiB more resident at the peak),
    and they are the chunks ``copy_to_table`` is given, as they are."""

    def __init__(self) -> None:
        self.parts = [bytearray(HEADER)]
        self.ends: list[int] = []
        self.size = len(HEADER)
        self.closed = False

    def add(self, *fields: bytes) -> None:
        part = self.parts[-1]
        if len(part) >= PART:
            part = bytearray()
            self.parts.append(part)
        before = len(part)
        part += b"".join(fields)
        self.size += len(part) - before
        self.ends.append(self.size)

    def close(self) -> CopyRows:
        self.parts[-1] += TRAILER
        self.closed = True
        return self

    def only(self, keep: Sequence[int]) -> AsyncIterator[bytes | bytearray]:
        """The stream of rows ``keep`` (positions, ascending), in chunks for ``copy_to_table``
        (given one buffer of megabytes, asyncpg copies it into one message, and the transport
        copies what the socket does not take at once)."""
        if not self.closed:
            raise RuntimeError("the COPY stream is not closed")
        if len(keep) == len(self.ends):
            return _chunks(self.parts)
        view = memoryview(b"".join(self.parts))
        starts = [len(HEADER), *self.ends[:-1]]
        kept = b"".join((HEADER, *(view[starts[n] : self.ends[n]] for n in keep)))
        whole = kept + TRAILER
        return _chunks([whole[at : at + PART] for at in range(0, len(whole), PART)])


async def _chunks(parts: Sequence[bytes | bytearray]) -> AsyncIterator[bytes | bytearray]:
    for part in parts:
        yield part
