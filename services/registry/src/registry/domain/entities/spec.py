"""What the registry needs to know about one record type to store, scope, list and publish it.

Its request and response bodies are the API's (``registry.api.schemas.RECORD_SCHEMAS``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.events.envelope import DomainEvent


@dataclass(frozen=True)
class Invariant:
    """A database constraint a request can break, told back as a 422 on the fields at fault."""

    fields: tuple[str, ...]
    message: str


@dataclass(frozen=True, kw_only=True)
class EntitySpec:
    name: str  # singular, as in events: "store"
    table: str  # "stores"
    path: str  # URL segment: "stores"
    label_zh: str  # "网络店铺"
    id_field: str  # event field holding the id: "store_id"
    registered: Callable[[Mapping[str, Any], str], DomainEvent]  # (row, actor) -> event
    updated_event: type[DomainEvent]
    closed_event: type[DomainEvent]
    # Column naming the enterprise that owns the record (operators act on their own only).
    owner_column: str | None
    # Columns that reference enterprises and must exist.
    enterprise_columns: tuple[str, ...] = ()
    # Unique natural key, for a 409 (naming the existing record to callers who may read it).
    natural_key: tuple[str, ...] = ()
    # Equality filters offered on lists: query parameter -> column.
    filters: Mapping[str, str] = field(default_factory=dict)
    # Date-range filters: column (``<column>_from`` / ``<column>_to`` parameters).
    date_filters: tuple[str, ...] = ()
    # Personal data (contact channels): callers outside the region's administration see it
    # masked, in reads and in history alike, and events never carry it (only the fact that it
    # changed: ``personal_data_changed``).
    masked_columns: tuple[str, ...] = ()
    # Named CHECK and foreign-key constraints of the table, by constraint name.
    invariants: Mapping[str, Invariant] = field(default_factory=dict)
