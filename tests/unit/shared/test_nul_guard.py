"""NUL characters are refused before a route sees them (PostgreSQL text cannot hold U+0000)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.http.nul_guard import NulGuardMiddleware, nul_fields
from shared.http.problems import install_problem_handlers


class Thing(BaseModel):
    name: str
    tags: list[str] = []


def make_client() -> tuple[TestClient, list[Any]]:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(NulGuardMiddleware)
    reached: list[Any] = []

    @app.get("/things/{name}")
    async def read(name: str, q: str | None = None) -> dict[str, str | None]:
        reached.append((name, q))
        return {"name": name, "q": q}

    @app.post("/things")
    async def create(thing: Thing) -> dict[str, Any]:
        reached.append(thing)
        return thing.model_dump()

    return TestClient(app), reached


def test_a_nul_in_a_query_parameter_is_a_422_naming_it() -> None:
    client, reached = make_client()
    response = client.get("/things/a", params={"q": "ab\x00c"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"] == [
        {
            "field": "query.q",
            "message": "NUL (U+0000) is not allowed in text",
            "type": "nul_character",
        }
    ]
    assert problem["instance"] == "/things/a"
    assert reached == []


def test_a_nul_in_the_path_is_a_400() -> None:
    client, reached = make_client()
    response = client.get("/things/a%00b")
    assert response.status_code == 400
    assert response.json()["status"] == 400
    assert reached == []


def test_a_nul_in_a_json_string_is_a_422_naming_the_field() -> None:
    client, reached = make_client()
    body = b'{"name": "ok", "tags": ["fine", "bad\\u0000"]}'
    response = client.post("/things", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["body.tags.1"]
    assert reached == []


def test_an_escaped_backslash_before_u0000_is_plain_text_and_passes() -> None:
    client, _ = make_client()
    body = b'{"name": "C:\\\\u0000"}'  # the text C:\u0000, no NUL in it
    response = client.post("/things", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200
    assert response.json()["name"] == "C:\\u0000"


def test_clean_requests_reach_the_route_with_their_body() -> None:
    client, reached = make_client()
    assert client.post("/things", json={"name": "茶", "tags": ["a"]}).json()["name"] == "茶"
    assert client.get("/things/a", params={"q": "贵州"}).json() == {"name": "a", "q": "贵州"}
    assert len(reached) == 2


def test_nul_fields_walks_keys_lists_and_nesting() -> None:
    value = {"a": {"b\x00": 1, "c": ["x", "y\x00"]}, "d": 2}
    assert nul_fields(value, "body") == ["body.a.b\x00", "body.a.c.1"]
