"""Unbounded input, the same in every service: a body over the limit is refused with 413
problem+json before it is read (declared or streamed), and a text field over its bound is a
422 naming it."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import jwt
import pytest

from tests.security.conftest import RunningService
from tests.security.services import PostCase

SETTINGS = {"max_body_bytes": 64 * 1024}
TEXT_FIELDS = ("name", "reason", "source_document")  # one of them is in every PostCase body


@pytest.fixture
def case(service: RunningService, signing_keys: tuple[str, str]) -> tuple[PostCase, dict[str, str]]:
    if service.spec.post is None:
        pytest.skip(f"{service.spec.name} has no POST")
    claims = {
        "sub": "size-tester",
        "iss": "ecom-local",
        "aud": "ecom-api",
        "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        **service.spec.post.writer,
    }
    token = jwt.encode(claims, signing_keys[0], algorithm="RS256")
    return service.spec.post, {"Authorization": f"Bearer {token}"}


def _assert_413(response: Any) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "content_too_large" and "65536" in problem["detail"]


def test_a_body_over_the_limit_is_413(service: RunningService, case: Any) -> None:
    post, headers = case
    body = {**post.body(), "padding": "x" * (65 * 1024)}
    _assert_413(service.client.post(post.path, json=body, headers=headers))

    def streamed() -> Iterator[bytes]:
        text = json.dumps(body).encode()
        for start in range(0, len(text), 8192):
            yield text[start : start + 8192]

    chunked = {**headers, "Content-Type": "application/json"}
    _assert_413(service.client.post(post.path, content=streamed(), headers=chunked))


def test_a_field_over_its_bound_is_a_422_naming_it(service: RunningService, case: Any) -> None:
    post, headers = case
    body = post.body()
    field = next(name for name in TEXT_FIELDS if name in body)
    answer = service.client.post(post.path, json={**body, field: "长" * 5000}, headers=headers)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in answer.json()["errors"]] == [f"body.{field}"]
