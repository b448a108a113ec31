"""SQL of record lists and exports: a ``RecordQuery`` (the caller's visibility and the request's
filters, ``registry.domain.listing``) as one statement with its parameters.

Conditions are composed here from named fragments; table and column names come only from the
specs, every value is a bind parameter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from registry.domain.entities.definitions import ENTERPRISE
from registry.domain.entities.spec import EntitySpec
from registry.domain.listing import RecordQuery, Visibility
from shared.china_time import SQL_ZONE

SEARCH_CANDIDATES = 2000
# The shares of the rows that partial indexes of the name grams hold (0015_name_search_samples
# .sql), smallest first, written exactly as those indexes' predicates are.
SEARCH_SAMPLES = ("get_byte(uuid_send(id), 15) = 0", "get_byte(uuid_send(id), 15) < 16")

# The record holds a demonstration title now (kept from the awards service's events).
_DESIGNATED = (
    "EXISTS (SELECT 1 FROM demonstration_status d WHERE d.entity_type = {entity_type} "
    "AND d.entity_id = {table}.id AND d.status = 'designated'{programme})"
)
_OF_PROGRAMME = " AND d.programme_id = {programme_id}"
# The enterprise is in the statistics list (限额以上/上规入统) in the year.
_IN_STATISTICS_LIST = (
    "EXISTS (SELECT 1 FROM enterprise_statistics_years y WHERE y.enterprise_id = "
    "enterprises.id AND y.year = {year} AND y.in_list)"
)
# The day a ``…_at`` column (a timestamptz) falls on in China. Its plain ``::date`` would be
# the day in the database session's zone (UTC on most servers), so a record created at 02:00
# Beijing time would count as the day before.
_CHINA_DAY = f"({{column}} AT TIME ZONE '{SQL_ZONE}')::date"
_IN_CODES = "region_code = ANY({codes})"
_OWNED_BY = "{column}::text = ANY({ids})"
_HOLDS_KIND = "{column} @> ARRAY[{value}]::text[]"
_EQUALS = "{column}::text = {value}"


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
            # Candidates through the GIN indexes on name_search (0004_name_search.sql,
            # 0015_name_search_samples.sql), ranked: names holding the query as written first,
            # shorter (closer) names before longer, earlier matches before later. A word
            # common to very many names ranks only SEARCH_CANDIDATES of its matches.
            grams = self.bind(search_tsquery(self.search))
            term = self.bind(self.search.lower())
            conditions.append(f"name_search @@ {grams}::tsquery")
            return (
                f"SELECT * FROM ({self._candidates(' AND '.join(conditions))}) AS candidates "
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

    def _candidates(self, where: str) -> str:
        """The first SEARCH_CANDIDATES matches, read from the smallest sample of the rows
        first, then from the next sample's other rows, then from the rest. The parts are
        disjoint and read in that order until there are enough, so a frequent word's bitmap
        holds its matches in a sample of the table, not in all of it, and no row is read in
        vain; a rare word reaches the whole index, as before."""
        table, wanted = self.spec.table, SEARCH_CANDIDATES
        parts: list[list[str]] = []
        outside: list[str] = []
        for sample in SEARCH_SAMPLES:
            parts.append([where, sample, *outside])
            outside = [f"NOT ({sample})"]
        parts.append([where, *outside])
        scans = " UNION ALL ".join(
            f"(SELECT * FROM {table} WHERE {' AND '.join(part)} LIMIT {wanted})" for part in parts
        )
        return f"{scans} LIMIT {wanted}"


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


def restrict_to_caller(query: ListQuery, visibility: Visibility) -> None:
    """The caller's visibility (``shared.auth.scope.read_visibility``) as one condition."""
    if visibility.everything:
        return
    visible = [
        _IN_CODES.format(codes=query.bind(list(codes))) for codes in visibility.region_subtrees
    ]
    if visibility.enterprise_ids and query.spec.owner_column:
        ids = query.bind(list(visibility.enterprise_ids))
        visible.append(_OWNED_BY.format(column=query.spec.owner_column, ids=ids))
    query.where(f"({' OR '.join(visible)})" if visible else "false")


def _designated(query: ListQuery, programme_id: str | None) -> str:
    programme = _OF_PROGRAMME.format(programme_id=query.bind(programme_id)) if programme_id else ""
    return _DESIGNATED.format(
        entity_type=query.bind(query.spec.name), table=query.spec.table, programme=programme
    )


def _china_day(column: str) -> str:
    return _CHINA_DAY.format(column=column) if column.endswith("_at") else column


def _negated(condition: str, holds: bool) -> str:
    return condition if holds else f"NOT {condition}"


def list_query(request: RecordQuery) -> ListQuery:
    """The list query for the caller's visibility and the request's filters (lists, exports)."""
    spec, filters = request.spec, request.filters
    query = ListQuery(spec)
    restrict_to_caller(query, request.visibility)
    if filters.region_codes is not None:
        query.where(_IN_CODES.format(codes=query.bind(list(filters.region_codes))))
    if filters.status:
        query.where(f"status = {query.bind(filters.status)}")
    for column, value in filters.equal:
        template = _HOLDS_KIND if column == "kinds" else _EQUALS
        query.where(template.format(column=column, value=query.bind(value)))
    if filters.designated is not None:
        query.where(_negated(_designated(query, filters.programme_id), filters.designated))
    if filters.in_statistics_list is not None and spec is ENTERPRISE:
        listed = _IN_STATISTICS_LIST.format(year=query.bind(filters.year))
        query.where(_negated(listed, filters.in_statistics_list))
    for bound in filters.days:
        query.where(f"{_china_day(bound.column)} {bound.operator} {query.bind(bound.day)}")
    query.search = filters.search
    return query
