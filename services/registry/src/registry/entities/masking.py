"""Masking of contact details for callers who may read a record but not administer it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def mask_contact(value: str | None) -> str | None:
    if value is None:
        return None
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{value[:3]}****{value[-4:]}" if len(value) > 7 else "****"


def mask_columns(values: Mapping[str, Any] | None, columns: Iterable[str]) -> dict[str, Any] | None:
    """``values`` (a record or a change's old or new values) with ``columns`` masked."""
    if values is None:
        return None
    masked = dict(values)
    for column in columns:
        if column in masked:
            value = masked[column]
            masked[column] = mask_contact(value) if isinstance(value, str) else value
    return masked
