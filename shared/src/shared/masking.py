"""The one rule for showing personal data masked: how a contact (phone, e-mail address, a
notification channel's address) looks masked, and which fields hold one.

Record reads (the registry's records and their history, the notifications' recipients
directory) and audit reads (``/v1/audit`` and its CSV) all mask through here. *Who* sees a
contact in clear is a scope question (``shared.auth.scope``); this module only says what the
others see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

# The registry's contact columns: masked in reads for callers who do not administer the record.
CONTACT_FIELDS = ("contact_phone", "contact_email")
# Every field name that holds a contact in what the services write to their audit trails:
# the registry's contact columns, an objector's contact (awards), a recipient's address
# (notifications).
PERSONAL_FIELDS = frozenset({*CONTACT_FIELDS, "objector_contact", "address"})


def mask_contact(value: str) -> str:
    """A phone number keeps its first three and last four characters (enough to tell which
    of one's own numbers it is), an e-mail address its first character and its domain. A URL
    (a webhook, a robot's endpoint with its key in the query) keeps nothing."""
    if "://" in value:
        return "***"
    if "@" in value:
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{value[:3]}****{value[-4:]}" if len(value) > 7 else "****"


def mask_address(channel: str, address: str) -> str:
    """A notification channel's address: the inbox's is no contact (it names an office or an
    enterprise of ours), every other channel's is masked as a contact."""
    return address if channel == "inbox" else mask_contact(address)


def mask_fields(values: Mapping[str, Any] | None, fields: Iterable[str]) -> dict[str, Any] | None:
    """``values`` (a record, or a change's old or new values) with ``fields`` masked."""
    if values is None:
        return None
    masked = dict(values)
    for field in fields:
        value = masked.get(field)
        if isinstance(value, str):
            masked[field] = mask_contact(value)
    return masked


def mask_personal(value: Any) -> Any:
    """A JSON value (an audit record's before, after or details) with every personal field
    masked, however deep it sits."""
    if isinstance(value, Mapping):
        return {
            key: mask_contact(item)
            if key in PERSONAL_FIELDS and isinstance(item, str)
            else mask_personal(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_personal(item) for item in value]
    return value
