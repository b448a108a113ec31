"""The name a request's Idempotency-Key gives its operation in another system (a workflow
update's id): the same for a retry by the same caller, different for another caller or key,
none without a key."""

from __future__ import annotations

import uuid

from starlette.requests import Request

from shared.http.idempotency import operation_id
from shared.http.idempotency.keys import STATE_KEY, IdempotencyClaim


def _request(claim: IdempotencyClaim | None) -> Request:
    state = {} if claim is None else {STATE_KEY: claim}
    return Request({"type": "http", "method": "POST", "path": "/", "headers": [], "state": state})


def test_a_retry_names_the_same_operation_and_another_caller_or_key_another() -> None:
    first = operation_id(_request(IdempotencyClaim("province", "k-1", uuid.uuid4())))
    retry = operation_id(_request(IdempotencyClaim("province", "k-1", uuid.uuid4())))
    assert first is not None and first == retry
    assert operation_id(_request(IdempotencyClaim("city", "k-1", uuid.uuid4()))) != first
    assert operation_id(_request(IdempotencyClaim("province", "k-2", uuid.uuid4()))) != first


def test_without_a_key_there_is_no_operation_name() -> None:
    assert operation_id(_request(None)) is None
