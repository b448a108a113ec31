"""Decisions committed together (group commit).

When a reporting window locks, every designation of the programme is evaluated at once: at
10,000 designations, one transaction per decision spent most of the worker's database time on
round trips (BEGIN, reads, writes, audit, COMMIT, the pool's reset), each a write to the socket
(the designations benchmark, docs/awards.md). The decision activities of one worker process
hand their requests here; one task writes whatever has gathered in one transaction
(``standing.decide_many``: a fixed number of round trips however many), and answers each. Like Kafka's ``linger.ms``, a batch
waits up to ``LINGER_SECONDS`` for company unless it is full: decisions arrive only as fast as
the worker runs their workflows, and without the wait most batches held one or two. A lone
decision (the province's revocation) is thereby 50 ms later; a yearly evaluation is faster.

A batch that fails is written again one decision per transaction, so one bad request fails
only its own activity (which Temporal retries); decisions are numbered, so a decision written
before a failure is found, not written twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from awards.handlers import standing
from awards.handlers.common import Pool
from awards.workflows.types import Decision, DecisionRequest
from shared.programmes import Programme

log = logging.getLogger(__name__)

MAX_BATCH = 250
LINGER_SECONDS = 0.05

_Waiting = tuple[DecisionRequest, "asyncio.Future[Decision]"]


class DecisionGroupCommit:
    def __init__(
        self,
        pool: Pool,
        programmes: Mapping[str, Programme],
        *,
        topic_prefix: str,
        event_source: str,
    ) -> None:
        self.pool = pool
        self.programmes = programmes
        self.topic_prefix = topic_prefix
        self.event_source = event_source
        self._waiting: list[_Waiting] = []
        self._writer: asyncio.Task[None] | None = None
        self._full = asyncio.Event()

    async def decide(self, request: DecisionRequest) -> Decision:
        future: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, future))
        if len(self._waiting) >= MAX_BATCH:
            self._full.set()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        return await future

    async def _write_all(self) -> None:
        batch: list[_Waiting] = []
        try:
            while self._waiting:
                if len(self._waiting) < MAX_BATCH:
                    self._full.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._full.wait(), LINGER_SECONDS)
                batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
                await self._write(batch)
        except asyncio.CancelledError:  # the worker stops: the activities fail and retry
            for _, future in [*batch, *self._waiting]:
                if not future.done():
                    future.cancel()
            raise

    async def _write(self, batch: list[_Waiting]) -> None:
        try:
            decisions = await self._commit([request for request, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _answer(batch[0][1], exc)
                return
            log.warning("a batch of %d decisions failed (%s): each alone", len(batch), exc)
            for waiting in batch:
                await self._write([waiting])
            return
        for (_, future), decision in zip(batch, decisions, strict=True):
            _answer(future, decision)

    async def _commit(self, requests: list[DecisionRequest]) -> list[Decision]:
        return await standing.decide_many(
            self.pool,
            requests,
            self.programmes,
            topic_prefix=self.topic_prefix,
            event_source=self.event_source,
        )


def _answer(future: asyncio.Future[Decision], outcome: Decision | Exception) -> None:
    if future.done():  # its activity was cancelled meanwhile (the decision stands, numbered)
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
