"""The caller is verified before its input is judged, and a single-valued query parameter is
taken once: on a small app wired as ``create_service_app`` wires a service (no I/O)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import Depends, FastAPI, Query
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.auth import CurrentPrincipal, TokenVerifier, generate_dev_keypair, install_auth
from shared.auth.tokens import mint_token
from shared.http.problems import install_problem_handlers
from shared.service.caller_first import install_caller_first
from shared.service.query_values import single_query_values

PRIVATE, PUBLIC = generate_dev_keypair()
OTHER_PRIVATE, _ = generate_dev_keypair()


class Thing(BaseModel):
    name: str


def _app() -> FastAPI:
    app = FastAPI(dependencies=[Depends(single_query_values)])
    install_problem_handlers(app)
    install_auth(
        app, TokenVerifier(public_key_pem=PUBLIC, issuer="ecom-local", audience="ecom-api")
    )
    install_caller_first(app)

    @app.post("/v1/things")
    async def create(body: Thing, principal: CurrentPrincipal) -> dict[str, str]:
        return {"name": body.name}

    @app.get("/v1/things")
    async def listed(
        principal: CurrentPrincipal,
        status: str | None = None,
        tag: list[str] = Query(default=[]),
    ) -> dict[str, Any]:
        return {"status": status, "tag": tag}

    @app.get(
        "/v1/filtered",
        openapi_extra={
            "parameters": [
                {"name": "platform", "in": "query", "schema": {"type": "string"}},
                {"name": "kinds", "in": "query", "schema": {"type": "array"}},
            ]
        },
    )
    async def filtered(principal: CurrentPrincipal) -> dict[str, str]:
        return {}

    @app.get("/public")
    async def public(page: int = 1) -> dict[str, int]:
        return {"page": page}

    return app


CLIENT = TestClient(_app(), raise_server_exceptions=False)


def bearer(key: str = PRIVATE) -> dict[str, str]:
    token = mint_token(
        private_key_pem=key, subject="s", roles=["province_admin"], region_code="520000"
    )
    return {"Authorization": f"Bearer {token}"}


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


@pytest.mark.parametrize("body", [b"{", "名".encode("gbk"), b"[" * 5000], ids=str)
@pytest.mark.parametrize("headers", [{}, bearer(OTHER_PRIVATE)], ids=["no_token", "other_key"])
def test_without_a_valid_token_a_body_that_cannot_be_read_is_401(
    body: bytes, headers: dict[str, str]
) -> None:
    response = CLIENT.post(
        "/v1/things", content=body, headers={**headers, "Content-Type": "application/json"}
    )
    _problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


def test_with_a_valid_token_the_body_is_judged_as_before() -> None:
    json_headers = {**bearer(), "Content-Type": "application/json"}
    _problem(
        CLIENT.post("/v1/things", content=b"{", headers=json_headers), 422, "validation_failed"
    )
    not_utf8 = "名".encode("gbk")
    _problem(CLIENT.post("/v1/things", content=not_utf8, headers=json_headers), 400, "bad_request")
    assert CLIENT.post("/v1/things", json={"name": "x"}, headers=bearer()).status_code == 200


def test_a_single_valued_parameter_sent_twice_is_a_400_naming_it() -> None:
    response = CLIENT.get("/v1/things?status=active&status=closed&tag=a", headers=bearer())
    body = _problem(response, 400, "repeated_query_parameter")
    assert [error["field"] for error in body["errors"]] == ["query.status"]
    assert body["errors"][0]["type"] == "repeated_parameter"
    documented = CLIENT.get("/v1/filtered?platform=jd&platform=tmall", headers=bearer())
    assert _problem(documented, 400, "repeated_query_parameter")["errors"][0]["field"] == (
        "query.platform"
    )
    _problem(CLIENT.get("/public?page=1&page=2"), 400, "repeated_query_parameter")


def test_lists_unknown_parameters_and_single_values_keep_working() -> None:
    response = CLIENT.get("/v1/things?tag=a&tag=b&status=active&utm=1&utm=2", headers=bearer())
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "active", "tag": ["a", "b"]}
    assert CLIENT.get("/v1/filtered?kinds=a&kinds=b", headers=bearer()).status_code == 200
    assert CLIENT.get("/public?page=2").json() == {"page": 2}


def test_the_caller_is_verified_before_a_repeated_parameter_is_refused() -> None:
    _problem(CLIENT.get("/v1/things?status=a&status=b"), 401, "unauthorized")
