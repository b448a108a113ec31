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
    return f"SELECT * FROM {spec.table} WHERE {conditions}"


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


def designated(spec: EntitySpec, query: ListQuery, programme_id: str | None) -> str:
    """The record holds a demonstration title now (kept from the awards service's events)."""
    programme = f" AND d.programme_id = {query.bind(programme_id)}" if programme_id else ""
    return (
        "EXISTS (SELECT 1 FROM demonstration_status d WHERE d.entity_type = "
        f"{query.bind(spec.name)} AND d.entity_id = {spec.table}.id "
        f"AND d.status = 'designated'{programme})"
    )


def in_statistics_list(query: ListQuery, year: int) -> str:
    """The enterprise is in the statistics list (限额以上/上规入统) in ``year``."""
    return (
        "EXISTS (SELECT 1 FROM enterprise_statistics_years y WHERE y.enterprise_id = "
        f"enterprises.id AND y.year = {query.bind(year)} AND y.in_list)"
    )


SEARCH_CANDIDATES = 2000

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
            # Candidates through the GIN index on name_search (0004_name_search.sql), ranked:
            # names holding the query as written first, shorter (closer) names before longer,
            # earlier matches before later. A word common to very many names ranks only its
            # first SEARCH_CANDIDATES matches.
            grams = self.bind(search_tsquery(self.search))
            term = self.bind(self.search.lower())
            conditions.append(f"name_search @@ {grams}::tsquery")
            return (
                f"SELECT * FROM (SELECT * FROM {self.spec.table} WHERE {' AND '.join(conditions)} "
                f"LIMIT {SEARCH_CANDIDATES}) AS candidates "
                f"ORDER BY strpos(lower(name), {term}) > 0 DESC, length(name), "
                f"strpos(lower(name), {term}), id "
                f"LIMIT {int(limit)} OFFSET {int(offset)}"
            )
        if after is not None:
            created_at, last_id = self.bind(after[0]), self.bind(after[1])
            conditions.append(f"(created_at, id) < ({created_at}::timestamptz, {last_id}::uuid)")
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        return (
            f"SELECT * FROM {self.spec.table} {where} ORDER BY created_at DESC, id DESC "
            f"LIMIT {int(limit)} OFFSET {int(offset)}"
        )


def search_tsquery(text: str) -> str:
    """The characters (one-character words) and character pairs of each word, all required,
    as a tsquery matching ``name_ngrams`` in the database."""
    lexemes: set[str] = set()
    for word in text.lower().split():
        if len(word) == 1:
            lexemes.add(word)
        lexemes.update(word[i : i + 2] for i in range(len(word) - 1))
    quoted = (
        "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'" for lexeme in sorted(lexemes)
    )
    return " & ".join(quoted)
