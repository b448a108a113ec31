"""The audit trail (``/v1/audit`` and ``/v1/audit.csv``) in every service: a caller reads the
records of the regions it administers and nothing of another province's, contacts in the
records' before/after/details are masked, and times must say their UTC offset.

The records are appended straight into the service's trail, the same way in every service, so
the checks do not depend on what each service's routes record."""

from __future__ import annotations

import asyncio
import csv
import io
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from shared import audit
from shared.db.pool import connect
from tests.security.conftest import RunningService, assert_problem

Sign = Callable[..., dict[str, str]]
ROUTES = ("/v1/audit", "/v1/audit.csv")
PHONE, NEW_PHONE, EMAIL, OBJECTOR = (
    "13800138000", "13912345678", "zhang.san@example.com", "13700001111",
)  # fmt: skip


@dataclass(frozen=True)
class Trail:
    """The seeded records' resource ids by where they are, under one resource type."""

    resource_type: str
    guiyang: str  # 520102, Guiyang (Guizhou)
    kaili: str  # 522601, Qiandongnan (Guizhou), another city
    xining: str  # 630102, Xining (Qinghai)
    nowhere: str  # a process's record without a region

    @property
    def everything(self) -> set[str]:
        return {self.guiyang, self.kaili, self.xining, self.nowhere}


async def _seed(dsn: str, trail: Trail) -> None:
    connection = await connect(dsn)
    person = audit.Actor("seeder", ("province_admin",), "520000")
    try:
        async with connection.transaction():
            for resource_id, region in (
                (trail.guiyang, "520102"), (trail.kaili, "522601"), (trail.xining, "630102"),
            ):  # fmt: skip
                await audit.append(
                    connection, kind="change", actor=person, action="probe.updated",
                    resource_type=trail.resource_type, resource_id=resource_id,
                    region_code=region, before={"contact_phone": PHONE},
                    after={"contact_phone": NEW_PHONE, "contact_email": EMAIL},
                    details={"objection": {"objector_contact": OBJECTOR}},
                )  # fmt: skip
            await audit.append(
                connection, kind="change", actor=audit.Actor.process("probe"),
                action="probe.swept", resource_type=trail.resource_type,
                resource_id=trail.nowhere,
            )  # fmt: skip
    finally:
        await connection.close()


@pytest.fixture(scope="module")
def trail(service: RunningService) -> Iterator[Trail]:
    tag = secrets.token_hex(4)
    seeded = Trail(
        f"probe-{tag}", f"gy-{tag}", f"kl-{tag}", f"xn-{tag}", f"none-{tag}"
    )  # fmt: skip
    asyncio.run(_seed(service.dsn, seeded))
    yield seeded


def read(
    service: RunningService, route: str, headers: dict[str, str], **params: Any
) -> tuple[list[dict[str, Any]], str]:
    """The records a route answers (as the JSON's items, or the CSV's rows by column) and its
    raw text."""
    response = service.client.get(route, params={"limit": 500, **params}, headers=headers)
    assert response.status_code == 200, response.text
    if route.endswith(".csv"):
        text = response.content.decode("utf-8-sig")
        header, *rows = csv.reader(io.StringIO(text))
        assert header[5] == "对象ID" and header[11:14] == ["变更前", "变更后", "详情"]
        return [
            {"resource_id": row[5], "region_code": row[6], "text": "|".join(row[11:14])}
            for row in rows
        ], text
    return response.json()["items"], response.text


def ids(records: list[dict[str, Any]]) -> set[str]:
    return {record["resource_id"] for record in records}


@pytest.mark.parametrize("route", ROUTES)
def test_a_province_reads_its_own_province_and_nothing_of_another(
    service: RunningService, trail: Trail, sign: Sign, route: str
) -> None:
    qinghai = sign(roles=["province_admin"], region_code="630000")
    records, text = read(service, route, qinghai, resource_type=trail.resource_type)
    assert ids(records) == {trail.xining}
    assert trail.guiyang not in text and trail.kaili not in text
    guizhou = sign(roles=["province_admin"], region_code="520000")
    records, _ = read(service, route, guizhou, resource_type=trail.resource_type)
    assert ids(records) == {trail.guiyang, trail.kaili}  # not Qinghai's, not the region-less


@pytest.mark.parametrize("route", ROUTES)
def test_a_bureau_reads_its_own_subtree_only(
    service: RunningService, trail: Trail, sign: Sign, route: str
) -> None:
    for role, region, expected in (
        ("city_bureau", "520100", {trail.guiyang}),
        ("county_bureau", "520102", {trail.guiyang}),
        ("city_bureau", "522600", {trail.kaili}),
        ("city_bureau", "630100", {trail.xining}),
        ("county_bureau", "520103", set()),
    ):
        headers = sign(roles=[role], region_code=region)
        records, _ = read(service, route, headers, resource_type=trail.resource_type)
        assert ids(records) == expected, (role, region)


@pytest.mark.parametrize("route", ROUTES)
def test_asking_for_another_provinces_record_is_asking_for_none(
    service: RunningService, trail: Trail, sign: Sign, route: str
) -> None:
    """Filters cannot probe: another province's record answers as a record that never was."""
    qinghai = sign(roles=["province_admin"], region_code="630000")
    for resource_id in (trail.guiyang, f"never-{secrets.token_hex(4)}"):
        records, text = read(service, route, qinghai, resource_id=resource_id)
        assert records == [] and trail.guiyang not in text


@pytest.mark.parametrize("route", ROUTES)
def test_integrators_read_every_record_others_are_refused(
    service: RunningService, trail: Trail, sign: Sign, route: str
) -> None:
    for grants in ([], ["write"]):
        headers = sign(roles=["integrator"], grants=grants)
        records, _ = read(service, route, headers, resource_type=trail.resource_type)
        assert ids(records) == trail.everything
    for refused in (
        {"roles": ["operator"], "enterprise_ids": ["E-1"]},
        {"roles": ["expert"], "region_code": "520000"},
        {"roles": ["expert"]},
    ):
        response = service.client.get(
            route, params={"resource_type": trail.resource_type}, headers=sign(**refused)
        )
        assert_problem(response, 403)
        assert not any(resource in response.text for resource in trail.everything)


@pytest.mark.parametrize("route", ROUTES)
def test_contacts_are_masked_in_before_after_and_details(
    service: RunningService, trail: Trail, sign: Sign, route: str
) -> None:
    for claims in (
        {"roles": ["province_admin"], "region_code": "520000"},
        {"roles": ["city_bureau"], "region_code": "520100"},
        {"roles": ["integrator"], "grants": ["write"]},
    ):
        records, text = read(service, route, sign(**claims), resource_id=trail.guiyang)
        assert ids(records) == {trail.guiyang}, claims
        for clear in (PHONE, NEW_PHONE, EMAIL, OBJECTOR, "zhang.san"):
            assert clear not in text, (claims, clear)
        for masked in ("138****8000", "139****5678", "z***@example.com", "137****1111"):
            assert masked in text, (claims, masked)
    if route == "/v1/audit":
        [item] = records
        assert item["before"] == {"contact_phone": "138****8000"}
        assert item["after"] == {
            "contact_phone": "139****5678",
            "contact_email": "z***@example.com",
        }
        assert item["details"] == {"objection": {"objector_contact": "137****1111"}}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("parameter", ["from", "to"])
@pytest.mark.parametrize("value", ["2025-01-01T00:00:00", "2025-01-01", "2025-01-01 08:00"])
def test_a_time_without_a_utc_offset_is_a_422_naming_it(
    service: RunningService, trail: Trail, sign: Sign, route: str, parameter: str, value: str
) -> None:
    headers = sign(roles=["province_admin"], region_code="520000")
    response = service.client.get(route, params={parameter: value}, headers=headers)
    assert_problem(response, 422)
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == [f"query.{parameter}"]
    assert parameter in problem["detail"]
    assert trail.guiyang not in response.text


@pytest.mark.parametrize("route", ROUTES)
def test_times_with_an_offset_are_read_as_that_instant(
    service: RunningService, trail: Trail, sign: Sign, route: str
) -> None:
    headers = sign(roles=["province_admin"], region_code="520000")
    window = {"from": "2000-01-01T08:00:00+08:00", "to": "2999-01-01T00:00:00Z"}
    records, _ = read(service, route, headers, resource_type=trail.resource_type, **window)
    assert ids(records) == {trail.guiyang, trail.kaili}
    past = {"to": "2000-01-01T00:00:00+00:00"}
    assert read(service, route, headers, resource_type=trail.resource_type, **past)[0] == []


def test_the_openapi_document_says_so(service: RunningService) -> None:
    paths = service.client.get("/openapi.json").json()["paths"]
    for route in ROUTES:
        operation = paths[route]["get"]
        assert "422" in operation["responses"] and "403" in operation["responses"]
        times = {p["name"]: p for p in operation["parameters"] if p["name"] in ("from", "to")}
        for parameter in times.values():
            schema = parameter["schema"].get("anyOf", [parameter["schema"]])[0]
            assert schema["format"] == "date-time"
            assert "offset" in parameter["description"]
        assert set(times) == {"from", "to"}


FORMULA_TEXTS = ("=cmd|' /C calc'!A0", "+1+1", "-1+1", "@SUM(1,1)", "\t=1")


def test_the_csv_writes_formula_like_text_as_text(service: RunningService, sign: Sign) -> None:
    """A reason, a resource id or a caller's name that begins like a formula is written with a
    leading apostrophe, so Excel and WPS show it rather than run it (CSV injection)."""
    resource_type = f"formula-{secrets.token_hex(4)}"

    async def seed() -> None:
        connection = await connect(service.dsn)
        try:
            async with connection.transaction():
                for text in FORMULA_TEXTS:
                    await audit.append(
                        connection, kind="change", actor=audit.Actor(text, ("province_admin",)),
                        action="probe.closed", resource_type=resource_type, resource_id=text,
                        region_code="520102", reason=text,
                    )  # fmt: skip
        finally:
            await connection.close()

    asyncio.run(seed())
    headers = sign(roles=["province_admin"], region_code="520000")
    _, text = read(service, "/v1/audit.csv", headers, resource_type=resource_type)
    header, *rows = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    assert len(rows) == len(FORMULA_TEXTS)
    for row in rows:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    for column in ("对象ID", "操作人", "原因"):
        cells = sorted(row[header.index(column)] for row in rows)
        assert cells == sorted("'" + text for text in FORMULA_TEXTS), column
