"""A GET answered 200 with JSON carries a strong ETag: the route's own, or the tag of the bytes
sent; other answers are left as they are. The tag a route computes for its PUT's If-Match is
the tag of the same bytes."""

from __future__ import annotations

from fastapi import FastAPI, Response
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.http.etag import content_etag, representation_etag
from shared.http.etag_middleware import RepresentationETagMiddleware


class Thing(BaseModel):
    name: str
    count: int


def make_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(RepresentationETagMiddleware)

    @app.get("/things/{name}", response_model=Thing)
    async def read(name: str) -> Thing:
        return Thing(name=name, count=len(name))

    @app.get("/versioned")
    async def versioned(response: Response) -> dict[str, int]:
        response.headers["ETag"] = '"7"'
        return {"version": 7}

    @app.get("/text", response_class=PlainTextResponse)
    async def text() -> str:
        return "plain"

    @app.post("/things")
    async def create() -> dict[str, str]:
        return {"created": "yes"}

    return app


def test_a_json_get_is_tagged_by_its_bytes_and_a_route_tag_is_kept() -> None:
    client = TestClient(make_app())
    answer = client.get("/things/茶叶")
    assert answer.headers["ETag"] == content_etag(answer.content)
    assert answer.headers["ETag"] == representation_etag(Thing(name="茶叶", count=2))
    assert not answer.headers["ETag"].startswith("W/")
    assert client.get("/things/茶叶").headers["ETag"] == answer.headers["ETag"]
    assert client.get("/things/other").headers["ETag"] != answer.headers["ETag"]
    assert client.get("/versioned").headers["ETag"] == '"7"'


def test_other_answers_are_left_untagged() -> None:
    client = TestClient(make_app())
    assert "ETag" not in client.get("/text").headers
    assert "ETag" not in client.post("/things").headers
    assert "ETag" not in client.get("/things/a/b").headers  # 404
