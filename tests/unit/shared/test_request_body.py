"""Request bodies take what JSON says and nothing pydantic's lax mode would make of it."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from decimal import Decimal
from typing import Any

import pytest
from pydantic import AwareDatetime, Field, ValidationError

from shared.http.request_body import RequestBody


class Colour(enum.StrEnum):
    red = "red"


class Line(RequestBody):
    on: dt.date


class Sample(RequestBody):
    day: dt.date | None = None
    at: AwareDatetime | None = None
    id: uuid.UUID | None = None
    amount: Decimal | None = None
    count: int | None = Field(default=None, ge=0)
    share: float | None = None
    flag: bool | None = None
    name: str | None = Field(default=None, max_length=3)
    colour: Colour | None = None
    lines: list[Line] = Field(default_factory=list)


def test_json_strings_still_make_dates_instants_ids_decimals_and_enums() -> None:
    sample = Sample.model_validate(
        {
            "day": "2025-12-10",
            "at": "2025-12-10T09:00:00+08:00",
            "id": "12345678-1234-5678-1234-567812345678",
            "amount": "12.50",
            "count": 3,
            "share": 1,
            "flag": True,
            "colour": "red",
            "lines": [{"on": "2025-01-02"}],
        }
    )
    assert sample.day == dt.date(2025, 12, 10)
    assert sample.at is not None and sample.at.utcoffset() == dt.timedelta(hours=8)
    assert sample.id == uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert sample.amount == Decimal("12.50")
    assert sample.share == 1.0
    assert sample.colour is Colour.red
    assert sample.lines[0].on == dt.date(2025, 1, 2)


@pytest.mark.parametrize(
    ("member", "value", "kind"),
    [
        ("day", 0, "date_type"),
        ("day", "2025-12-10T00:00:00", "date_parsing"),
        ("count", "12", "int_type"),
        ("count", 1.0, "int_type"),
        ("count", False, "int_type"),
        ("flag", 1, "bool_type"),
        ("flag", "true", "bool_type"),
        ("name", 12, "string_type"),
        ("colour", "blue", "enum"),
        ("count", -1, "greater_than_equal"),
        ("name", "long", "string_too_long"),
    ],
)
def test_lax_coercions_are_refused(member: str, value: Any, kind: str) -> None:
    with pytest.raises(ValidationError) as raised:
        Sample.model_validate({member: value})
    [error] = raised.value.errors()
    assert (error["loc"], error["type"]) == ((member,), kind)


def test_a_nested_error_names_its_place() -> None:
    with pytest.raises(ValidationError) as raised:
        Sample.model_validate({"lines": [{"on": "2025-01-02"}, {"on": 0}]})
    [error] = raised.value.errors()
    assert error["loc"] == ("lines", 1, "on")


def test_misspelt_members_are_refused() -> None:
    with pytest.raises(ValidationError):
        Sample.model_validate({"colur": "red"})


def test_models_built_in_code_take_python_values() -> None:
    sample = Sample(day=dt.date(2025, 1, 1), id=uuid.uuid4(), amount=Decimal(1))
    assert sample.day == dt.date(2025, 1, 1)


def test_an_instant_is_rfc_3339_text_not_seconds_in_a_string() -> None:
    with pytest.raises(ValidationError) as raised:
        Sample.model_validate({"at": "0.5"})
    assert raised.value.errors()[0]["type"] == "datetime_parsing"


class Plain(RequestBody):
    tags: list[str] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    mode: str | None = None
    free: dict[str, Any] = Field(default_factory=dict)


@pytest.mark.parametrize(
    ("member", "value", "kind"),
    [
        ("tags", [1], "string_type"),
        ("tags", "a", "list_type"),
        ("counts", {"a": "1"}, "int_type"),
        ("counts", {"a": True}, "int_type"),
        ("mode", 1, "string_type"),
        ("free", [], "dict_type"),
    ],
)
def test_members_json_reads_as_python_does_are_as_strict(
    member: str, value: Any, kind: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        Plain.model_validate({member: value})
    assert raised.value.errors()[0]["type"] == kind


def test_members_json_reads_as_python_does_take_what_json_gives() -> None:
    plain = Plain.model_validate(
        {"tags": ["a"], "counts": {"a": 1}, "mode": None, "free": {"x": [1, {"y": "2"}]}}
    )
    assert (plain.tags, plain.counts, plain.free) == (["a"], {"a": 1}, {"x": [1, {"y": "2"}]})
