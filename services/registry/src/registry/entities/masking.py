"""Masking of contact details for callers who may read a record but not administer it."""

from __future__ import annotations


def mask_contact(value: str | None) -> str | None:
    if value is None:
        return None
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{value[:3]}****{value[-4:]}" if len(value) > 7 else "****"
