"""problem+json, cursors, ETag/If-Match and Idempotency-Key, on a small app (no I/O)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.auth import (
    CurrentPrincipal,
    TokenVerifier,
    generate_dev_keypair,
    install_auth,
    mint_token,
)
from shared.http import catalogue
from shared.http.etag import check_if_match, etag_for
from shared.http.idempotency import (
    IdempotencyMiddleware,
    Reserved,
    StoredResponse,
    claim_idempotency_key,
    is_stored_status,
)
from shared.http.pagination import decode_cursor, encode_cursor
from shared.http.problems import ProblemError, install_problem_handlers
from shared.i18n import t


class FakeStore:
    """In-memory stand-in for the PostgreSQL store (unit tests only; the store's own rules,
    leases and fencing, are tested on PostgreSQL in tests/integration)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str], tuple[str, uuid.UUID, StoredResponse | None]] = {}
        self.completions = 0

    async def reserve(
        self, *, scope: str, key: str, request_hash: str, lease_seconds: float
    ) -> StoredResponse | Reserved | Literal["in_progress", "mismatch"]:
        row = self.rows.get((scope, key))
        if row is None:
            token = uuid.uuid4()
            self.rows[(scope, key)] = (request_hash, token, None)
            return Reserved(token)
        if row[0] != request_hash:
            return "mismatch"
        return row[2] or "in_progress"

    async def complete(
        self, *, scope: str, key: str, lease_token: uuid.UUID, response: StoredResponse
    ) -> None:
        self.completions += 1
        request_hash, token, _ = self.rows[(scope, key)]
        if token == lease_token:
            self.rows[(scope, key)] = (request_hash, token, response)

    async def release(self, *, scope: str, key: str, lease_token: uuid.UUID) -> None:
        if self.rows.get((scope, key), (None, None))[1] == lease_token:
            del self.rows[(scope, key)]


class ClaimingConnection:
    """Stands in for the route's transaction: ``claim_idempotency_key``'s one statement stores
    the response in the fake store, as the real claim does in ``idempotency_keys``."""

    def __init__(self, store: FakeStore) -> None:
        self.store = store

    async def fetchval(self, _sql: str, scope: str, key: str, token: uuid.UUID, *rest: object):  # type: ignore[no-untyped-def]
        status, headers, body, request_hash_if_unreserved = rest
        assert request_hash_if_unreserved is None  # these routes' keys are reserved ahead
        request_hash, held, _ = self.store.rows[(scope, key)]
        assert held == token
        stored = StoredResponse(int(status), [tuple(h) for h in headers], bytes(body))  # type: ignore[arg-type, misc]
        self.store.rows[(scope, key)] = (request_hash, token, stored)
        return 1


class CountingVerifier(TokenVerifier):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.calls = 0

    async def verify(self, token: str):  # type: ignore[no-untyped-def]
        self.calls += 1
        return await super().verify(token)


PRIVATE, PUBLIC = generate_dev_keypair()
VERIFIER = TokenVerifier(public_key_pem=PUBLIC, issuer="ecom-local", audience="ecom-api")


def bearer(subject: str = "alice", *, private_key: str = PRIVATE, ttl: int = 300) -> dict[str, str]:
    token = mint_token(
        private_key_pem=private_key, subject=subject, roles=["integrator"], ttl_seconds=ttl
    )
    return {"Authorization": f"Bearer {token}"}


class Thing(BaseModel):
    name: str
    count: int
    tags: dict[str, int] = {}


def make_app(
    store: FakeStore | None = None, verifier: TokenVerifier = VERIFIER
) -> tuple[TestClient, list[str]]:
    app = FastAPI()
    install_problem_handlers(app)
    install_auth(app, verifier)
    store = store if store is not None else FakeStore()
    app.add_middleware(
        IdempotencyMiddleware,
        store_factory=lambda: store,
        verifier_factory=lambda: app.state.token_verifier,
    )
    created: list[str] = []

    @app.post("/things", status_code=201)
    async def create(thing: Thing, principal: CurrentPrincipal) -> dict[str, object]:
        created.append(thing.name)
        if thing.name == "boom":
            raise RuntimeError("server fault")
        if thing.name == "forbidden":
            raise ProblemError(catalogue.FORBIDDEN, t("今天不行", "not today"))
        if thing.name == "taken":
            raise ProblemError(catalogue.CONFLICT, t("已占用", "taken"))
        return {"n": len(created), "by": principal.subject, **thing.model_dump()}

    @app.post("/claimed", status_code=201)
    async def claimed(
        thing: Thing, request: Request, response: Response, principal: CurrentPrincipal
    ) -> Thing:
        # A route that stores its answer with its state change (claim_idempotency_key).
        created.append(thing.name)
        answer = Thing(name=thing.name, count=thing.count + 1)
        response.headers["Location"] = f"/things/{thing.name}"
        content = answer if thing.name != "differs" else {"something": "else"}
        await claim_idempotency_key(
            ClaimingConnection(store),  # type: ignore[arg-type]
            request,
            status_code=201,
            content=content,
            headers=response.headers,
        )
        return answer

    @app.get("/conflict")
    async def conflict() -> None:
        raise ProblemError(catalogue.CONFLICT, t("已占用", "taken"), extra={"existing_id": "x"})

    return TestClient(app, raise_server_exceptions=False), created


def test_validation_errors_name_each_field() -> None:
    client, _ = make_app()
    response = client.post("/things", json={"name": "a", "count": "many"}, headers=bearer())
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
    headers = {"Idempotency-Key": "k-1", **bearer()}
    first = client.post("/things", json={"name": "a", "count": 1}, headers=headers)
    second = client.post("/things", json={"name": "a", "count": 1}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert (
        first.json()
        == second.json()
        == {"n": 1, "by": "alice", "name": "a", "count": 1, "tags": {}}
    )
    assert second.headers["Idempotent-Replayed"] == "true"
    assert created == ["a"]
    reused = client.post("/things", json={"name": "b", "count": 1}, headers=headers)
    assert reused.status_code == 422


def test_a_response_claimed_in_the_route_transaction_is_not_written_again() -> None:
    store = FakeStore()
    client, created = make_app(store)
    headers = {"Idempotency-Key": "k-claimed", **bearer()}
    first = client.post("/claimed", json={"name": "a", "count": 1}, headers=headers)
    assert first.status_code == 201 and store.completions == 0
    again = client.post("/claimed", json={"name": "a", "count": 1}, headers=headers)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.content == first.content and again.headers["location"] == "/things/a"
    assert created == ["a"]


def test_a_claim_with_other_bytes_than_those_sent_is_replaced_by_the_bytes_sent() -> None:
    store = FakeStore()
    client, _ = make_app(store)
    headers = {"Idempotency-Key": "k-differs", **bearer()}
    first = client.post("/claimed", json={"name": "differs", "count": 1}, headers=headers)
    assert store.completions == 1
    again = client.post("/claimed", json={"name": "differs", "count": 1}, headers=headers)
    assert again.content == first.content == b'{"name":"differs","count":2,"tags":{}}'


def test_the_token_is_verified_once_per_request() -> None:
    verifier = CountingVerifier(public_key_pem=PUBLIC, issuer="ecom-local", audience="ecom-api")
    client, _ = make_app(verifier=verifier)
    headers = {"Idempotency-Key": "k-once", **bearer()}
    assert client.post("/things", json={"name": "a", "count": 1}, headers=headers).is_success
    assert verifier.calls == 1


def test_the_same_json_written_differently_is_the_same_request() -> None:
    client, created = make_app()
    headers = {"Idempotency-Key": "k-json", "Content-Type": "application/json", **bearer()}
    first = client.post(
        "/things", content=b'{"name": "a", "count": 1, "tags": {"x": 1, "y": 2}}', headers=headers
    )
    again = client.post(
        "/things", content=b'{"tags":{"y":2,"x":1},\n "count":1,"name":"a"}', headers=headers
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert created == ["a"]


def test_a_forged_token_never_receives_a_stored_response() -> None:
    client, created = make_app()
    body = {"name": "secret", "count": 1}
    client.post("/things", json=body, headers={"Idempotency-Key": "k-v", **bearer("victim")})
    mallory_key, _ = generate_dev_keypair()
    forged = bearer("victim", private_key=mallory_key)  # the victim's sub, another signature
    stolen = client.post("/things", json=body, headers={"Idempotency-Key": "k-v", **forged})
    assert stolen.status_code == 401
    assert stolen.headers["content-type"] == "application/problem+json"
    assert "Idempotent-Replayed" not in stolen.headers and "secret" not in stolen.text
    assert created == ["secret"]


def test_failures_that_did_not_complete_the_request_are_not_stored() -> None:
    client, created = make_app()
    body = {"name": "a", "count": 1}
    expired = client.post(
        "/things", json=body, headers={"Idempotency-Key": "k", **bearer(ttl=-120)}
    )
    assert expired.status_code == 401
    retried = client.post("/things", json=body, headers={"Idempotency-Key": "k", **bearer()})
    assert retried.status_code == 201 and "Idempotent-Replayed" not in retried.headers
    for name in ("boom", "forbidden"):
        headers = {"Idempotency-Key": f"k-{name}", **bearer()}
        first = client.post("/things", json={"name": name, "count": 1}, headers=headers)
        second = client.post("/things", json={"name": name, "count": 1}, headers=headers)
        assert first.status_code == second.status_code and first.status_code in (403, 500)
        assert "Idempotent-Replayed" not in second.headers
    assert created == ["a", "boom", "boom", "forbidden", "forbidden"]


def test_a_final_domain_refusal_is_stored() -> None:
    client, created = make_app()
    headers = {"Idempotency-Key": "k-taken", **bearer()}
    client.post("/things", json={"name": "taken", "count": 1}, headers=headers)
    again = client.post("/things", json={"name": "taken", "count": 1}, headers=headers)
    assert again.status_code == 409 and again.headers["Idempotent-Replayed"] == "true"
    assert created == ["taken"]


@pytest.mark.parametrize(
    ("status", "stored"),
    [(200, True), (201, True), (409, True), (422, True), (400, False), (401, False),
     (403, False), (404, False), (412, False), (413, False), (415, False), (428, False),
     (500, False), (503, False)],
)  # fmt: skip
def test_which_statuses_are_stored(status: int, stored: bool) -> None:
    assert is_stored_status(status) is stored


def test_keys_are_per_caller_and_bounded() -> None:
    client, created = make_app()
    body = {"name": "a", "count": 1}
    client.post("/things", json=body, headers={"Idempotency-Key": "same", **bearer("alice")})
    client.post("/things", json=body, headers={"Idempotency-Key": "same", **bearer("bob")})
    assert len(created) == 2
    too_long = {"Idempotency-Key": "k" * 256, **bearer()}
    assert client.post("/things", json={}, headers=too_long).status_code == 400


def test_without_a_token_nothing_is_reserved_or_replayed() -> None:
    client, created = make_app()
    for _ in range(2):
        answer = client.post(
            "/things", json={"name": "a", "count": 1}, headers={"Idempotency-Key": "anon"}
        )
        assert answer.status_code == 401 and "Idempotent-Replayed" not in answer.headers
    assert created == []


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
    check_if_match('"1", "3"', 3)
    check_if_match('W/"2", "3"', 3)
    check_if_match("*", 3)


def test_if_match_compares_strongly_so_a_weak_tag_never_matches() -> None:
    for weak in ('W/"3"', ' W/"3" ', 'W/"1", W/"3"'):
        with pytest.raises(ProblemError) as refused:
            check_if_match(weak, 3)
        assert refused.value.status == 412
        assert refused.value.headers == {"ETag": '"3"'}


def test_a_cursor_read_by_its_route_is_a_400_when_its_fields_do_not_fit() -> None:
    import datetime as dt

    from shared.http.pagination import encode_cursor, read_cursor
    from shared.http.problems import ProblemError

    def parse(p: dict[str, Any]) -> dt.datetime:
        return dt.datetime.fromisoformat(p["at"])

    assert read_cursor(None, parse) is None
    at = dt.datetime(2025, 12, 10, 15, 59, 59, tzinfo=dt.UTC)
    assert read_cursor(encode_cursor({"at": at.isoformat()}), parse) == at
    for position in ({}, {"at": "yesterday"}, {"at": 5}):
        with pytest.raises(ProblemError) as refused:
            read_cursor(encode_cursor(position), parse)
        assert refused.value.status == 400


def test_an_integer_position_past_bigint_or_of_another_kind_is_a_400() -> None:
    from shared.http.pagination import cursor_int, encode_cursor, read_cursor
    from shared.http.problems import ProblemError

    def parse(p: dict[str, Any]) -> int:
        return cursor_int(p["n"])

    assert read_cursor(encode_cursor({"n": 0}), parse) == 0
    assert read_cursor(encode_cursor({"n": 2**63 - 1}), parse) == 2**63 - 1
    for value in (2**63, -1, "3", 3.0, True, None):
        with pytest.raises(ProblemError) as refused:
            read_cursor(encode_cursor({"n": value}), parse)
        assert refused.value.status == 400
