"""The problem catalogue: unique codes, every raise site names a catalogued kind, the docs
table is the catalogue's, and answers come in Chinese unless English is asked for."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import asyncpg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.http import catalogue
from shared.http.catalogue.markdown import BEGIN, END, problem_table
from shared.http.problem_types import CATALOGUE, TYPE_PREFIX, Catalogue, ProblemType
from shared.http.problems import ProblemError, install_problem_handlers
from shared.i18n import language_of, t
from submissions.api.errors import INVALID, KIND_OF

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [*ROOT.glob("shared/src/**/*.py"), *ROOT.glob("services/*/src/**/*.py")]


def test_codes_are_unique_snake_case_and_types_are_their_urns() -> None:
    codes = CATALOGUE.codes()
    assert len(codes) == len(set(codes)) and len(codes) > 40
    for kind in CATALOGUE:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", kind.code)
        assert kind.type == TYPE_PREFIX + kind.code
        assert kind.title.zh and kind.title.en and kind.meaning and kind.client_action
        assert 400 <= kind.status <= 599


def test_a_code_registers_once() -> None:
    register = Catalogue()
    register.add("twice", 409, "两次", "Twice", meaning="m", client_action="a")
    with pytest.raises(ValueError):
        register.add("twice", 409, "两次", "Twice", meaning="m", client_action="a")


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) == name or getattr(node.func, "attr", None) == name)
    ]


def test_every_raise_site_names_a_catalogued_kind() -> None:
    unnamed: list[str] = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(), str(path))
        for call in _calls(tree, "ProblemError"):
            words = {keyword.arg for keyword in call.keywords}
            if not call.args or isinstance(call.args[0], ast.Constant) or words & {"title", "type"}:
                unnamed.append(f"{path.relative_to(ROOT)}:{call.lineno}")
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "catalogue"
                and node.attr.isupper()
                and node.attr != "CATALOGUE"
            ):
                kind = getattr(catalogue, node.attr, None)
                if not isinstance(kind, ProblemType) or kind not in CATALOGUE:
                    unnamed.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.attr}")
    assert unnamed == []


def test_every_submissions_refusal_has_a_kind() -> None:
    codes: set[str] = set()
    for path in ROOT.glob("services/submissions/src/**/*.py"):
        for call in _calls(ast.parse(path.read_text()), "Refused"):
            if call.args and isinstance(call.args[0], ast.Constant):
                codes.add(call.args[0].value)
    handled = set(KIND_OF) | set(INVALID) | {"forbidden", "out_of_scope", "invalid_period"}
    assert codes and codes - handled == set()


def test_the_docs_table_is_the_catalogue() -> None:
    text = (ROOT / "docs" / "problems.md").read_text()
    table = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert table == problem_table(), "regenerate docs/problems.md from problem_table()"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "zh-CN"),
        ("", "zh-CN"),
        ("en", "en"),
        ("en-US,en;q=0.9", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
        ("fr, en;q=0.5", "en"),
        ("en;q=0.4, zh;q=0.6", "zh-CN"),
        ("en;q=0", "zh-CN"),
        ("de", "zh-CN"),
    ],
)
def test_the_language_is_chinese_unless_english_is_preferred(
    header: str | None, language: str
) -> None:
    assert language_of(header) == language


class Thing(BaseModel):
    count: int


def _client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/windows")
    async def locked(thing: Thing) -> None:
        raise ProblemError(
            catalogue.WINDOW_LOCKED, t("2025 年窗口已锁定", "the 2025 window locked")
        )

    return TestClient(app)


def test_a_refusal_answers_its_type_and_code_in_chinese_by_default() -> None:
    response = _client().post("/windows", json={"count": 1})
    assert response.status_code == 409
    assert response.headers["content-language"] == "zh-CN"
    body = response.json()
    assert body["type"] == "urn:ecommerce-programmes:problem:window_locked"
    assert body["code"] == "window_locked"
    assert (body["title"], body["detail"]) == ("填报窗口已锁定", "2025 年窗口已锁定")


def test_english_on_accept_language_en() -> None:
    response = _client().post("/windows", json={"count": 1}, headers={"Accept-Language": "en"})
    body = response.json()
    assert response.headers["content-language"] == "en"
    assert (body["code"], body["title"], body["detail"]) == (
        "window_locked",
        "Window locked",
        "the 2025 window locked",
    )


def test_validation_failures_keep_their_shape_and_never_echo_the_input() -> None:
    response = _client().post("/windows", json={"count": "secret-13800138000"})
    body = response.json()
    assert response.status_code == 422 and body["code"] == "validation_failed"
    assert body["errors"] == [
        {"field": "body.count", "message": "Input should be a valid integer, unable to parse "
         "string as an integer", "type": "int_parsing"}
    ]  # fmt: skip
    assert "13800138000" not in response.text


def test_every_ledger_refusal_is_a_catalogued_kind() -> None:
    from awards.handlers.rewards import (  # noqa: F401  (their subclasses)
        ledger,
        proposals,
        recovery,
        remainder,
    )

    def subclasses(cls: type) -> list[type]:
        return [cls, *(s for sub in cls.__subclasses__() for s in subclasses(sub))]

    for refusal in subclasses(ledger.LedgerRefusal):
        assert refusal.kind in CATALOGUE, refusal  # type: ignore[attr-defined]
        assert "title" not in vars(refusal) and "status" not in vars(refusal), refusal


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError("the database is restarting"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed"),
    ],
)
def test_the_database_being_away_is_a_503_to_retry_not_an_internal_error(
    error: Exception,
) -> None:
    """A restart or fail-over of PostgreSQL is the environment's, not a bug: the client is told
    to retry (with the same Idempotency-Key, which nothing claimed since nothing committed)."""
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/thing")
    async def thing() -> None:
        raise error

    response = TestClient(app, raise_server_exceptions=False).get("/thing")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "service_unavailable"
    assert int(response.headers["retry-after"]) > 0
