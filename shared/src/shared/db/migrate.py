"""Migrations with yoyo-migrations: plain SQL files, applied in order, recorded in the database.

Every service applies the common migrations of this package (outbox, inbox, idempotency keys)
and then its own, each to its own database.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from yoyo import get_backend, read_migrations


def _yoyo_url(database_url: str) -> str:
    # yoyo talks to PostgreSQL through psycopg 3, named in the URL scheme.
    for scheme in ("postgresql://", "postgres://"):
        if database_url.startswith(scheme):
            return "postgresql+psycopg://" + database_url[len(scheme) :]
    return database_url


def common_migrations_dir() -> Path:
    return Path(str(resources.files("shared.db") / "migrations"))


def migrate(database_url: str, service_migrations_dir: Path) -> list[str]:
    """Apply pending migrations; return the ids applied (empty when up to date)."""
    backend = get_backend(_yoyo_url(database_url))
    migrations = read_migrations(str(common_migrations_dir()), str(service_migrations_dir))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [m.id for m in pending]
