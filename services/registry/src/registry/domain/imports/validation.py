"""Checks every field of an import row (pure: no I/O). A row yields a clean record or its
errors, each naming the row (header = row 1), the column (as headed) and the reason."""

from __future__ import annotations

import datetime as dt
import re
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from registry.domain.credit_code import (
    InvalidCreditCode,
    normalise_credit_code,
    validate_credit_code,
)
from registry.domain.imports.columns import ImportKind, header_of
from registry.domain.vocabulary import PLATFORM_NAMES_ZH, EnterpriseKind, Platform

PLATFORMS = {p.value: p.value for p in Platform} | {
    zh: p.value for p, zh in PLATFORM_NAMES_ZH.items()
}
KINDS = {k.value for k in EnterpriseKind}
NUL = "\x00"
_CODE = re.compile(r"^\d{6}$")
_PHONE = re.compile(r"^[0-9+\- ]{5,20}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class RowContext:
    """What a row is checked against: known current region codes, and where the caller may write."""

    region_known: Callable[[str], bool]
    may_write: Callable[[str], bool]


class _Row:
    def __init__(self, kind: ImportKind, number: int, values: dict[str, str]) -> None:
        self.kind, self.number, self.values = kind, number, values
        self.errors: list[RowError] = []

    def error(self, field: str, reason: str) -> None:
        self.errors.append(RowError(self.number, header_of(self.kind, field), reason))

    def text(self, field: str, *, required: bool = False, max_length: int = 200) -> str | None:
        value = (self.values.get(field) or "").strip()
        if not value:
            if required:
                self.error(field, "required")
            return None
        if NUL in value:  # PostgreSQL text cannot hold it: the row's error, not the job's
            self.error(field, "contains a NUL character (U+0000), which text may not hold")
            return None
        if len(value) > max_length:
            self.error(field, f"longer than {max_length} characters")
        return value

    def date(self, field: str, *, required: bool = False) -> dt.date | None:
        value = self.text(field, required=required, max_length=30)
        if value is None:
            return None
        try:
            return dt.date.fromisoformat(value.replace("/", "-")[:10])
        except ValueError:
            self.error(field, f"not a date (YYYY-MM-DD): {value}")
            return None

    def region(self, context: RowContext) -> str | None:
        code = self.text("region_code", required=True, max_length=6)
        if code is None:
            return None
        if not _CODE.match(code) or not context.region_known(code):
            self.error("region_code", f"unknown GB/T 2260 region code {code}")
            return None
        if not context.may_write(code):
            self.error("region_code", f"outside the regions you may write ({code})")
        return code

    def credit_code(self, field: str, *, required: bool = True) -> str | None:
        raw = self.text(field, required=required, max_length=40)
        if raw is None:
            return None
        code = normalise_credit_code(raw)
        try:
            validate_credit_code(code)
        except InvalidCreditCode as exc:
            self.error(field, str(exc))
            return None
        return code


def check_enterprise(row: _Row, context: RowContext) -> dict[str, Any]:
    kinds = [k.strip() for k in re.split(r"[、,，;；\s]+", row.text("kinds") or "") if k.strip()]
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        row.error("kinds", f"unknown kinds {unknown}; allowed: {sorted(KINDS)}")
    phone, email = (
        row.text("contact_phone", max_length=20),
        row.text("contact_email", max_length=200),
    )
    if phone and not _PHONE.match(phone):
        row.error("contact_phone", f"not a phone number: {phone}")
    if email and not _EMAIL.match(email):
        row.error("contact_email", f"not an e-mail address: {email}")
    return {
        "credit_code": row.credit_code("credit_code"),
        "name": row.text("name", required=True),
        "region_code": row.region(context),
        "kinds": kinds,
        "contact_phone": phone,
        "contact_email": email,
        "established_on": row.date("established_on"),
    }


def check_store(row: _Row, context: RowContext) -> dict[str, Any]:
    platform_text = row.text("platform", required=True, max_length=20)
    platform = PLATFORMS.get(platform_text or "")
    if platform_text and platform is None:
        row.error("platform", f"unknown platform {platform_text}; allowed: {sorted(PLATFORMS)}")
    owner_code = row.credit_code("owner_credit_code", required=False)
    individual = row.text("owner_individual", max_length=100)
    if not owner_code and not individual and not row.errors:
        row.error(
            "owner_credit_code", "name the owning enterprise's credit code or the individual owner"
        )
    opened_on, closed_on = row.date("opened_on"), row.date("closed_on")
    if opened_on and closed_on and closed_on < opened_on:
        row.error("closed_on", "before the opening date")
    return {
        "platform": platform,
        "platform_shop_id": row.text("platform_shop_id", required=True, max_length=100),
        "name": row.text("name", required=True),
        "owner_credit_code": owner_code,
        "owner_individual": individual,
        "region_code": row.region(context),
        "category": row.text("category", max_length=100),
        "opened_on": opened_on,
        "closed_on": closed_on,
    }


def check_resident(row: _Row, context: RowContext) -> dict[str, Any]:
    park_id = row.text("park_id", required=True, max_length=40)
    if park_id and not _UUID.match(park_id):
        row.error("park_id", f"not a park id: {park_id}")
    joined_on, left_on = row.date("joined_on", required=True), row.date("left_on")
    if joined_on and left_on and left_on < joined_on:
        row.error("left_on", "before the joining date")
    return {
        "park_id": park_id,
        "credit_code": row.credit_code("credit_code"),
        "joined_on": joined_on,
        "left_on": left_on,
    }


CHECKS = {
    ImportKind.enterprises: check_enterprise,
    ImportKind.stores: check_store,
    ImportKind.residents: check_resident,
}


KEYS: dict[ImportKind, tuple[str, ...]] = {
    ImportKind.enterprises: ("credit_code",),
    ImportKind.stores: ("platform", "platform_shop_id"),
    ImportKind.residents: ("park_id", "credit_code", "joined_on"),
}


def check_row(
    kind: ImportKind, number: int, values: dict[str, str], context: RowContext
) -> tuple[dict[str, Any] | None, list[RowError]]:
    row = _Row(kind, number, values)
    record = CHECKS[kind](row, context)
    return (None, row.errors) if row.errors else (record, [])


class HashSet64:
    """A set of 64-bit hashes in one array of machine integers (open addressing, linear
    probing, at most half full): 8–16 bytes a key where a ``set`` of ``int`` takes about 80
    (76 MiB for a million keys, measured), which was most of a million-row import's memory
    beyond the interpreter's. Zero marks an empty slot, so the hash 0 is kept as 1 (one more
    possible collision among 2^64)."""

    def __init__(self, capacity: int = 1024) -> None:
        self._slots = array("q", bytes(8 * capacity))  # capacity: a power of two
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, key: int) -> bool:
        """Adds ``key``; False when it was there already."""
        key = key or 1
        slots = self._slots
        mask = len(slots) - 1
        index = key & mask
        while (found := slots[index]) != 0:
            if found == key:
                return False
            index = (index + 1) & mask
        slots[index] = key
        self._count += 1
        if self._count * 2 > len(slots):
            self._grow()
        return True

    def _grow(self) -> None:
        old = self._slots
        self._slots = array("q", bytes(16 * len(old)))
        self._count = 0
        for key in old:
            if key:
                self.add(key)


MAX_PRESIZED_ROWS = 1 << 20


class FileChecker:
    """Checks the rows of one file in order: each row on its own, and that no row repeats an
    earlier row's key (credit code; platform and shop id; park, enterprise and joining date).

    Keys are remembered as 64-bit hashes (``HashSet64``), not strings, so a million rows cost
    16 MiB; a collision (about 1 in 10^7 for a million rows) would report a false repeat.
    """

    def __init__(
        self,
        kind: ImportKind,
        positions: dict[int, str],
        context: RowContext,
        expected_rows: int = 0,
    ) -> None:
        self.kind, self.positions, self.context = kind, positions, context
        # Room from the start for the rows the file is said to hold (up to a million rows'
        # worth): each growth rehashes every key so far, twenty times on the way to a million.
        capacity = 1024
        while capacity < 2 * min(expected_rows, MAX_PRESIZED_ROWS):
            capacity *= 2
        self.seen = HashSet64(capacity)

    def check(self, number: int, raw: list[str]) -> tuple[dict[str, Any] | None, list[RowError]]:
        """A clean record, or the row's errors; ``(None, [])`` for a blank row (skipped)."""
        if not "".join(raw).strip():
            return None, []
        values = {field: raw[i] if i < len(raw) else "" for i, field in self.positions.items()}
        record, errors = check_row(self.kind, number, values, self.context)
        if record is None:
            return None, errors
        fields = KEYS[self.kind]
        if not self.seen.add(hash(tuple(record[f] for f in fields))):
            column = header_of(self.kind, fields[-1])
            return None, [RowError(number, column, "repeats an earlier row of this file")]
        return record, []
