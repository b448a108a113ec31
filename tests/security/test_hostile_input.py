"""Hostile input on every route of the four OpenAPI documents, on the matrix's seeded services:

* every free-text query filter given SQL, ``LIKE`` wildcards, tsquery syntax, backslashes,
  long or odd Unicode and bytes that are not UTF-8: never a 5xx, a 4xx is problem+json, and
  a list never shows more than the same filter with a value that matches nothing, unless the
  records shown really contain the value;
* every JSON body sent cut short, nested 100,000 deep, not in UTF-8, with a lone surrogate, a
  5,000-digit number, NaN, or as text/plain: refused with a 4xx problem+json, and nothing
  stored (the service's outbox and its audit trail's changes are as they were); without a
  valid token, each is a 401;
* every query parameter sent twice: a 400 problem+json naming it.

The registry's uploads (XLSX and CSV files) are in ``test_hostile_uploads``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import pytest
from fastapi.testclient import TestClient

from shared.auth.roles import Role
from tests.security.authz_matrix import (
    AUTH_FAILURES,
    Answer,
    Call,
    Operation,
    auth_failures,
    basic_failures,
    operations,
    send,
)
from tests.security.authz_running import Matrix, documents
from tests.security.authz_worlds.base import example

FILTER_VALUES = {
    "sql": "' OR 1=1 --",
    "quote": "'",
    "percent": "%",
    "underscore": "_",
    "wildcards": "%_%",
    "backslash": "\\",
    "tsquery": "a & !b | (c:*) <-> d",
    "long_unicode": "𠀀" * 2000,
    "family_emoji": "👩‍👩‍👧‍👦" * 20,
    "right_to_left": "\u202egpj.exe",
    "replacement": "\ufffd",
}
RAW_FILTER_VALUES = {  # sent as they are: not UTF-8 once percent-decoded
    "latin1": "%FF%FE",
    "overlong": "%C0%AF",
    "surrogate": "%ED%A0%80",
}
NO_MATCH = "zzmatrixnomatch"


def _text_filters(operation: Operation) -> list[str]:
    names = []
    for parameter in operation.parameters:
        schema = parameter.get("schema", {})
        options = schema.get("anyOf", [schema])
        plain = [
            o
            for o in options
            if o.get("type") == "string" and not {"enum", "pattern", "format", "const"} & set(o)
        ]
        if parameter["in"] == "query" and plain and parameter["name"] != "cursor":
            names.append(parameter["name"])
    return names


def _operations(*, bodies: bool) -> list[Operation]:
    found = []
    for name, document in documents().items():
        for operation in operations(name, document):
            if (
                bodies
                and operation.request_body
                and "application/json" in operation.request_body.get("content", {})
            ):
                found.append(operation)
            elif not bodies and operation.method == "GET" and _text_filters(operation):
                found.append(operation)
    return found


def _items(answer: Answer) -> list[Any] | None:
    if answer.status != 200 or "json" not in answer.content_type:
        return None
    body = json.loads(answer.text)
    return body.get("items") if isinstance(body, dict) else None


def _send_raw(
    client: TestClient, operation: Operation, call: Call, query: str, headers: dict[str, str]
) -> Answer:
    response = client.get(f"{call.url(operation.path)}?{query}", headers=headers)
    return Answer(
        response.status_code, response.headers.get("content-type", ""), response.text,
        response.headers,
    )  # fmt: skip


@pytest.mark.parametrize(
    "operation", _operations(bodies=False), ids=lambda op: f"{op.service} {op.key}"
)
def test_a_hostile_filter_is_refused_or_matches_only_what_contains_it(
    operation: Operation, matrix: Matrix
) -> None:
    world, client, _ = matrix.service(operation.service)
    failures = []
    for role in (Role.province_admin, Role.integrator):
        headers = matrix.tokens.bearer(world.claims(role))
        call = world.call(operation, role, "own")
        for name in _text_filters(operation):
            baseline = send(client, operation, _with(call, name, NO_MATCH), headers)
            nothing = {json.dumps(item, sort_keys=True) for item in _items(baseline) or []}
            for label, value in FILTER_VALUES.items():
                answer = send(client, operation, _with(call, name, value), headers)
                problems = basic_failures(operation, answer)
                shown = _items(answer) if _items(baseline) is not None else None
                for item in shown or []:
                    text = json.dumps(item, ensure_ascii=False)
                    if json.dumps(item, sort_keys=True) not in nothing and value not in text:
                        problems.append(f"shows a record without {value!r} in it: {text[:150]}")
                failures += [f"{role} {name}={label}: {problem}" for problem in problems]
            for label, raw in RAW_FILTER_VALUES.items():
                query = "&".join(
                    [f"{name}={raw}"] + [f"{k}={v}" for k, v in call.query.items() if k != name]
                )
                answer = _send_raw(client, operation, call, query, headers)
                failures += [
                    f"{role} {name}={label}: {p}" for p in basic_failures(operation, answer)
                ]
    assert not failures, f"{operation.service} {operation.key}:\n  " + "\n  ".join(failures)


def _with(call: Call, name: str, value: str) -> Call:
    return Call(
        path=call.path, query={**call.query, name: value}, json_body=call.json_body,
        content=call.content, headers=call.headers, target=call.target,
    )  # fmt: skip


def _first(body: Any, kinds: tuple[type, ...]) -> list[str | int] | None:
    """The path to the first value of these kinds in a JSON body."""
    if isinstance(body, dict):
        items: list[tuple[str | int, Any]] = list(body.items())
    elif isinstance(body, list):
        items = list(enumerate(body))
    else:
        return None
    for key, value in items:
        if isinstance(value, kinds) and not isinstance(value, bool):
            return [key]
        deeper = _first(value, kinds)
        if deeper is not None:
            return [key, *deeper]
    return None


def _replaced(body: Any, path: list[str | int], raw: str) -> bytes:
    """The body as JSON text with the value at ``path`` written as ``raw`` JSON."""
    marker = "\x01matrix\x01"
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = marker
    return json.dumps(body, ensure_ascii=False).replace(json.dumps(marker), raw).encode()


def hostile_bodies(valid: Any) -> dict[str, tuple[bytes, str]]:
    """Bodies a client should never get stored, each with its content type."""
    as_json = "application/json"
    text = json.dumps(valid, ensure_ascii=False)
    bodies = {
        "cut_short": (text.encode()[: max(1, len(text) // 2)], as_json),
        "nested_arrays": (b"[" * 100_000 + b"]" * 100_000, as_json),
        "nested_objects": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, as_json),
        "gbk": (text.encode("gb18030", "replace") + "\u4e2d文".encode("gbk"), as_json),
        "as_text_plain": (text.encode(), "text/plain"),
    }
    string = _first(json.loads(text), (str,))
    if string is not None:
        bodies["lone_surrogate"] = (_replaced(json.loads(text), string, '"\\ud800"'), as_json)
    number = _first(json.loads(text), (int, float))
    target = number or string
    if target is not None:
        bodies["5000_digits"] = (_replaced(json.loads(text), target, "9" * 5000), as_json)
        bodies["nan"] = (_replaced(json.loads(text), target, "NaN"), as_json)
    return bodies


def _stored(dsn: str) -> tuple[int, int]:
    async def count() -> tuple[int, int]:
        connection = await asyncpg.connect(dsn)
        try:
            outbox = await connection.fetchval("SELECT count(*) FROM outbox")
            changes = await connection.fetchval(
                "SELECT count(*) FROM audit_log WHERE kind = 'change'"
            )
            return int(outbox), int(changes)
        finally:
            await connection.close()

    return asyncio.run(count())


@pytest.mark.parametrize(
    "operation", _operations(bodies=True), ids=lambda op: f"{op.service} {op.key}"
)
def test_a_hostile_body_is_refused_and_stores_nothing(operation: Operation, matrix: Matrix) -> None:
    world, client, dsn = matrix.service(operation.service)
    role = Role.province_admin
    headers = matrix.tokens.bearer(world.claims(role))
    call = world.call(operation, role, "own")
    before, failures = _stored(dsn), []
    for label, (content, media) in hostile_bodies(call.json_body).items():
        response = client.request(
            operation.method,
            call.url(operation.path),
            params=call.query,
            content=content,
            headers={**call.headers, **headers, "Content-Type": media},
        )
        answer = Answer(
            response.status_code, response.headers.get("content-type", ""), response.text,
            response.headers,
        )  # fmt: skip
        problems = basic_failures(operation, answer)
        if not 400 <= answer.status < 500:
            problems.append(f"{answer.status}, not refused: {answer.text[:200]}")
        failures += [f"{label}: {problem}" for problem in problems]
    assert _stored(dsn) == before, "a refused body left events or audited changes behind"
    assert not failures, f"{operation.service} {operation.key}:\n  " + "\n  ".join(failures)


INJECTED_NAMES = (
    "'; DROP TABLE enterprises; --",
    "黔货') OR ('1'='1",
    "100%_折扣\\店",
    "\u202e司公限有商电",
    "𠀀𠀁𠀂电商",
)


def test_injection_in_names_is_stored_and_found_as_it_is(matrix: Matrix) -> None:
    """SQL, LIKE wildcards, backslashes, bidi controls and characters beyond the BMP in a name:
    stored as they are, read back as they are, and found by searching for them."""
    from tests.security.authz_worlds.registry import credit_code

    world, client, _ = matrix.service("registry")
    headers = matrix.tokens.bearer(world.claims(Role.province_admin))
    for name in INJECTED_NAMES:
        body = {"credit_code": credit_code(), "name": name, "region_code": "520102"}
        created = client.post("/v1/enterprises", json=body, headers=headers)
        assert created.status_code == 201, created.text
        record = created.json()["id"]
        read = client.get(f"/v1/enterprises/{record}", headers=headers)
        assert read.status_code == 200 and read.json()["name"] == name
        found = client.get("/v1/enterprises", params={"q": name, "limit": 500}, headers=headers)
        assert found.status_code == 200, found.text
        assert record in {item["id"] for item in found.json()["items"]}, name


@pytest.mark.parametrize(
    "operation",
    [operation for operation in _operations(bodies=True) if operation.bearer],
    ids=lambda op: f"{op.service} {op.key}",
)
def test_without_a_valid_token_a_hostile_body_is_401(operation: Operation, matrix: Matrix) -> None:
    """Who calls comes first: no token, an expired one or another key's is a 401 whatever the
    body is, including one that cannot be read as JSON (``shared.service.caller_first``)."""
    world, client, dsn = matrix.service(operation.service)
    call = world.call(operation, Role.province_admin, "own")
    before, failures = _stored(dsn), []
    for kind in AUTH_FAILURES:
        headers = matrix.tokens.failure(kind, world.claims(Role.province_admin))
        for label, (content, media) in hostile_bodies(call.json_body).items():
            response = client.request(
                operation.method,
                call.url(operation.path),
                params=call.query,
                content=content,
                headers={**call.headers, **headers, "Content-Type": media},
            )
            answer = Answer(
                response.status_code, response.headers.get("content-type", ""), response.text,
                response.headers,
            )  # fmt: skip
            failures += [
                f"{label}: {problem}" for problem in auth_failures(operation, kind, answer)
            ]
    assert _stored(dsn) == before, "a request without a valid token left something behind"
    assert not failures, f"{operation.service} {operation.key}:\n  " + "\n  ".join(failures)


def _with_query_parameters() -> list[Operation]:
    return [
        operation
        for name, document in documents().items()
        for operation in operations(name, document)
        if any(parameter["in"] == "query" for parameter in operation.parameters)
    ]


@pytest.mark.parametrize(
    "operation", _with_query_parameters(), ids=lambda op: f"{op.service} {op.key}"
)
def test_a_query_parameter_sent_twice_is_refused_naming_it(
    operation: Operation, matrix: Matrix
) -> None:
    """No document has a list parameter: each query parameter, sent twice with a value it
    takes, is a 400 problem+json naming it (never its last value taken), and nothing is
    stored (``shared.service.query_values``)."""
    world, client, dsn = matrix.service(operation.service)
    role = Role.province_admin
    headers = matrix.tokens.bearer(world.claims(role)) if operation.bearer else {}
    call = world.call(operation, role, "own")
    before, failures = _stored(dsn), []
    for parameter in operation.parameters:
        if parameter["in"] != "query":
            continue
        name = parameter["name"]
        value = call.query.get(name)
        if value is None:
            value = example(parameter.get("schema", {}), name, "own")
        others = [(key, item) for key, item in call.query.items() if key != name]
        response = client.request(
            operation.method,
            call.url(operation.path),
            params=[*others, (name, value), (name, value)],
            json=call.json_body if call.content is None else None,
            content=call.content,
            headers={**call.headers, **headers},
        )
        named = (
            [error.get("field") for error in response.json().get("errors", [])]
            if response.headers.get("content-type", "").startswith("application/problem+json")
            else None
        )
        if response.status_code != 400 or named != [f"query.{name}"]:
            failures.append(f"{name} twice: {response.status_code} {response.text[:200]}")
    assert _stored(dsn) == before, "a refused request left events or audited changes behind"
    assert not failures, f"{operation.service} {operation.key}:\n  " + "\n  ".join(failures)
