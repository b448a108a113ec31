"""Rate limits, the same in every service: a caller over its limit gets 429 problem+json with
Retry-After and the draft RateLimit fields (which every answer carries); callers are counted
apart by verified subject, and without a token by client address."""

from __future__ import annotations

import datetime as dt
from typing import Any

import jwt
import pytest
from httpx import Response

from tests.security.conftest import RunningService

# Low limits for this module only (each module gets its own app, so its own counters).
SETTINGS = {"rate_limit_reads": "4/minute", "rate_limit_writes": "3/minute"}
REGIONAL = {"roles": ["province_admin"], "region_code": "520000"}


@pytest.fixture
def sign(signing_keys: tuple[str, str]) -> Any:
    def headers(subject: str, **claims: Any) -> dict[str, str]:
        payload = {
            "sub": subject,
            "iss": "ecom-local",
            "aud": "ecom-api",
            "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
            **claims,
        }
        return {"Authorization": f"Bearer {jwt.encode(payload, signing_keys[0], 'RS256')}"}

    return headers


def assert_limited(response: Response, policy: str) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 429
    retry = int(response.headers["Retry-After"])
    assert 1 <= retry <= 60
    assert response.headers["RateLimit-Policy"] == f'"{policy}";q=' + (
        "4;w=60" if policy == "reads" else "3;w=60"
    )
    assert response.headers["RateLimit"] == f'"{policy}";r=0;t={retry}'


def test_reads_over_the_limit_get_429_and_subjects_count_apart(
    service: RunningService, sign: Any
) -> None:
    client, path = service.client, service.spec.read_path
    reader = sign(f"reader-{service.spec.name}", **REGIONAL)
    answers = [client.get(path, headers=reader) for _ in range(4)]
    assert [a.status_code for a in answers] == [200] * 4, answers[-1].text
    assert answers[0].headers["RateLimit-Policy"] == '"reads";q=4;w=60'
    assert answers[0].headers["RateLimit"].startswith('"reads";r=3;t=')
    assert_limited(client.get(path, headers=reader), "reads")
    other = client.get(path, headers=sign(f"other-{service.spec.name}", **REGIONAL))
    assert other.status_code == 200 and other.headers["RateLimit"].startswith('"reads";r=3;')


def test_writes_over_the_limit_get_429(service: RunningService, sign: Any) -> None:
    case = service.spec.post
    if case is None:
        pytest.skip(f"{service.spec.name} has no POST a caller repeats")
    writer = sign(f"writer-{service.spec.name}", **case.writer)
    answers = [service.client.post(case.path, json=case.body(), headers=writer) for _ in range(3)]
    assert all(200 <= a.status_code < 300 for a in answers), answers[-1].text
    assert answers[0].headers["RateLimit-Policy"] == '"writes";q=3;w=60'
    assert_limited(service.client.post(case.path, json=case.body(), headers=writer), "writes")


def test_without_a_token_the_client_address_is_counted(service: RunningService, sign: Any) -> None:
    client, path = service.client, service.spec.read_path
    refused = [client.get(path) for _ in range(4)]
    assert [r.status_code for r in refused] == [401] * 4  # still answered, and counted
    assert refused[0].headers["RateLimit-Policy"] == '"reads";q=4;w=60'
    assert_limited(client.get(path, headers={"Authorization": "Bearer forged"}), "reads")
    fresh = client.get(path, headers=sign(f"named-{service.spec.name}", **REGIONAL))
    assert fresh.status_code == 200
