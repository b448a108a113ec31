"""Migration 0005: evidence and accepted figures written as JSON text (a jsonb string, as the
code before it wrote them) become the objects the code now reads."""

from __future__ import annotations

import json
import uuid

import asyncpg

from awards.db import MIGRATIONS_DIR
from shared.programmes import Programme
from tests.integration.awards.test_designation_workflow import designation

MIGRATION = MIGRATIONS_DIR / "0005_standing_json_objects.sql"


async def test_json_text_rows_become_objects_and_objects_stay(
    awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    old, new = await designation(awards_pool, guizhou), await designation(awards_pool, guizhou)
    evidence = {"window_id": "w", "findings": [{"kind": "missing_report"}]}
    async with awards_pool.acquire() as connection:
        for designation_id, value in ((old, json.dumps(evidence)), (new, evidence)):
            await connection.execute(
                "INSERT INTO designation_standing (designation_id, seq, year, standing, step, "
                "reason, evidence, decided_by, decided_at) "
                "VALUES ($1, 1, 2027, 'warning', 'warned', 'r', $2, 'awards', now())",
                uuid.UUID(designation_id),
                value,
            )
            await connection.execute(
                "INSERT INTO annual_reports (designation_id, window_id, year, report_id, "
                "accepted_version, accepted_figures) VALUES ($1, 'w', 2027, 'r', 1, $2)",
                designation_id,
                json.dumps({"monthly_live_gmv": "2e7"}) if designation_id == old else {"a": "1"},
            )
        before = await connection.fetchval(
            "SELECT jsonb_typeof(evidence) FROM designation_standing WHERE designation_id = $1",
            uuid.UUID(old),
        )
        await connection.execute(MIGRATION.read_text(encoding="utf-8"))
        rows = await connection.fetch(
            "SELECT s.designation_id::text AS id, s.evidence, r.accepted_figures "
            "FROM designation_standing s JOIN annual_reports r "
            "ON r.designation_id = s.designation_id::text WHERE r.designation_id = ANY($1)",
            [old, new],
        )
    assert before == "string"
    found = {row["id"]: (row["evidence"], row["accepted_figures"]) for row in rows}
    assert found == {
        old: (evidence, {"monthly_live_gmv": "2e7"}),
        new: (evidence, {"a": "1"}),
    }
