"""Hostile files at the registry's bulk import (``POST /v1/imports/{kind}``), each sent for a
real run (``all_or_nothing``): a zip bomb, XML entities (external and billion laughs), ZIPs
cut short, text in UTF-16 or UTF-32 without a BOM, binary noise, a NUL in a cell, a cell of
megabytes, a header that is a formula. Each is refused at once with a 4xx problem+json, or
its job ends ``failed`` or ``rejected``, soon; and nothing is stored. A GBK file (Excel's
Chinese CSV) loads with its names intact; formulas in cells are stored as the text they are.

Formula injection in the CSV files the registry writes is in ``test_found_bugs``."""

from __future__ import annotations

import asyncio
import csv
import io
import secrets
import time
import zipfile
from typing import Any

import asyncpg
import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook

HEADER = ["平台", "平台店铺ID", "店铺名称", "个人店主", "所属地区代码", "开店日期"]
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULAS = ("=cmd|' /C calc'!A0", "+1+1", "-1+1", "@SUM(1,1)", '=HYPERLINK("http://x.example")')
ENDED = ("succeeded", "rejected", "failed")
SECONDS = 90  # a job's whole run, bombs included, on a busy two-core machine


def rows(tag: str, *names: str) -> list[list[str]]:
    return [HEADER] + [
        ["抖音", f"{tag}-{n}", name, "吴某", "522601", "2025-05-01"] for n, name in enumerate(names)
    ]


def as_csv(table: list[list[str]], encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(table)
    return out.getvalue().encode(encoding)


def as_xlsx(table: list[list[Any]], *, formulas_as_text: bool = False) -> bytes:
    """openpyxl writes a text beginning with ``=`` as a live formula, unless told it is text."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in table:
        sheet.append(row)
    if formulas_as_text:
        for cells in sheet.iter_rows():
            for cell in cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_sheet(xlsx: bytes, sheet_xml: bytes) -> bytes:
    """The workbook with its first sheet's XML replaced (deflated, as Excel writes it)."""
    source, out = zipfile.ZipFile(io.BytesIO(xlsx)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            content = sheet_xml if name == "xl/worksheets/sheet1.xml" else source.read(name)
            target.writestr(name, content)
    return out.getvalue()


def sheet(*cells: bytes, doctype: bytes = b"") -> bytes:
    """A sheet XML: the header row, then one row of inline-string cells."""

    def row(number: int, values: list[bytes]) -> bytes:
        return b"<row r='%d'>" % number + b"".join(
            b"<c t='inlineStr'><is><t>%s</t></is></c>" % value for value in values
        ) + b"</row>"  # fmt: skip

    return (
        b"<?xml version='1.0' encoding='UTF-8'?>" + doctype
        + b"<worksheet xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'>"
        + b"<sheetData>" + row(1, [h.encode() for h in HEADER]) + row(2, list(cells))
        + b"</sheetData></worksheet>"
    )  # fmt: skip


def bomb(tag: str) -> bytes:
    """A workbook of some 70 KB whose one shop name inflates to 64 MB."""
    name = b"A" * (64 << 20)
    return with_sheet(as_xlsx(rows(tag)), sheet(b"douyin", tag.encode(), name, b"", b"522601"))


def entities(tag: str, entity: bytes) -> bytes:
    doctype = b"<!DOCTYPE worksheet [" + entity + b"]>"
    cells = (b"douyin", tag.encode(), b"&e;", b"", b"522601", b"2025-05-01")
    return with_sheet(as_xlsx(rows(tag)), sheet(*cells, doctype=doctype))


LAUGHS = b"<!ENTITY a0 'ha'>" + b"".join(
    b"<!ENTITY a%d '%s'>" % (n, b"&a%d;" % (n - 1) * 10) for n in range(1, 10)
) + b"<!ENTITY e '&a9;'>"  # fmt: skip


def hostile_files(tag: str) -> dict[str, tuple[bytes, str]]:
    good_xlsx = as_xlsx(rows(tag, "好店"))
    table = rows(tag, "黔东南苗绣小店")
    return {
        "zip_bomb": (bomb(tag), XLSX),
        "external_entity": (entities(tag, b"<!ENTITY e SYSTEM 'file:///etc/passwd'>"), XLSX),
        "billion_laughs": (entities(tag, LAUGHS), XLSX),
        "zip_cut_at_10%": (good_xlsx[: len(good_xlsx) // 10], XLSX),
        "zip_cut_at_90%": (good_xlsx[: len(good_xlsx) * 9 // 10], XLSX),
        "zip_without_sheets": (_zip({"[Content_Types].xml": b"<Types/>"}), XLSX),
        "utf16le_no_bom": (as_csv(table, "utf-16-le"), CSV),
        "utf16be_no_bom": (as_csv(table, "utf-16-be"), CSV),
        "utf32_no_bom": (as_csv(table, "utf-32-le"), CSV),
        "binary_noise": (secrets.token_bytes(4096), CSV),
        "nul_in_a_cell": (as_csv(rows(tag, "黔东\x00南小店")), CSV),
        "a_cell_of_8_mb": (as_csv(rows(tag, "店" * ((8 << 20) // 3))), CSV),
        "formula_header": (as_csv([["=cmd|' /C calc'!A0", *HEADER[1:]], table[1]]), CSV),
        "csv_sent_as_xlsx": (as_csv(table), XLSX),
    }


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def stored(dsn: str, tag: str) -> int:
    async def count() -> int:
        connection = await asyncpg.connect(dsn)
        try:
            return int(
                await connection.fetchval(
                    "SELECT count(*) FROM stores WHERE platform_shop_id LIKE $1", f"{tag}-%"
                )
            )
        finally:
            await connection.close()

    return asyncio.run(count())


def upload(
    client: TestClient, import_admin: dict[str, str], content: bytes, media: str, mode: str
) -> tuple[Any, dict[str, Any] | None]:
    """The upload's answer, and its job once ended (None when refused at once)."""
    response = client.post(
        "/v1/imports/stores",
        params={"mode": mode},
        content=content,
        headers={**import_admin, "Content-Type": media, "Prefer": "wait=30"},
    )
    if response.status_code >= 400:
        return response, None
    deadline = time.monotonic() + SECONDS
    job: dict[str, Any] = response.json()
    while job["status"] not in ENDED and time.monotonic() < deadline:
        time.sleep(0.5)
        job = client.get(f"/v1/import-jobs/{job['id']}", headers=import_admin).json()
    return response, job


@pytest.mark.parametrize("kind", list(hostile_files("x")))
def test_a_hostile_file_is_refused_or_fails_and_stores_nothing(
    importing_registry: tuple[TestClient, str], import_admin: dict[str, str], kind: str
) -> None:
    client, dsn = importing_registry
    tag = f"h{secrets.token_hex(4)}"
    content, media = hostile_files(tag)[kind]
    started = time.monotonic()
    response, job = upload(client, import_admin, content, media, "all_or_nothing")
    print(
        "DEBUG",
        kind,
        response.status_code,
        job and (job["status"], job["failure"], job["errors"][:2]),
        response.text[:200] if job is None else "",
    )
    if job is None:
        assert 400 <= response.status_code < 500, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
    else:
        assert job["status"] in ("failed", "rejected"), (kind, job["status"], job["failure"])
        assert job["loaded_rows"] == 0 or not job["committed"], job
        assert job["failure"] or job["errors"], job
        assert "root:" not in str(job), "the job shows a file of the server"
    assert stored(dsn, tag) == 0
    assert time.monotonic() - started < SECONDS + 30


def test_a_gbk_file_loads_with_its_names_intact(
    importing_registry: tuple[TestClient, str], import_admin: dict[str, str]
) -> None:
    client, _ = importing_registry
    tag = f"g{secrets.token_hex(4)}"
    names = ("黔东南苗绣小店", "遵义红茶铺", "毕节刺梨汁坊")
    _, job = upload(client, import_admin, as_csv(rows(tag, *names), "gbk"), CSV, "all_or_nothing")
    assert job is not None and job["status"] == "succeeded", job
    listed = client.get("/v1/stores", params={"limit": 500}, headers=import_admin).json()["items"]
    assert sorted(s["name"] for s in listed if s["platform_shop_id"].startswith(tag)) == sorted(
        names
    )


def test_formulas_in_cells_are_stored_as_the_text_they_are(
    importing_registry: tuple[TestClient, str], import_admin: dict[str, str]
) -> None:
    client, _ = importing_registry
    tag = f"f{secrets.token_hex(4)}"
    for content, media in (
        (as_csv(rows(tag, *FORMULAS)), CSV),
        (as_xlsx(rows(f"{tag}x", *FORMULAS), formulas_as_text=True), XLSX),
    ):
        _, job = upload(client, import_admin, content, media, "all_or_nothing")
        assert job is not None and job["status"] == "succeeded", job
    listed = client.get("/v1/stores", params={"limit": 500}, headers=import_admin).json()["items"]
    for prefix in (f"{tag}-", f"{tag}x-"):
        names = sorted(s["name"] for s in listed if s["platform_shop_id"].startswith(prefix))
        assert names == sorted(FORMULAS), prefix


def test_a_live_formula_cell_is_never_evaluated_nor_stored(
    importing_registry: tuple[TestClient, str], import_admin: dict[str, str]
) -> None:
    """A workbook cell that is a formula (not text) reads as empty: the row is refused."""
    client, dsn = importing_registry
    tag = f"l{secrets.token_hex(4)}"
    _, job = upload(client, import_admin, as_xlsx(rows(tag, *FORMULAS)), XLSX, "all_or_nothing")
    assert job is not None and job["status"] == "rejected", job
    formula_rows = {n + 2 for n, name in enumerate(FORMULAS) if name.startswith("=")}
    assert {(e["row"], e["column"]) for e in job["errors"]} == {
        (row, "店铺名称") for row in formula_rows
    }
    assert stored(dsn, tag) == 0
