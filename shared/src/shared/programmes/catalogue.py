"""The programmes a process runs on, as a live read-only mapping (docs/programmes.md, "Revisions").

Built once per process (each service's ``bootstrap``) from the shipped files, which are
revision 0 here; ``refresh`` lays over them the newer revisions kept in the service's
``programme_definitions`` table (``shared.programmes.revisions``), and ``run_refresher`` does so
every few seconds. Because it is a ``Mapping[str, Programme]``, every reader that took the
dictionary of files keeps working and reads the current revision at each look-up: what a
reader holds on to (a programme it looked up for one request or one workflow step) stays as it
was, and the next look-up sees the new revision.

Changes replace the inner dictionary as a whole (copy on write), so a reader iterating it never
sees it change under it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from shared.db.pool import close_pool, create_pool
from shared.programmes.loader import InvalidProgramme, load_programmes, validate_programme
from shared.programmes.model import Programme
from shared.programmes.revisions import DEFINITION_REVISIONS, DEFINITIONS_OF

log = logging.getLogger(__name__)

SHIPPED = 0  # the revision number of a programme as its file ships, before any is recorded

# Told of each programme whose revision changed on a refresh: (programme id, new revision).
Listener = Callable[[str, int], Awaitable[None]]


class ProgrammeCatalogue(Mapping[str, Programme]):
    def __init__(self, programmes: Mapping[str, Programme] | None = None) -> None:
        self._programmes: dict[str, Programme] = dict(programmes or {})
        self._revisions: dict[str, int] = {key: SHIPPED for key in self._programmes}
        self._listeners: list[Listener] = []
        # Revisions this version of the model cannot read: logged once, then skipped.
        self._unreadable: set[tuple[str, int]] = set()

    @classmethod
    def from_files(cls, directory: Path | str) -> ProgrammeCatalogue:
        return cls(load_programmes(directory))

    def __getitem__(self, programme_id: str) -> Programme:
        return self._programmes[programme_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._programmes)

    def __len__(self) -> int:
        return len(self._programmes)

    def revision(self, programme_id: str) -> int:
        """The revision held (0: as shipped); ``KeyError`` for an unknown programme."""
        return self._revisions[programme_id]

    def apply(self, programme: Programme, revision: int) -> bool:
        """Hold ``programme`` as revision ``revision`` when it is newer than the one held;
        whether it was (an older or equal revision changes nothing)."""
        if revision <= self._revisions.get(programme.id, -1):
            return False
        self._programmes = {**self._programmes, programme.id: programme}
        self._revisions = {**self._revisions, programme.id: revision}
        return True

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener`` after a refresh took a programme to a new revision (a worker
        tells its running clocks, for example)."""
        self._listeners.append(listener)

    async def refresh(self, pool: asyncpg.Pool | asyncpg.Connection) -> list[str]:
        """Take the newer revisions from ``programme_definitions``; the ids that changed."""
        rows = await pool.fetch(DEFINITION_REVISIONS)
        newer = [
            row["programme_id"]
            for row in rows
            if row["revision"] > self._revisions.get(row["programme_id"], -1)
            and (row["programme_id"], row["revision"]) not in self._unreadable
        ]
        if not newer:
            return []
        changed: list[tuple[str, int]] = []
        for row in await pool.fetch(DEFINITIONS_OF, newer):
            programme = self._readable(row["programme_id"], row["revision"], row["definition"])
            if programme is not None and self.apply(programme, row["revision"]):
                changed.append((programme.id, row["revision"]))
                log.info("programme %s: revision %d", programme.id, row["revision"])
        for programme_id, revision in changed:
            for listener in self._listeners:
                try:
                    await listener(programme_id, revision)
                except Exception:  # one listener's failure neither stops the others nor the refresh
                    log.exception(
                        "listener of programme %s revision %d failed", programme_id, revision
                    )
        return [programme_id for programme_id, _ in changed]

    def _readable(self, programme_id: str, revision: int, definition: Any) -> Programme | None:
        if isinstance(definition, str):  # a connection without the pool's JSON codec
            definition = json.loads(definition)
        try:
            programme = validate_programme(definition)
        except InvalidProgramme as exc:
            self._unreadable.add((programme_id, revision))
            log.error("programme %s revision %d not applied: %s", programme_id, revision, exc)
            return None
        if programme.id != programme_id:
            self._unreadable.add((programme_id, revision))
            log.error("programme %s revision %d defines %s", programme_id, revision, programme.id)
            return None
        return programme

    async def run_refresher(
        self,
        pool: asyncpg.Pool,
        every_seconds: float = 5.0,
        stop: asyncio.Event | None = None,
    ) -> None:
        """Refresh every ``every_seconds`` until ``stop`` is set (or the task is cancelled).
        A failed refresh (the database away) is logged and tried again at the next turn: the
        process keeps running on the revisions it holds."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.refresh(pool)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("programme catalogue not refreshed: %s", exc)
            try:
                await asyncio.wait_for(stop.wait(), timeout=every_seconds)
            except TimeoutError:
                pass

    @asynccontextmanager
    async def kept_current(self, dsn: str, every_seconds: float = 5.0) -> AsyncIterator[None]:
        """For a process without a pool of its own to lend (a consumer, a worker): refresh
        once, then keep refreshing on one connection of its own, until the block ends."""
        pool = await create_pool(dsn, min_size=1, max_size=1)
        try:
            await self.refresh(pool)
            refresher = self.start_refresher(pool, every_seconds)
            try:
                yield
            finally:
                await refresher.stop()
        finally:
            await close_pool(pool)

    async def serve_current(self, state: Any, every_seconds: float) -> None:
        """For an API whose lifespan opened ``state.pool``: current as it starts, then kept
        current on that pool by a refresher it keeps on ``state`` until ``stop_serving``."""
        await self.refresh(state.pool)
        state.programme_refresher = self.start_refresher(state.pool, every_seconds)

    def start_refresher(self, pool: asyncpg.Pool, every_seconds: float = 5.0) -> Refresher:
        """``run_refresher`` as a task of the running loop, until ``Refresher.stop``."""
        stop = asyncio.Event()
        task = asyncio.create_task(self.run_refresher(pool, every_seconds, stop))
        return Refresher(task, stop)


class Refresher:
    """A running refresher (``ProgrammeCatalogue.start_refresher``)."""

    def __init__(self, task: asyncio.Task[None], stop: asyncio.Event) -> None:
        self._task, self._stop = task, stop

    async def stop(self) -> None:
        self._stop.set()
        await self._task


async def stop_serving(state: Any) -> None:
    """Stop the refresher ``ProgrammeCatalogue.serve_current`` kept on ``state``, if it ran."""
    refresher: Refresher | None = getattr(state, "programme_refresher", None)
    if refresher is not None:
        await refresher.stop()
