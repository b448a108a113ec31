"""Unbounded input: every request body has a size limit (413 problem+json, from Content-Length
or while streaming), and free-form fields have bounds (422 naming the field)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel, ValidationError

from awards.api.schemas import ApplicationCreate, ExpertPut, StepCreate
from shared.http.body_limit import BodyLimitMiddleware
from shared.http.bounds import Comments, Materials
from shared.http.nul_guard import NulGuardMiddleware
from shared.http.problems import install_problem_handlers
from submissions.api.schemas import CityReview, ReportSubmit


class Thing(BaseModel):
    materials: Materials
    comments: Comments = {}


def make_client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(NulGuardMiddleware)  # reads JSON bodies before any route
    app.add_middleware(
        BodyLimitMiddleware, default=10_000, larger=(("POST", r"^/uploads$", 50_000),)
    )

    @app.post("/things")
    async def create(thing: Thing) -> dict[str, Any]:
        return {"keys": len(thing.materials)}

    @app.post("/uploads")
    async def upload(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    return TestClient(app)


def assert_too_large(response: Any, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "content_too_large"
    assert str(limit) in response.json()["detail"]


def chunks(size: int) -> Iterator[bytes]:
    for _ in range(size // 100):
        yield b"x" * 100


def test_a_body_over_the_limit_is_413_by_content_length_or_while_streaming() -> None:
    client = make_client()
    small = client.post("/things", json={"materials": {"a": "b"}})
    assert small.status_code == 200, small.text
    assert_too_large(client.post("/things", json={"materials": {"a": "b" * 20_000}}), 10_000)
    # No Content-Length: counted as it streams, through the NUL guard that reads it first...
    streamed = client.post(
        "/things", content=chunks(30_000), headers={"Content-Type": "application/json"}
    )
    assert_too_large(streamed, 10_000)
    # ... and through a route that reads it itself.
    assert_too_large(client.post("/uploads", content=chunks(60_000)), 50_000)


def test_an_upload_route_keeps_its_larger_limit() -> None:
    client = make_client()
    assert client.post("/uploads", content=b"x" * 40_000).json() == {"size": 40_000}
    assert client.post("/uploads", content=chunks(40_000)).json() == {"size": 40_000}
    assert_too_large(client.post("/uploads", content=b"x" * 50_001), 50_000)


def test_an_oversized_field_is_a_422_naming_it() -> None:
    client = make_client()
    comments = client.post("/things", json={"materials": {}, "comments": {"x": "长" * 2001}}).json()
    assert comments["status"] == 422
    assert [e["field"] for e in comments["errors"]] == ["body.comments.x"]
    deep: dict[str, Any] = {"a": "b"}
    for _ in range(7):
        deep = {"a": deep}
    nested = client.post("/things", json={"materials": deep}).json()
    assert nested["status"] == 422 and nested["errors"][0]["field"] == "body.materials"
    assert "deeper than 6" in nested["errors"][0]["message"]


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (
            ApplicationCreate,
            {
                "programme_id": "p",
                "year": 2025,
                "category": "c",
                "entity_type": "park",
                "entity_id": "e",
                "materials": {"申报书": "字" * 100_000},
            },
            "materials",
        ),
        (StepCreate, {"action": "record_document_review", "findings": [{"material": "m", "ok": True,
                                                        "note": "n" * 2001}]}, "findings"),
        (StepCreate, {"action": "record_document_review", "scores": {f"s{n}": 1 for n in range(51)}}, "scores"),
        (ExpertPut, {"name": "n", "region_code": "520000",
                     "declared_relations": ["x" * 201]}, "declared_relations"),
        (ExpertPut, {"name": "n", "region_code": "520000",
                     "declared_relations": ["x"] * 201}, "declared_relations"),
        (ReportSubmit, {"figures": {}, "explanations": {"x": "y" * 2001}}, "explanations"),
        (ReportSubmit, {"figures": {f"k{n}": "1" * 70 for n in range(999)}}, "figures"),
        (CityReview, {"decision": "return", "field_comments": {"k" * 101: "y"}},
         "field_comments"),
    ],
)  # fmt: skip
def test_the_services_free_form_fields_are_bounded(
    model: type[BaseModel], body: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        model.model_validate(body)
    assert {str(error["loc"][0]) for error in raised.value.errors()} == {field}
