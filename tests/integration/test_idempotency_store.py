"""The Idempotency-Key store on PostgreSQL: leases, conditional take-over, and the fence a
route's transaction claims the key with."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from starlette.requests import Request

from shared.http.idempotency import (
    STATE_KEY,
    IdempotencyClaim,
    PostgresIdempotencyStore,
    Reserved,
    StoredResponse,
    claim_idempotency_key,
)
from shared.http.problems import ProblemError
from tests.support.polling import eventually

SCOPE = "ecom-local|alice"


def request_holding(claim: IdempotencyClaim) -> Request:
    return Request({"type": "http", "state": {STATE_KEY: claim}})


async def reserve_after_lapse(store: PostgresIdempotencyStore, key: str) -> Reserved:
    async def reserve() -> Reserved | str:
        outcome = await store.reserve(scope=SCOPE, key=key, request_hash="h", lease_seconds=0.2)
        assert isinstance(outcome, Reserved) or outcome == "in_progress"
        return outcome

    outcome = await eventually(reserve, lambda o: isinstance(o, Reserved), seconds=5)
    assert isinstance(outcome, Reserved), "the lapsed lease was never taken over"
    return outcome


async def test_a_lapsed_lease_lets_a_retry_run(messaging_pool: asyncpg.Pool) -> None:
    store = PostgresIdempotencyStore(messaging_pool)
    first = await store.reserve(scope=SCOPE, key="k", request_hash="h", lease_seconds=0.2)
    assert isinstance(first, Reserved)
    again = await store.reserve(scope=SCOPE, key="k", request_hash="h", lease_seconds=0.2)
    assert again == "in_progress"  # the lease still runs
    other = await store.reserve(scope=SCOPE, key="k", request_hash="other", lease_seconds=0.2)
    assert other == "mismatch"
    retry = await reserve_after_lapse(store, "k")  # the first process died
    assert retry.lease_token != first.lease_token


@pytest.mark.parametrize("state", ["expired", "lapsed"])
async def test_of_many_requests_finding_a_dead_key_one_runs(
    messaging_pool: asyncpg.Pool, state: str
) -> None:
    store = PostgresIdempotencyStore(messaging_pool)
    key = f"dead-{state}"
    first = await store.reserve(scope=SCOPE, key=key, request_hash="h", lease_seconds=60)
    assert isinstance(first, Reserved)
    if state == "expired":  # completed a day ago
        await store.complete(
            scope=SCOPE,
            key=key,
            lease_token=first.lease_token,
            response=StoredResponse(201, [], b""),
        )
        change = "created_at = now() - interval '25 hours'"
    else:  # reserved, never applied, lease over
        change = "lease_expires_at = now() - interval '1 second'"
    await messaging_pool.execute(
        f"UPDATE idempotency_keys SET {change} WHERE scope = $1 AND key = $2", SCOPE, key
    )
    outcomes = await asyncio.gather(
        *(
            store.reserve(scope=SCOPE, key=key, request_hash="h", lease_seconds=60)
            for _ in range(12)
        )
    )
    assert sum(isinstance(outcome, Reserved) for outcome in outcomes) == 1
    assert all(isinstance(o, Reserved) or o == "in_progress" for o in outcomes)


async def test_a_request_whose_lease_was_taken_over_cannot_apply(
    messaging_pool: asyncpg.Pool,
) -> None:
    store = PostgresIdempotencyStore(messaging_pool)
    slow = await store.reserve(scope=SCOPE, key="fence", request_hash="h", lease_seconds=0.2)
    assert isinstance(slow, Reserved)
    retry = await reserve_after_lapse(store, "fence")
    async with messaging_pool.acquire() as connection:
        with pytest.raises(ProblemError) as lost:
            async with connection.transaction():
                await connection.execute("CREATE TEMP TABLE applied (n int)")
                await connection.execute("INSERT INTO applied VALUES (1)")
                await claim_idempotency_key(
                    connection,
                    request_holding(IdempotencyClaim(SCOPE, "fence", slow.lease_token)),
                    status_code=201,
                    content={"n": 1},
                )
        assert lost.value.status == 409
        # The slow request's transaction rolled back: its state change never happened.
        assert await connection.fetchval("SELECT to_regclass('pg_temp.applied')") is None
        async with connection.transaction():
            await claim_idempotency_key(
                connection,
                request_holding(IdempotencyClaim(SCOPE, "fence", retry.lease_token)),
                status_code=201,
                content={"n": 2},
            )
    # A stale release cannot drop the retry's key, nor can any release drop an applied key.
    await store.release(scope=SCOPE, key="fence", lease_token=slow.lease_token)
    await store.release(scope=SCOPE, key="fence", lease_token=retry.lease_token)
    replay = await store.reserve(scope=SCOPE, key="fence", request_hash="h", lease_seconds=60)
    assert isinstance(replay, StoredResponse) and replay.body == b'{"n":2}'


async def test_a_crash_after_the_commit_replays_instead_of_running_again(
    messaging_pool: asyncpg.Pool,
) -> None:
    store = PostgresIdempotencyStore(messaging_pool)
    first = await store.reserve(scope=SCOPE, key="crash", request_hash="h", lease_seconds=0.1)
    assert isinstance(first, Reserved)
    async with messaging_pool.acquire() as connection, connection.transaction():
        await claim_idempotency_key(
            connection,
            request_holding(IdempotencyClaim(SCOPE, "crash", first.lease_token)),
            status_code=201,
            content={"id": "e-1"},
            headers={"Location": "/v1/things/e-1", "X-Other": "dropped"},
        )

    # ... and the process dies before the middleware stores the response. Past the lease:
    async def reserve_again() -> tuple[object, bool]:
        outcome = await store.reserve(scope=SCOPE, key="crash", request_hash="h", lease_seconds=1)
        assert not isinstance(outcome, Reserved), "the operation would run a second time"
        lapsed = await messaging_pool.fetchval(
            "SELECT lease_expires_at < now() FROM idempotency_keys WHERE key = 'crash'"
        )
        return outcome, bool(lapsed)

    outcome, lapsed = await eventually(reserve_again, lambda answer: answer[1], seconds=5)
    assert lapsed, "the lease never lapsed"
    assert isinstance(outcome, StoredResponse)
    assert outcome.status_code == 201 and outcome.body == b'{"id":"e-1"}'
    assert ("location", "/v1/things/e-1") in outcome.headers
    assert all(name != "x-other" for name, _ in outcome.headers)


async def test_keys_are_partitioned_by_caller(messaging_pool: asyncpg.Pool) -> None:
    store = PostgresIdempotencyStore(messaging_pool)
    mine = await store.reserve(scope="iss|a", key="p", request_hash="h", lease_seconds=60)
    theirs = await store.reserve(scope="iss|b", key="p", request_hash="h", lease_seconds=60)
    assert isinstance(mine, Reserved) and isinstance(theirs, Reserved)
    assert uuid.UUID(str(mine.lease_token)) != theirs.lease_token
