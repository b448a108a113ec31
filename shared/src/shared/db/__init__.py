"""Database access shared by the services: asyncpg pools with codecs, and migrations."""

from shared.db.migrate import migrate
from shared.db.pool import create_pool, json_dumps

__all__ = ["create_pool", "json_dumps", "migrate"]
