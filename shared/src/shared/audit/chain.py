"""The hash chain: each row's canonical content and the hash linking it to the row before.

``row_hash = sha256(prev_hash "\\n" seq "\\n" recorded_at "\\n" body)`` in lowercase hex, where
``recorded_at`` is UTC with microseconds (``2026-01-02T03:04:05.678901+00:00``) and ``body`` the
row's other fields (every column but seq, the time and the two hashes) as compact JSON with
sorted keys, UTF-8. The first row's ``prev_hash`` is 64 zeros. The writer computes the body
here and PostgreSQL the rest, under the chain lock (``queries.APPEND``); the verifier
recomputes all of it here from the stored columns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

GENESIS_HASH = "0" * 64

# The columns in the body, in the table's order (the JSON sorts them anyway).
BODY_FIELDS = (
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


def canonical_body(content: Mapping[str, Any]) -> bytes:
    fields = {name: content.get(name) for name in BODY_FIELDS}
    fields["actor_roles"] = list(fields["actor_roles"] or [])
    for name in JSON_FIELDS:
        value = fields[name]
        if isinstance(value, str):  # read without the pool's jsonb codec: still text
            fields[name] = json.loads(value)
    return json.dumps(
        fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")


def row_hash(prev_hash: str, content: Mapping[str, Any]) -> str:
    head = f"{prev_hash}\n{content['seq']}\n{utc_text(content['recorded_at'])}\n"
    return hashlib.sha256(head.encode("utf-8") + canonical_body(content)).hexdigest()
