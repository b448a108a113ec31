"""A CSV export answers errors instead of dropping the connection: what the database refuses is
a problem document before the stream starts; a failure mid-stream is logged and ends the file
with a row saying it is incomplete."""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import secrets
from collections.abc import Callable

import asyncpg
import pytest
from fastapi.testclient import TestClient

from registry.api.routes.exports import INTERRUPTED
from tests.integration.registry.test_records_api import enterprise

Auth = Callable[..., dict[str, str]]


def test_a_filter_the_database_refuses_is_a_problem_before_the_stream(
    registry_api: TestClient, auth: Auth
) -> None:
    response = registry_api.get("/v1/exports/stores.csv", params={"q": "店\x00"}, headers=auth())
    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_failure_mid_stream_is_logged_and_ends_the_file_visibly(
    registry_api: TestClient, auth: Auth, registry_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    tag = secrets.token_hex(3)
    good = enterprise(registry_api, auth, name=f"导出{tag}甲")
    broken = enterprise(registry_api, auth, name=f"导出{tag}甲乙")  # listed after the shorter

    async def corrupt() -> None:  # a row the public schema cannot read: kinds holding a null
        connection = await asyncpg.connect(registry_db)
        try:
            await connection.execute(
                "UPDATE enterprises SET kinds = ARRAY[NULL]::text[] WHERE id = $1", broken["id"]
            )
        finally:
            await connection.close()

    asyncio.run(corrupt())
    with caplog.at_level(logging.ERROR, logger="registry.api.routes.exports"):
        response = registry_api.get(
            "/v1/exports/enterprises.csv", params={"q": f"导出{tag}"}, headers=auth()
        )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert good["name"] in rows[1]
    assert rows[-1] == [INTERRUPTED]
    assert any("export interrupted" in record.getMessage() for record in caplog.records)
