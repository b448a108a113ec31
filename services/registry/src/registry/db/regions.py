"""Keeps the ``regions`` table equal to the shipped GB/T 2260 data (run by ``migrate``)."""

from __future__ import annotations

import asyncpg

from registry.domain.regions import Region

UPSERT_REGION = """
INSERT INTO regions (code, name, level, parent_code, valid_from, valid_to, successor_code, statistical_only)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level,
    parent_code = EXCLUDED.parent_code, valid_from = EXCLUDED.valid_from,
    valid_to = EXCLUDED.valid_to, successor_code = EXCLUDED.successor_code,
    statistical_only = EXCLUDED.statistical_only
"""


async def sync_regions(dsn: str, regions: list[Region]) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.executemany(
                UPSERT_REGION,
                [
                    (
                        r.code,
                        r.name,
                        r.level.value,
                        r.parent_code,
                        r.valid_from,
                        r.valid_to,
                        r.successor_code,
                        r.statistical_only,
                    )
                    for r in regions
                ],
            )
    finally:
        await connection.close()
    return len(regions)
