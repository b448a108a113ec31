"""The hash chain: each row's canonical content and the hash linking it to the row before.

``row_hash = sha256(prev_hash + "\\n" + canonical)`` in lowercase hex, where ``canonical`` is
the row's fields (every column but the two hashes) as compact JSON with sorted keys, UTF-8,
times in UTC with microseconds. The first row's ``prev_hash`` is 64 zeros. Pure functions: the
verifier recomputes exactly this from the stored columns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

GENESIS_HASH = "0" * 64

# The hashed columns, in the table's order (the JSON sorts them anyway).
CONTENT_FIELDS = (
    "seq",
    "recorded_at",
    "kind",
    "action",
    "resource_type",
    "resource_id",
    "region_code",
    "actor_subject",
    "actor_roles",
    "actor_region",
    "reason",
    "before",
    "after",
    "details",
    "request_id",
    "trace_id",
    "client_ip",
    "user_agent",
)


JSON_FIELDS = ("before", "after", "details")


def utc_text(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")


def normalise(value: Any) -> Any:
    """A JSON value that survives PostgreSQL ``jsonb`` and back unchanged, so the hash of what
    was written equals the hash of what is read: non-integral numbers, times, dates and ids
    become strings (as money does everywhere in this project), sets become sorted lists."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Mapping):
        return {str(key): normalise(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted(normalise(item) for item in value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (float, Decimal)):
        return str(value)
    return str(value)  # dates, UUIDs, enums and anything else: their text


def canonical(content: Mapping[str, Any]) -> bytes:
    fields = {name: content.get(name) for name in CONTENT_FIELDS}
    fields["recorded_at"] = utc_text(content["recorded_at"])
    fields["actor_roles"] = list(fields["actor_roles"] or [])
    for name in JSON_FIELDS:
        value = fields[name]
        if isinstance(value, str):  # read without the pool's jsonb codec: still text
            fields[name] = json.loads(value)
    return json.dumps(
        fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def row_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(content))
    return digest.hexdigest()
