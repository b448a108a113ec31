"""Masking of an operator's contact in reads that are not its own (issue 11)."""

from __future__ import annotations


def mask_address(channel: str, address: str) -> str:
    if channel == "email" and "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    if channel == "sms" and len(address) >= 7:
        return f"{address[:-8]}****{address[-4:]}"
    if channel in ("inbox",):
        return address
    return "***"
