"""A process that approves one award and is killed mid-way (``python -m`` this module).

``hold``: reserves and writes the payment request, says so on stdout, then waits inside the
open transaction until it is killed. ``commit``: commits, then kills itself before it could
answer anyone, as a pod dying between the commit and the response."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
import uuid

from awards.handlers.rewards import ledger
from shared.db.pool import connect


async def main(dsn: str, award_id: str, mode: str) -> None:
    connection = await connect(dsn)
    transaction = connection.transaction()
    await transaction.start()
    await ledger.approve(
        connection,
        uuid.UUID(award_id),
        amount_fen=1_000_000,
        actor="province",
        today=dt.date(2025, 3, 1),
    )
    if mode == "commit":
        await transaction.commit()
    print("requested", flush=True)
    if mode == "commit":
        os.kill(os.getpid(), signal.SIGKILL)
    await asyncio.Event().wait()  # killed here, the transaction still open


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
