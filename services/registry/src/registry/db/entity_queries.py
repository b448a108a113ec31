"""SQL for the registry's record types, built from their specs when this module loads.

Table and column names come only from the specs in ``registry.domain.entities.definitions``
(never from callers); every value is a bind parameter. Each statement is named and kept per
record type (by the spec's ``name``); only an insert and an update, whose columns are those a
request sets, are composed per call, from the same spec.
"""

from __future__ import annotations

from collections.abc import Sequence

from registry.domain.entities.definitions import ALL_SPECS
from registry.domain.entities.spec import EntitySpec


def _by_id(spec: EntitySpec) -> str:
    return f"SELECT * FROM {spec.table} WHERE id = $1"


def _by_natural_key(spec: EntitySpec) -> str:
    conditions = " AND ".join(f"{column} = ${n}" for n, column in enumerate(spec.natural_key, 1))
    return f"SELECT * FROM {spec.table} WHERE {conditions}"


_CLOSED = "status = 'closed'"
_CLOSED_ON = "closed_on = $2"
_NEXT_VERSION = "version = version + 1, updated_at = now() WHERE id = $1 RETURNING *"


def _close(spec: EntitySpec, *assignments: str) -> str:
    return f"UPDATE {spec.table} SET {', '.join(assignments)}, {_NEXT_VERSION}"


# A record by its id; the locking read that an update or a close starts with.
BY_ID: dict[str, str] = {spec.name: _by_id(spec) for spec in ALL_SPECS}
BY_ID_FOR_UPDATE: dict[str, str] = {spec.name: f"{_by_id(spec)} FOR UPDATE" for spec in ALL_SPECS}
# A record by its unique natural key (credit code; platform and shop id), for a 409.
BY_NATURAL_KEY: dict[str, str] = {
    spec.name: _by_natural_key(spec) for spec in ALL_SPECS if spec.natural_key
}
# Closing: status only, or with the day it closed on ($2) for a table that keeps one (stores,
# parks; the locked row tells which).
CLOSE: dict[str, str] = {spec.name: _close(spec, _CLOSED) for spec in ALL_SPECS}
CLOSE_ON_DAY: dict[str, str] = {spec.name: _close(spec, _CLOSED, _CLOSED_ON) for spec in ALL_SPECS}

EXISTING_ENTERPRISES = "SELECT id FROM enterprises WHERE id = ANY($1::uuid[])"


def insert(spec: EntitySpec, columns: Sequence[str]) -> str:
    placeholders = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    return f"INSERT INTO {spec.table} ({', '.join(columns)}) VALUES ({placeholders}) RETURNING *"


def update(spec: EntitySpec, columns: Sequence[str]) -> str:
    assignments = ", ".join(f"{column} = ${n}" for n, column in enumerate(columns, 2))
    return f"UPDATE {spec.table} SET {assignments}, {_NEXT_VERSION}"


# A page of a record's changes, oldest first, after the change id ``$3`` (NULL: from the
# first). The id is the keyset: unique, and a record's changes are written one at a time under
# its row lock, so its ids grow in commit order and a client reading on while the record
# changes neither skips nor repeats a change.
HISTORY_PAGE = """
SELECT id, version, action, changed_by, changed_at, old_values, new_values
FROM entity_changes
WHERE entity_type = $1 AND entity_id = $2 AND ($3::bigint IS NULL OR id > $3)
ORDER BY id
LIMIT $4
"""
