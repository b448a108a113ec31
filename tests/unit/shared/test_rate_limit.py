"""Per-caller rate limits: counted per verified subject (else per client address) and route
class, 429 problem+json with Retry-After once over, the draft RateLimit fields on every answer."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared.auth import TokenVerifier, generate_dev_keypair
from shared.http.problems import install_problem_handlers
from shared.http.rate_limit import RateLimitMiddleware, RouteClasses, parse_limit
from shared.settings import ServiceSettings

PRIVATE, PUBLIC = generate_dev_keypair()
LIMITS = {
    "reads": parse_limit("3/minute"),
    "writes": parse_limit("2/minute"),
    "bulk": parse_limit("1/minute"),
    "public": parse_limit("2/minute"),
}


def bearer(subject: str, **extra: Any) -> dict[str, str]:
    claims = {
        "sub": subject,
        "iss": "ecom-local",
        "aud": "ecom-api",
        "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        **extra,
    }
    return {"Authorization": f"Bearer {jwt.encode(claims, PRIVATE, algorithm='RS256')}"}


def make_client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    verifier = TokenVerifier(public_key_pem=PUBLIC, issuer="ecom-local", audience="ecom-api")
    app.add_middleware(
        RateLimitMiddleware,
        limits=LIMITS,
        classes=RouteClasses(public=("/links/",), bulk=(("POST", r"^/imports/"),)),
        verifier_factory=lambda: verifier,
    )

    @app.get("/things")
    @app.get("/healthz")
    @app.get("/links/{token}")
    @app.get("/things.xlsx")
    async def read() -> dict[str, str]:
        return {}

    @app.post("/things")
    @app.post("/imports/things")
    async def write() -> dict[str, str]:
        return {}

    return TestClient(app)


def test_over_the_limit_is_a_429_problem_with_retry_after_and_the_draft_fields() -> None:
    client, alice = make_client(), bearer("alice")
    seen = [client.get("/things", headers=alice) for _ in range(3)]
    assert [r.status_code for r in seen] == [200, 200, 200]
    assert seen[0].headers["RateLimit-Policy"] == '"reads";q=3;w=60'
    assert seen[0].headers["RateLimit"].startswith('"reads";r=2;t=')
    assert seen[2].headers["RateLimit"].startswith('"reads";r=0;t=')
    over = client.get("/things", headers=alice)
    assert over.status_code == 429
    assert over.headers["content-type"] == "application/problem+json"
    assert over.json()["code"] == "too_many_requests"
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    assert over.headers["RateLimit-Policy"] == '"reads";q=3;w=60'
    assert over.headers["RateLimit"] == f'"reads";r=0;t={over.headers["Retry-After"]}'


def test_subjects_and_route_classes_count_apart() -> None:
    client, alice = make_client(), bearer("alice")
    for _ in range(3):
        client.get("/things", headers=alice)
    assert client.get("/things", headers=alice).status_code == 429
    assert client.get("/things", headers=bearer("bob")).status_code == 200
    # Another identity provider's "alice" is another caller.
    assert client.get("/things", headers=bearer("alice", iss="other")).status_code == 200
    assert client.post("/things", headers=alice).headers["RateLimit-Policy"].startswith('"writes"')
    assert client.post("/imports/things", headers=alice).status_code == 200
    assert client.post("/imports/things", headers=alice).status_code == 429
    assert (
        client.get("/things.xlsx", headers=alice).headers["RateLimit-Policy"].startswith('"bulk"')
    )
    assert client.get("/healthz", headers=alice).status_code == 200
    assert "RateLimit" not in client.get("/healthz").headers


def test_without_a_valid_token_the_client_address_is_the_caller() -> None:
    client = make_client()
    forged = {"Authorization": "Bearer not-a-token"}
    assert [client.get("/things", headers=forged).status_code for _ in range(3)] == [200] * 3
    assert client.get("/things").status_code == 429  # same address, no token
    assert client.get("/things", headers=bearer("alice")).status_code == 200
    # A link is public: counted by address even when a token is sent along.
    assert client.get("/links/abc", headers=bearer("alice")).status_code == 200
    assert client.get("/links/def", headers=bearer("bob")).status_code == 200
    limited = client.get("/links/ghi")
    assert limited.status_code == 429 and limited.headers["RateLimit-Policy"].startswith('"public"')


def test_the_settings_refuse_a_rate_that_is_not_one() -> None:
    with pytest.raises(ValueError, match="not a rate"):
        ServiceSettings(
            environment="test",
            database_url="postgresql://x@y/z",
            kafka_bootstrap_servers="k:9092",
            rate_limit_reads="lots",
        )
