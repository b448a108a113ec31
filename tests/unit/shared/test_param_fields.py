"""FastAPI's sequence test, remembered per parameter: the same answers as FastAPI's for every
parameter of every service route, and the same values and errors for list and single
parameters read from the query, the headers and the cookies."""

from __future__ import annotations

from typing import Annotated, Any

import fastapi.dependencies.utils as fastapi_dependencies
import httpx
import pytest
from fastapi import Cookie, Depends, FastAPI, Header, Query
from fastapi._compat import is_sequence_field
from fastapi.dependencies.utils import get_flat_dependant
from fastapi.routing import APIRoute

from shared.service.param_fields import remember_sequence_fields, remembered_is_sequence_field
from tests.unit.shared.test_openapi_document import APPS


@pytest.fixture(scope="module", params=sorted(APPS))
def service_app(request: pytest.FixtureRequest) -> FastAPI:
    return APPS[request.param]()


def test_the_service_apps_read_parameters_through_it(service_app: FastAPI) -> None:
    assert fastapi_dependencies.is_sequence_field is remembered_is_sequence_field


def test_every_service_parameter_gets_fastapis_answer(service_app: FastAPI) -> None:
    fields = [
        field
        for route in service_app.routes
        if isinstance(route, APIRoute)
        for flat in [get_flat_dependant(route.dependant)]
        for field in (
            *flat.path_params,
            *flat.query_params,
            *flat.header_params,
            *flat.cookie_params,
            *flat.body_params,
        )
    ]
    assert len(fields) > 20
    for field in fields:
        assert remembered_is_sequence_field(field) == is_sequence_field(field), field
        assert remembered_is_sequence_field(field) == is_sequence_field(field), field


def test_a_field_that_cannot_keep_the_answer_is_asked_each_time() -> None:
    class Slotted:
        __slots__ = ()

    asked: list[Any] = []

    def counting(field: Any) -> bool:
        asked.append(field)
        return True

    field = Slotted()
    original = remembered_is_sequence_field.__globals__["is_sequence_field"]
    remembered_is_sequence_field.__globals__["is_sequence_field"] = counting
    try:
        assert remembered_is_sequence_field(field) is True
        assert remembered_is_sequence_field(field) is True
    finally:
        remembered_is_sequence_field.__globals__["is_sequence_field"] = original
    assert asked == [field, field]


async def region(region: str = Query(pattern=r"^\d{6}$")) -> str:
    return region


async def read(
    chosen: Annotated[str, Depends(region)],
    tag: Annotated[list[str], Query()] = [],  # noqa: B006
    level: Annotated[list[int] | None, Query()] = None,
    one: str = "default",
    x_trace: Annotated[list[str] | None, Header()] = None,
    session: Annotated[str | None, Cookie()] = None,
) -> dict[str, Any]:
    return {
        "region": chosen,
        "tag": tag,
        "level": level,
        "one": one,
        "trace": x_trace,
        "session": session,
    }


def parameters_app() -> FastAPI:
    """Lists and single values from the query, a list header, a cookie, a dependency's own."""
    app = FastAPI()
    app.get("/read")(read)
    return app


QUERIES = [
    "region=370200",
    "region=370200&tag=a&tag=b&level=1&level=2&one=x&one=y",
    "region=370200&level=one",
    "region=37",
    "tag=a",
    "region=370200&tag=",
]


async def answers() -> list[tuple[int, bytes]]:
    found = []
    transport = httpx.ASGITransport(app=parameters_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for query in QUERIES:
            for headers in ({}, {"x-trace": "t1"}, {"cookie": "session=s1"}):
                answer = await client.get(f"/read?{query}", headers=headers)
                found.append((answer.status_code, answer.content))
    return found


async def test_values_and_errors_are_fastapis() -> None:
    saved = fastapi_dependencies.is_sequence_field
    fastapi_dependencies.is_sequence_field = is_sequence_field
    try:
        before = await answers()
    finally:
        fastapi_dependencies.is_sequence_field = saved
    remember_sequence_fields()
    assert await answers() == before
    assert {status for status, _ in before} == {200, 422}
    lists = b'{"region":"370200","tag":["a","b"],"level":[1,2],"one":"y",'
    assert any(body.startswith(lists) for _, body in before)
