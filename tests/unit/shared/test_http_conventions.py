"""problem+json, cursors, ETag/If-Match and Idempotency-Key, on a small app (no I/O)."""

from __future__ import annotations

from typing import Literal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.http.etag import check_if_match, etag_for
from shared.http.idempotency import IdempotencyMiddleware, StoredResponse
from shared.http.pagination import decode_cursor, encode_cursor
from shared.http.problems import ProblemError, install_problem_handlers


class FakeStore:
    """In-memory stand-in for the PostgreSQL store (unit tests only)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[str, StoredResponse | None]] = {}

    async def reserve(
        self, *, scope: str, key: str, request_hash: str
    ) -> StoredResponse | Literal["reserved", "in_progress", "mismatch"]:
        row = self.rows.get((scope, key))
        if row is None:
            self.rows[(scope, key)] = (request_hash, None)
            return "reserved"
        if row[0] != request_hash:
            return "mismatch"
        return row[1] or "in_progress"

    async def complete(self, *, scope: str, key: str, response: StoredResponse) -> None:
        self.rows[(scope, key)] = (self.rows[(scope, key)][0], response)

    async def release(self, *, scope: str, key: str) -> None:
        self.rows.pop((scope, key), None)


class Thing(BaseModel):
    name: str
    count: int


def make_app() -> tuple[TestClient, list[str]]:
    app = FastAPI()
    install_problem_handlers(app)
    store = FakeStore()
    app.add_middleware(IdempotencyMiddleware, store_factory=lambda: store)
    created: list[str] = []

    @app.post("/things", status_code=201)
    async def create(thing: Thing) -> dict[str, object]:
        created.append(thing.name)
        if thing.name == "boom":
            raise RuntimeError("server fault")
        return {"n": len(created), **thing.model_dump()}

    @app.get("/conflict")
    async def conflict() -> None:
        raise ProblemError(status=409, title="Conflict", detail="taken", extra={"existing_id": "x"})

    return TestClient(app, raise_server_exceptions=False), created


def test_validation_errors_name_each_field() -> None:
    client, _ = make_app()
    response = client.post("/things", json={"name": "a", "count": "many"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422 and body["instance"] == "/things"
    assert body["errors"][0]["field"] == "body.count"


def test_problem_errors_keep_their_extra_members_and_unknown_routes_are_problems() -> None:
    client, _ = make_app()
    assert client.get("/conflict").json()["existing_id"] == "x"
    missing = client.get("/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_the_same_idempotency_key_returns_the_first_response() -> None:
    client, created = make_app()
    headers = {"Idempotency-Key": "k-1"}
    first = client.post("/things", json={"name": "a", "count": 1}, headers=headers)
    second = client.post("/things", json={"name": "a", "count": 1}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json() == {"n": 1, "name": "a", "count": 1}
    assert second.headers["Idempotent-Replayed"] == "true"
    assert created == ["a"]
    reused = client.post("/things", json={"name": "b", "count": 1}, headers=headers)
    assert reused.status_code == 422


def test_a_server_error_releases_the_key_for_a_retry() -> None:
    client, created = make_app()
    headers = {"Idempotency-Key": "k-2"}
    assert (
        client.post("/things", json={"name": "boom", "count": 1}, headers=headers).status_code
        == 500
    )
    assert (
        client.post("/things", json={"name": "boom", "count": 1}, headers=headers).status_code
        == 500
    )
    assert created == ["boom", "boom"]


def test_keys_are_per_caller_and_bounded() -> None:
    client, created = make_app()
    client.post("/things", json={"name": "a", "count": 1}, headers={"Idempotency-Key": "same"})
    client.post(
        "/things",
        json={"name": "a", "count": 1},
        headers={"Idempotency-Key": "same", "Authorization": "Bearer x.eyJzdWIiOiJib2IifQ.y"},
    )
    assert len(created) == 2
    assert (
        client.post("/things", json={}, headers={"Idempotency-Key": "k" * 256}).status_code == 400
    )


def test_cursors_round_trip_and_garbage_is_a_400() -> None:
    assert decode_cursor(encode_cursor({"id": "x", "n": 3})) == {"id": "x", "n": 3}
    with pytest.raises(ProblemError) as caught:
        decode_cursor("%%%not-a-cursor")
    assert caught.value.status == 400


def test_if_match_missing_stale_and_current() -> None:
    assert etag_for(3) == '"3"'
    with pytest.raises(ProblemError) as missing:
        check_if_match(None, 3)
    assert missing.value.status == 428
    with pytest.raises(ProblemError) as stale:
        check_if_match('"2"', 3)
    assert stale.value.status == 412
    check_if_match('"3"', 3)
    check_if_match('W/"3"', 3)
    check_if_match('"1", "3"', 3)
    check_if_match("*", 3)
