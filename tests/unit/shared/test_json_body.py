"""A route that renders its response model once (``model_response``) sends the bytes, the
headers and so the ETag that FastAPI's own rendering of the same model sends, and its OpenAPI
document is the one of a route returning the model."""

from __future__ import annotations

from typing import Literal

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field
from starlette.responses import Response

from shared.http.etag_middleware import RepresentationETagMiddleware
from shared.http.json_body import model_response


class Part(BaseModel):
    reported: str
    difference: str = Field(description="reported minus the sum")


class Row(BaseModel):
    code: str
    level: Literal["province", "city"]
    value: str | None
    reporters: int
    provisional: bool
    breakdown: dict[str, str]
    part: Part | None = None
    expected: int = 0


class Body(BaseModel):
    name_zh: str
    rows: list[Row]
    counts: dict[str, Row]


TEXTS = [
    "",
    "plain",
    "网络零售额（亿元）",
    'quote " backslash \\ slash /',
    "controls \x00\x01\x08\t\n\x0b\x0c\r\x1f\x7f end",
    "separators \u2028 \u2029 and \ufeff bom",
    "astral 𠀀 😀",
    "é composed and e\u0301 decomposed",
]


def body_of(text: str, number: int) -> Body:
    row = Row(
        code=text,
        level="city",
        value=None if number % 2 else text,
        reporters=number,
        provisional=bool(number % 3),
        breakdown={text: text, "9610_export": "12.50"},
        part=Part(reported=text, difference="-0.01") if number % 2 else None,
    )
    return Body(name_zh=text, rows=[row, row.model_copy(update={"level": "province"})], counts={})


def make_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(RepresentationETagMiddleware)

    @app.get("/by-fastapi/{case}", response_model=Body)
    async def by_fastapi(case: int, number: int) -> Body:
        return body_of(TEXTS[case], number)

    @app.get("/once/{case}", response_model=Body)
    async def once(case: int, number: int) -> Response:
        body = body_of(TEXTS[case], number)
        body.counts["county"] = body.rows[0]  # filled after it is made, as routes do
        body.counts.pop("county")
        return model_response(body)

    return app


@pytest.mark.parametrize("case", range(len(TEXTS)))
@pytest.mark.parametrize("number", [0, 1, 2, 3, -7, 2**53 + 1])
def test_the_same_bytes_headers_and_etag_as_fastapis_rendering(case: int, number: int) -> None:
    client = TestClient(make_app())
    expected = client.get(f"/by-fastapi/{case}", params={"number": number})
    answer = client.get(f"/once/{case}", params={"number": number})
    assert answer.status_code == expected.status_code == 200
    assert answer.content == expected.content
    assert answer.headers.items() == expected.headers.items()  # ETag, type, length, in order


def test_the_document_is_the_one_of_a_route_returning_its_model() -> None:
    paths = make_app().openapi()["paths"]
    ours, fastapis = paths["/once/{case}"]["get"], paths["/by-fastapi/{case}"]["get"]
    for operation in (ours, fastapis):
        operation.pop("operationId")
        operation.pop("summary")
    assert ours == fastapis


def test_status_and_headers_are_the_callers() -> None:
    answer = model_response(Part(reported="1", difference="0"), status_code=201, headers={"A": "b"})
    assert answer.status_code == 201
    assert answer.body == b'{"reported":"1","difference":"0"}'
    assert answer.headers["a"] == "b"
    assert answer.headers["content-type"] == "application/json"
