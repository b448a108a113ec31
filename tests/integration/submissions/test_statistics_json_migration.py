"""Migration 0006: statistics figures and review comments written as JSON text (a jsonb string,
as the code before it wrote them) become the objects the code now writes and reads; a fresh
write stores objects."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from shared.db.pool import connect
from submissions.db import MIGRATIONS_DIR
from tests.integration.submissions.conftest import Clock, cst

MIGRATION = MIGRATIONS_DIR / "0006_statistics_json_objects.sql"
QINGHAI = "qinghai-2024-2026"
DATONG, XINING = "630121", "630100"


def _run(submissions_db: str, work: Callable[[Any], Any]) -> Any:
    async def run() -> Any:
        connection = await connect(submissions_db)
        try:
            return await work(connection)
        finally:
            await connection.close()

    return asyncio.run(run())


def test_json_text_rows_become_objects_and_objects_stay(submissions_db: str) -> None:
    figures = {"online_retail_sales": "100.50", "live_sessions": "4"}
    comments = {"live_sessions": "场次与平台数据不符"}

    async def work(connection: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for name, old in (("old", True), ("new", False)):
            report_id = uuid.uuid4()
            await connection.execute(
                "INSERT INTO statistics_reports (id, programme_id, period, reporter_id, "
                "reporter_kind, region_code, city_code, state) "
                "VALUES ($1, $2, '2024-12', $3, 'county', $4, $5, 'returned_to_reporter')",
                report_id,
                QINGHAI,
                f"json-{name}-{report_id.hex[:8]}",
                DATONG,
                XINING,
            )
            # The old code passed JSON text to the pool's jsonb codec, which encoded it again.
            await connection.execute(
                "INSERT INTO statistics_versions (report_id, number, submitted_at, submitted_by, "
                "submitted_role, on_behalf, figures) VALUES ($1, 1, now(), 'u', 'reporter', "
                "false, $2::jsonb)",
                report_id,
                json.dumps(figures) if old else figures,
            )
            await connection.execute(
                "INSERT INTO statistics_steps (report_id, action, actor, actor_role, at, "
                "from_state, to_state, version, reason, field_comments) VALUES ($1, "
                "'city_return', 'u', 'city_bureau', now(), 'submitted', 'returned_to_reporter', "
                "1, 'r', $2::jsonb)",
                report_id,
                json.dumps(comments) if old else comments,
            )
            found[name] = report_id
        found["before"] = await connection.fetchrow(
            "SELECT jsonb_typeof(v.figures) AS figures, jsonb_typeof(s.field_comments) AS comments "
            "FROM statistics_versions v JOIN statistics_steps s ON s.report_id = v.report_id "
            "WHERE v.report_id = $1",
            found["old"],
        )
        async with connection.transaction():
            await connection.execute(MIGRATION.read_text(encoding="utf-8"))
        rows = await connection.fetch(
            "SELECT v.report_id, v.figures, s.field_comments, jsonb_typeof(v.figures) AS kind "
            "FROM statistics_versions v JOIN statistics_steps s ON s.report_id = v.report_id "
            "WHERE v.report_id = ANY($1::uuid[])",
            [found["old"], found["new"]],
        )
        found["after"] = {row["report_id"]: row for row in rows}
        return found

    found = _run(submissions_db, work)
    assert dict(found["before"]) == {"figures": "string", "comments": "string"}
    for name in ("old", "new"):
        row = found["after"][found[name]]
        assert (row["figures"], row["field_comments"], row["kind"]) == (
            figures,
            comments,
            "object",
        )


def test_a_fresh_statistics_write_stores_json_objects(
    api: TestClient, clock: Clock, auth: Callable[..., dict[str, str]], submissions_db: str
) -> None:
    clock.now = cst(2025, 2, 5, 9)
    url = f"/v1/statistics/reports/{QINGHAI}/2025-01/{DATONG}"
    submitted = api.post(
        f"{url}/versions",
        json={
            "reporter_kind": "county",
            "region_code": DATONG,
            "figures": {"online_retail_sales": "100.50"},
        },
        headers=auth("county_bureau", DATONG),
    )
    assert submitted.status_code == 201, submitted.text
    returned = api.post(
        f"{url}/city-review",
        json={
            "decision": "return",
            "reason": "请核对",
            "field_comments": {"online_retail_sales": "请核对"},
        },
        headers=auth("city_bureau", XINING),
    )
    assert returned.status_code == 200, returned.text

    async def work(connection: Any) -> list[Any]:
        return list(
            await connection.fetch(
                "SELECT jsonb_typeof(figures) AS kind FROM statistics_versions v "
                "JOIN statistics_reports r ON r.id = v.report_id WHERE r.reporter_id = $1 "
                "UNION ALL SELECT jsonb_typeof(field_comments) FROM statistics_steps s "
                "JOIN statistics_reports r ON r.id = s.report_id WHERE r.reporter_id = $1",
                DATONG,
            )
        )

    kinds = [row["kind"] for row in _run(submissions_db, work)]
    assert kinds and set(kinds) == {"object"}
    seen = api.get(url, headers=auth("county_bureau", DATONG)).json()
    assert seen["figures"] == {"online_retail_sales": "100.50"}
    assert seen["steps"][-1]["field_comments"] == {"online_retail_sales": "请核对"}
