"""Pure parts of the audit trail: client address behind proxies, canonical hashing, settings,
the refusal of /v1/audit to callers without an audit scope, and the request-facts middleware.
Who reads which records is ``shared.auth.scope.audit_scope`` (tests/unit/shared/test_auth_scope.py)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError

from shared.audit.api import scope_of
from shared.audit.chain import GENESIS_HASH, normalise, row_hash
from shared.audit.context import (
    AuditContextMiddleware,
    client_ip,
    current_request,
    parse_trusted_proxies,
)
from shared.auth import Principal, Role
from shared.auth.scope import audit_scope
from shared.http.problems import ProblemError
from shared.settings import ServiceSettings

TRUSTED = parse_trusted_proxies("10.0.0.0/8, 192.168.1.7")


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("203.0.113.5", None, "203.0.113.5"),
        ("203.0.113.5", "1.2.3.4", "203.0.113.5"),  # an untrusted peer cannot claim another
        ("10.1.1.1", "198.51.100.7", "198.51.100.7"),
        ("10.1.1.1", "6.6.6.6, 198.51.100.7, 192.168.1.7", "198.51.100.7"),  # forged left hop
        ("10.1.1.1", "10.2.2.2, 10.3.3.3", "10.2.2.2"),
        ("10.1.1.1", "not-an-ip", "not-an-ip"),
    ],
)
def test_the_client_is_the_nearest_untrusted_hop(
    peer: str, forwarded: str | None, expected: str
) -> None:
    assert client_ip(peer, forwarded, TRUSTED) == expected


def _content(**overrides: object) -> dict[str, object]:
    return {
        "seq": 7,
        "recorded_at": dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC),
        "kind": "change",
        "action": "store.updated",
        "resource_type": "store",
        "resource_id": "s1",
        "actor_subject": "alice",
        "actor_roles": ["city_bureau"],
        "before": normalise({"amount": Decimal("1.50"), "on": dt.date(2026, 1, 1)}),
        "after": normalise({"ratio": 0.1, "id": uuid.UUID(int=1), "tags": {"b", "a"}}),
    } | overrides


def test_the_hash_survives_a_json_round_trip_and_notices_any_change() -> None:
    content = _content()
    stored = json.loads(json.dumps({k: v for k, v in content.items() if k != "recorded_at"}))
    stored["recorded_at"] = content["recorded_at"].astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert row_hash(GENESIS_HASH, stored) == row_hash(GENESIS_HASH, content)
    assert row_hash(GENESIS_HASH, _content(resource_id="s2")) != row_hash(GENESIS_HASH, content)
    assert row_hash("1" * 64, content) != row_hash(GENESIS_HASH, content)
    assert content["after"] == {"ratio": "0.1", "id": str(uuid.UUID(int=1)), "tags": ["a", "b"]}


def test_retention_below_six_months_is_refused() -> None:
    base = {"environment": "test", "database_url": "postgresql://x@h/d",
            "kafka_bootstrap_servers": "k:9092"}  # fmt: skip
    assert ServiceSettings(**base).audit_retention_days == 180
    with pytest.raises(ValidationError, match="180"):
        ServiceSettings(**base, audit_retention_days=179)


@pytest.mark.parametrize(
    ("role", "region"),
    [(Role.province_admin, "630000"), (Role.city_bureau, "520100"), (Role.integrator, None)],
)
def test_the_audit_api_reads_over_the_scope_module_s_answer(role: Role, region: str | None) -> None:
    caller = Principal("p", frozenset({role}), region_code=region)
    assert scope_of(caller) == audit_scope(caller)


@pytest.mark.parametrize("role", [Role.operator, Role.expert])
def test_others_may_not_read_the_audit(role: Role) -> None:
    with pytest.raises(ProblemError) as refused:
        scope_of(Principal("p", frozenset({role}), region_code="520000"))
    assert refused.value.status == 403


def test_the_middleware_carries_the_request_facts_and_echoes_the_request_id() -> None:
    app = FastAPI()
    app.add_middleware(AuditContextMiddleware, trusted_proxies="")

    @app.get("/facts")
    async def facts() -> dict[str, str | None]:
        request = current_request()
        return {"id": request.request_id, "ip": request.client_ip, "ua": request.user_agent}

    client = TestClient(app, client=("203.0.113.5", 1))
    sent = client.get("/facts", headers={"X-Request-ID": "abc-123", "User-Agent": "UA/1"})
    assert sent.json() == {"id": "abc-123", "ip": "203.0.113.5", "ua": "UA/1"}
    assert sent.headers["X-Request-ID"] == "abc-123"
    made = client.get("/facts", headers={"X-Request-ID": "bad id\n"})
    assert made.json()["id"] != "bad id\n" and made.headers["X-Request-ID"] == made.json()["id"]
    assert current_request().request_id is None  # nothing leaks out of the request


def test_repeated_forwarded_for_lines_are_read_as_one_list() -> None:
    app = FastAPI()
    app.add_middleware(AuditContextMiddleware, trusted_proxies="10.0.0.0/8")

    @app.get("/ip")
    async def ip() -> dict[str, str | None]:
        return {"ip": current_request().client_ip}

    client = TestClient(app, client=("10.0.0.1", 1))
    headers = [("X-Forwarded-For", "198.51.100.7"), ("X-Forwarded-For", "10.0.0.2")]
    assert client.get("/ip", headers=headers).json() == {"ip": "198.51.100.7"}
