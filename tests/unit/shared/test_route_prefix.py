"""A route passed over on its literal prefix answers what it would have answered: the same
match and child scope for every route of every service and many paths, and the same responses
through an app (404, 405, the trailing-slash redirect, a mount, path parameters)."""

from __future__ import annotations

import itertools
import re
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute, Host, Match, Mount, Route

from shared.service.route_prefix import check_route_prefixes, literal_prefix
from tests.unit.shared.test_openapi_document import APPS

SAMPLES = ("x", "2025-01", "370200", "a/b", "", "7", "%20", "Q1")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


def paths_near(path: str) -> list[str]:
    """Paths that match the route, almost match it, or share only part of its prefix."""
    prefix = path.split("{", 1)[0]
    filled = [re.sub(r"\{[^}]*\}", sample, path) for sample in SAMPLES]
    return sorted(
        {
            *filled,
            *(p + "/" for p in filled),
            *(p + "/extra" for p in filled),
            prefix,
            prefix[:-1],
            prefix.rstrip("/"),
            prefix.upper(),
            "/",
            "",
            "/v1",
            "/v1/",
            "/healthz",
        }
    )


def scopes_for(path: str) -> list[dict[str, Any]]:
    scopes: list[dict[str, Any]] = []
    for method, kind, root_path in itertools.product(
        METHODS[:3], ("http", "websocket"), ("", "/api")
    ):
        full = root_path + path if root_path else path
        scopes.append(
            {"type": kind, "path": full, "root_path": root_path, "method": method}
            | ({"path_params": {"kept": "1"}} if method == "PUT" else {})
        )
    return scopes


def original(route: BaseRoute, scope: dict[str, Any]) -> tuple[Match, dict[str, Any]]:
    return type(route).matches(route, dict(scope))


@pytest.fixture(scope="module", params=sorted(APPS))
def service_routes(request: pytest.FixtureRequest) -> list[BaseRoute]:
    app: FastAPI = APPS[request.param]()
    assert check_route_prefixes(app.router.routes) == len(app.router.routes)
    return list(app.router.routes)


def test_every_service_route_answers_as_before(service_routes: list[BaseRoute]) -> None:
    every_path = sorted({p for r in service_routes for p in paths_near(getattr(r, "path", "/"))})
    compared = 0
    for route in service_routes:
        for path in every_path:
            for scope in scopes_for(path):
                assert route.matches(dict(scope)) == original(route, scope), (route, scope)
                compared += 1
    assert compared > 10_000


def test_the_matched_route_is_found_by_the_same_walk(service_routes: list[BaseRoute]) -> None:
    """Which route takes a request (the first full match, else the first partial one)."""

    def chosen(scope: dict[str, Any], ask: Any) -> tuple[int, Match] | None:
        partial = None
        for n, route in enumerate(service_routes):
            match, _ = ask(route, scope)
            if match is Match.FULL:
                return n, match
            if match is Match.PARTIAL and partial is None:
                partial = (n, match)
        return partial

    for route in service_routes:
        for path in paths_near(getattr(route, "path", "/")):
            for method in METHODS:
                scope = {"type": "http", "path": path, "root_path": "", "method": method}
                assert chosen(scope, lambda r, s: r.matches(dict(s))) == chosen(scope, original)


def test_a_route_is_checked_once() -> None:
    route = Route("/v1/things/{id}", lambda request: None)
    assert check_route_prefixes([route]) == 1
    checked = route.matches
    assert check_route_prefixes([route]) == 1
    assert route.matches is checked


def test_routes_whose_prefix_is_not_known_are_asked_as_before() -> None:
    class OwnRoute(Route):
        def matches(self, scope: Any) -> tuple[Match, dict[str, Any]]:
            return Match.FULL, {}

    own_matches = Route("/v1/b", lambda request: None)
    own_matches.matches = lambda scope: (Match.FULL, {})  # type: ignore[method-assign]
    untouched = [
        OwnRoute("/v1/a", lambda request: None),
        own_matches,
        Host("example.org", app=lambda scope, receive, send: None),
        Mount("", routes=[]),
    ]
    assert [literal_prefix(route) for route in untouched] == [None] * len(untouched)
    assert check_route_prefixes(untouched) == 0
    assert untouched[0].matches({"type": "http", "path": "/elsewhere"})[0] is Match.FULL
    assert literal_prefix(Route("/{everything:path}", lambda request: None)) == "/"


def app_with_routes() -> FastAPI:
    app = FastAPI(redirect_slashes=True)
    router = APIRouter(prefix="/v1/things")

    @router.get("/{thing_id}")
    async def one(thing_id: int) -> dict[str, int]:
        return {"id": thing_id}

    @router.post("")
    async def create() -> dict[str, str]:
        return {"made": "yes"}

    @router.get("/")
    async def listed() -> list[int]:
        return [1]

    @app.get("/v1/other/")
    async def other() -> dict[str, str]:
        return {"other": "yes"}

    @app.get("/v1/things-like")
    async def like() -> dict[str, str]:
        return {"like": "yes"}

    app.include_router(router)
    inner = FastAPI()

    @inner.get("/ping")
    async def ping() -> dict[str, str]:
        return {"pong": "yes"}

    app.mount("/inner", inner)
    return app


REQUESTS = [
    ("GET", "/v1/things/7"),
    ("GET", "/v1/things/seven"),  # 422
    ("DELETE", "/v1/things/7"),  # 405
    ("POST", "/v1/things"),
    ("GET", "/v1/things"),  # 405: the POST route matches the path
    ("GET", "/v1/things/"),
    ("GET", "/v1/other"),  # redirected to the slash
    ("GET", "/v1/things-like"),
    ("GET", "/v1/things-like/"),  # redirected without the slash
    ("GET", "/inner/ping"),
    ("GET", "/inner"),
    ("GET", "/nowhere"),
    ("GET", "/"),
]


async def answers(app: FastAPI, root_path: str = "") -> list[tuple[int, dict[str, str], bytes]]:
    transport = httpx.ASGITransport(app=app, root_path=root_path)
    found = []
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for method, path in REQUESTS:
            answer = await client.request(method, root_path + path)
            found.append((answer.status_code, dict(answer.headers), answer.content))
    return found


@pytest.mark.parametrize("root_path", ["", "/api"])
async def test_an_app_answers_as_before(root_path: str) -> None:
    before = await answers(app_with_routes(), root_path)
    checked = app_with_routes()
    assert check_route_prefixes(checked.router.routes) == len(checked.router.routes)
    assert await answers(checked, root_path) == before
    assert {status for status, _, _ in before} >= {200, 307, 404, 405, 422}
