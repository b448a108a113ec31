"""Which consumer failures a retry can fix, and which no retry can.

A transient failure is the environment's: PostgreSQL restarting or failing over, a dropped
connection, a serialization failure or deadlock (PostgreSQL asks the client to retry), a lock
or statement timeout, too many connections, a pool acquire that timed out. Retrying later
succeeds, so the consumer retries without limit and never dead-letters for it.

Poison is the message's: it is not an envelope, its type is unknown, its payload is invalid,
or a handler declares it so by raising ``PoisonMessage``. Retrying cannot help: dead-letter.

Everything else is ``OTHER``: most often a bug or data the handler did not expect. It gets a
bounded number of attempts (a bug fixed by a redeploy mid-retry still helps), then the dead
letters, from which ``ecom-dlq replay`` can re-feed it once fixed.
"""

from __future__ import annotations

import enum

import asyncpg
from asyncpg import exceptions as pg
from pydantic import ValidationError


class PoisonMessage(Exception):
    """A message that no retry can fix; handlers raise it (or a subclass) to dead-letter."""


class Failure(enum.Enum):
    TRANSIENT = "transient"
    POISON = "poison"
    OTHER = "other"


TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,  # refused or reset connections; TimeoutError (pool acquire) is an OSError
    asyncpg.InterfaceError,  # the connection closed under an operation
    # asyncpg's protocol state broken by a connection the server cut mid-transaction
    # ("cannot switch to state …; another operation is in progress").
    asyncpg.InternalClientError,
    pg.PostgresConnectionError,  # class 08
    pg.TransactionRollbackError,  # class 40: serialization failure, deadlock detected
    pg.LockNotAvailableError,  # 55P03: lock_timeout
    pg.OperatorInterventionError,  # class 57: statement timeout, admin/crash shutdown
    pg.InsufficientResourcesError,  # class 53: too many connections, out of memory or disk
)
POISON_ERRORS: tuple[type[BaseException], ...] = (PoisonMessage, ValidationError)


def classify(error: BaseException) -> Failure:
    if isinstance(error, POISON_ERRORS):
        return Failure.POISON
    if isinstance(error, TRANSIENT_ERRORS):
        return Failure.TRANSIENT
    return Failure.OTHER
