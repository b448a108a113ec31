"""The services' Temporal data converter: temporalio's pydantic payloads, adapters built once."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import BaseModel
from temporalio.contrib.pydantic import pydantic_data_converter

from shared import temporal
from shared.temporal import data_converter


class Step(BaseModel):
    application_id: uuid.UUID
    amount: Decimal
    at: dt.datetime
    notes: list[str] = []


VALUES = [
    Step(
        application_id=uuid.UUID("0190f5a4-7c3e-7d2a-9b1e-3f4a5b6c7d8e"),
        amount=Decimal("12345.67"),
        at=dt.datetime(2026, 12, 10, 14, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        notes=["市级初审", "省级复核"],
    ),
    {"a": 1, "b": [None, True]},
    "字符串",
    None,
    b"\x00bytes",
]


def test_payloads_are_temporalios_pydantic_payloads_byte_for_byte() -> None:
    ours = data_converter.payload_converter.to_payloads(VALUES)
    theirs = pydantic_data_converter.payload_converter.to_payloads(VALUES)
    assert [(p.metadata, p.data) for p in ours] == [(p.metadata, p.data) for p in theirs]


def test_decoding_gives_what_temporalios_converter_gives() -> None:
    payloads = pydantic_data_converter.payload_converter.to_payloads(VALUES)
    hints = [Step, dict[str, object], str, None, bytes]
    assert data_converter.payload_converter.from_payloads(
        payloads, hints
    ) == pydantic_data_converter.payload_converter.from_payloads(payloads, hints)


def test_a_types_adapter_is_built_once() -> None:
    temporal._adapter.cache_clear()
    payload = data_converter.payload_converter.to_payloads([VALUES[0]])
    for _ in range(5):
        data_converter.payload_converter.from_payloads(payload, [Step])
    info = temporal._adapter.cache_info()
    assert (info.misses, info.hits) == (1, 4)
