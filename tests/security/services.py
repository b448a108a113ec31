"""The services the security regression suite runs against. A service joins by adding one
``ServiceUnderTest`` factory to ``SERVICES``: how to build its app on a migrated database, a
scoped list any regional caller may read, and (if it has one) a POST a caller may repeat."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI


@dataclass(frozen=True, kw_only=True)
class PostCase:
    path: str
    body: Callable[[], dict[str, Any]]  # a fresh body that succeeds for the writer
    writer: dict[str, Any]  # token claims of a caller allowed to post it


@dataclass(frozen=True, kw_only=True)
class ServiceUnderTest:
    name: str
    migrations_dir: Path
    create_app: Callable[[dict[str, Any]], FastAPI]  # from settings values
    read_path: str  # a list scoped by the caller's region
    # Whether the service checks region codes against GB/T 2260 (then an unknown region in a
    # token is refused with 403); otherwise it must at least show nothing and not fail.
    knows_regions: bool = False
    post: PostCase | None = None
    prepare_database: Callable[[str], Any] | None = field(default=None)  # async (dsn) -> None


def _registry() -> ServiceUnderTest:
    from registry.api.app import create_app
    from registry.config import RegistrySettings
    from registry.data.regions import load_country_regions
    from registry.db import MIGRATIONS_DIR
    from registry.db.regions import sync_regions
    from registry.domain.credit_code import check_character

    def enterprise() -> dict[str, Any]:
        first17 = "91520102" + "".join(secrets.choice("0123456789") for _ in range(9))
        return {
            "credit_code": first17 + check_character(first17),
            "name": "贵阳黔货电子商务有限公司",
            "region_code": "520102",
        }

    async def regions(dsn: str) -> None:
        await sync_regions(dsn, load_country_regions())

    return ServiceUnderTest(
        name="registry",
        migrations_dir=MIGRATIONS_DIR,
        create_app=lambda values: create_app(RegistrySettings(**values)),
        read_path="/v1/enterprises",
        knows_regions=True,
        post=PostCase(
            path="/v1/enterprises",
            body=enterprise,
            writer={"roles": ["province_admin"], "region_code": "520000"},
        ),
        prepare_database=regions,
    )


def _notifications() -> ServiceUnderTest:
    from notifications.api.app import create_app
    from notifications.config import NotificationsSettings
    from notifications.db import MIGRATIONS_DIR

    return ServiceUnderTest(
        name="notifications",
        migrations_dir=MIGRATIONS_DIR,
        create_app=lambda values: create_app(NotificationsSettings(**values)),
        read_path="/v1/deliveries",
        post=PostCase(
            path="/v1/recipients",
            body=lambda: {
                "region_code": "520100",
                "role": "city_bureau",
                "name": "贵阳市商务局",
                "channel": "email",
                "address": f"gy-{secrets.token_hex(4)}@example.gov.cn",
            },
            writer={"roles": ["province_admin"], "region_code": "520000"},
        ),
    )


SUBMISSIONS_WINDOW = "guizhou-shibaiqianwan-2023.annual-report.2025"
SUBMISSIONS_SEED = """
INSERT INTO windows (id, programme_id, window_slug, year, status, opens_at, due_at, grace_until,
                     locks_at, opened_at, opened_by)
VALUES ($1, 'guizhou-shibaiqianwan-2023', 'annual-report', 2025, 'open',
        '2025-11-01T00:00+08', '2025-12-11T00:00+08', '2025-12-18T00:00+08',
        '2026-01-01T00:00+08', '2025-11-01T00:00+08', 'seed');
INSERT INTO roster_entries (window_id, designation_id, entity_type, entity_id, category,
                            region_code, city_code, county_code, due_at, expected_from)
VALUES ($1, 'D1', 'enterprise', 'E-D1', 'enterprise', '520102', '520100', '520102',
        '2025-12-11T00:00+08', '2025-11-01T00:00+08');
"""


def _submissions() -> ServiceUnderTest:
    import asyncpg

    from submissions.api.app import create_app
    from submissions.config import SubmissionsSettings
    from submissions.db import MIGRATIONS_DIR

    async def seed(dsn: str) -> None:
        connection = await asyncpg.connect(dsn)
        try:
            for statement in SUBMISSIONS_SEED.split(";")[:2]:
                await connection.execute(statement, SUBMISSIONS_WINDOW)
        finally:
            await connection.close()

    return ServiceUnderTest(
        name="submissions",
        migrations_dir=MIGRATIONS_DIR,
        create_app=lambda values: create_app(SubmissionsSettings(**values)),
        read_path=f"/v1/windows/{SUBMISSIONS_WINDOW}/reports",
        post=PostCase(
            path=f"/v1/windows/{SUBMISSIONS_WINDOW}/extensions",
            body=lambda: {"designation_id": "D1", "reason": f"需要延期 {secrets.token_hex(4)}"},
            writer={"roles": ["city_bureau"], "region_code": "520100"},
        ),
        prepare_database=seed,
    )


def _awards() -> ServiceUnderTest:
    from awards.api.app import create_app
    from awards.config import AwardsSettings
    from awards.db import MIGRATIONS_DIR

    def credit_record() -> dict[str, Any]:
        return {
            "record_id": f"cr-{secrets.token_hex(6)}",
            "entity_id": f"ent-{secrets.token_hex(6)}",
            "kind": "abnormal_operation",
            "valid_from": "2026-01-01",
            "source_document": "信用中国",
        }

    return ServiceUnderTest(
        name="awards",
        migrations_dir=MIGRATIONS_DIR,
        create_app=lambda values: create_app(AwardsSettings(**values)),
        read_path="/v1/designations",
        post=PostCase(
            path="/v1/credit-records",
            body=credit_record,
            writer={"roles": ["integrator"], "grants": ["write"]},
        ),
    )


SERVICES: dict[str, Callable[[], ServiceUnderTest]] = {
    "registry": _registry,
    "notifications": _notifications,
    "awards": _awards,
    "submissions": _submissions,
}
