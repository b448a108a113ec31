"""SQL for the registry's record types, built from their specs.

Table and column names come only from the specs in ``registry.entities.definitions`` (never
from callers); every value is a bind parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from registry.entities.spec import EntitySpec


def insert(spec: EntitySpec, columns: Sequence[str]) -> str:
    placeholders = ", ".join(f"${n}" for n in range(1, len(columns) + 1))
    return f"INSERT INTO {spec.table} ({', '.join(columns)}) VALUES ({placeholders}) RETURNING *"


def by_id(spec: EntitySpec, *, for_update: bool = False) -> str:
    return f"SELECT * FROM {spec.table} WHERE id = $1" + (" FOR UPDATE" if for_update else "")


def by_natural_key(spec: EntitySpec) -> str:
    conditions = " AND ".join(f"{column} = ${n}" for n, column in enumerate(spec.natural_key, 1))
    return f"SELECT id, name FROM {spec.table} WHERE {conditions}"


def update(spec: EntitySpec, columns: Sequence[str]) -> str:
    assignments = ", ".join(f"{column} = ${n}" for n, column in enumerate(columns, 2))
    return (
        f"UPDATE {spec.table} SET {assignments}, version = version + 1, updated_at = now() "
        "WHERE id = $1 RETURNING *"
    )


def close(spec: EntitySpec, *, has_closed_on: bool) -> str:
    closed_on = ", closed_on = $2" if has_closed_on else ""
    return (
        f"UPDATE {spec.table} SET status = 'closed'{closed_on}, version = version + 1, "
        "updated_at = now() WHERE id = $1 RETURNING *"
    )


def existing_enterprises() -> str:
    return "SELECT id FROM enterprises WHERE id = ANY($1::uuid[])"


HISTORY = """
SELECT version, action, changed_by, changed_at, old_values, new_values
FROM entity_changes WHERE entity_type = $1 AND entity_id = $2 ORDER BY id
"""


@dataclass
class ListQuery:
    """A list or search over one record type; ``sql()`` renders it with its parameters."""

    spec: EntitySpec
    conditions: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    search: str | None = None

    def bind(self, value: Any) -> str:
        self.params.append(value)
        return f"${len(self.params)}"

    def where(self, condition: str) -> None:
        self.conditions.append(condition)

    def sql(self, *, limit: int, offset: int = 0, after: tuple[Any, Any] | None = None) -> str:
        conditions = list(self.conditions)
        if self.search is not None:
            term = self.bind(self.search)
            pattern = self.bind(f"%{_escape_like(self.search)}%")
            # Substring matches and close (word-similar) names; the best-matching part of a
            # name counts most, then the whole-name similarity, then the shorter name.
            conditions.append(f"(name ILIKE {pattern} OR {term} <% name)")
            order = (
                f"word_similarity({term}, name) DESC, similarity(name, {term}) DESC, "
                "length(name), id"
            )
        else:
            if after is not None:
                created_at, last_id = self.bind(after[0]), self.bind(after[1])
                conditions.append(
                    f"(created_at, id) < ({created_at}::timestamptz, {last_id}::uuid)"
                )
            order = "created_at DESC, id DESC"
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        return (
            f"SELECT * FROM {self.spec.table} {where} ORDER BY {order} "
            f"LIMIT {int(limit)} OFFSET {int(offset)}"
        )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
