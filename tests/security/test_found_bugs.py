"""Defects the hostile-input and authorization tests found, kept as regression tests once
fixed (while open, each was a strict xfail here and the matrix's world stepped around it by
name in its ``known``; fixing one turned the xfail into a failure, and both went).

Registry: its CSV export wrote a stored name that begins like a formula as it is (its XLSX
export and the audit CSV wrote it as text); a NUL in an imported CSV cell failed the job as an
"internal error" (PostgreSQL refused the text) instead of naming the row and column; a zip
bomb was queued and inflated by the importer rather than refused at upload.

Every service: a request without a token but with a malformed JSON body was answered 422 (or
400), not 401: the body was parsed before the caller was known; and a query parameter sent
twice was taken at its last value, though no document has a list parameter (schemathesis'
negative-data check stepped around such cases, ``tests/contract/checks.KNOWN_DEFECTS``).

Awards (the matrix's world, ``authz_worlds/awards.py``): the expert pool is the province's
(专家库由省厅维护), yet every province administrator read and wrote every province's
experts; and a reward's routes looked the award up before they asked whether the caller may
see it, so an award that exists was 403 where one that does not is 404.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared.auth.roles import Role
from tests.security.authz_running import Matrix
from tests.security.authz_worlds.awards import AwardsWorld
from tests.security.test_hostile_uploads import CSV, XLSX, as_csv, bomb, rows, stored, upload

GUIZHOU = {"sub": "bug-guizhou", "roles": ["province_admin"], "region_code": "520000"}
QINGHAI = {"sub": "bug-qinghai", "roles": ["province_admin"], "region_code": "630000"}
GUIYANG_COUNTY = {"sub": "bug-county", "roles": ["county_bureau"], "region_code": "520102"}


@pytest.fixture(scope="module")
def awards(matrix: Matrix) -> tuple[AwardsWorld, TestClient, Any]:
    world, client, _ = matrix.service("awards")
    assert isinstance(world, AwardsWorld)
    return world, client, matrix.tokens.bearer


def test_a_province_does_not_read_another_provinces_expert(awards: Any) -> None:
    world, client, bearer = awards
    qinghai_expert = world.ids["experts"]["other_province"]
    response = client.get(f"/v1/experts/{qinghai_expert}", headers=bearer(GUIZHOU))
    assert response.status_code == 404, response.text


def test_a_province_does_not_change_another_provinces_expert(awards: Any) -> None:
    world, client, bearer = awards
    url = f"/v1/experts/{world.ids['experts']['other_province']}"
    before = client.get(url, headers=bearer(QINGHAI)).json()
    response = client.put(
        url,
        json={"name": "改名", "region_code": "630102"},
        headers={**bearer(GUIZHOU), "If-Match": "*"},
    )
    after = client.get(url, headers=bearer(QINGHAI)).json()
    assert response.status_code in (403, 404), response.text
    assert after == before


def test_a_province_does_not_add_an_expert_to_another_province(awards: Any) -> None:
    _, client, bearer = awards
    response = client.put(
        f"/v1/experts/X-{uuid.uuid4().hex[:8]}",
        json={"name": "外省专家", "region_code": "630102"},
        headers=bearer(GUIZHOU),
    )
    assert response.status_code == 403, response.text


@pytest.mark.parametrize("caller", [GUIZHOU, GUIYANG_COUNTY], ids=["guizhou", "county"])
def test_a_reward_the_caller_may_not_see_is_answered_as_absent(
    awards: Any, caller: dict[str, Any]
) -> None:
    world, client, bearer = awards
    qinghai_award = world.ids["rewards"]["other_province"]
    existing = client.get(f"/v1/rewards/{qinghai_award}", headers=bearer(caller))
    ghost = client.get(f"/v1/rewards/{uuid.uuid4()}", headers=bearer(caller))
    assert ghost.status_code == 404, ghost.text
    assert existing.status_code == 404, existing.text


def test_the_registry_csv_export_writes_formula_like_names_as_text(matrix: Matrix) -> None:
    world, client, _ = matrix.service("registry")
    headers = matrix.tokens.bearer(world.claims(Role.province_admin))
    shop = f"mx-{uuid.uuid4().hex[:10]}"
    created = client.post(
        "/v1/stores",
        json={"platform": "jd", "platform_shop_id": shop, "name": "=cmd|' /C calc'!A0",
              "owner_individual": "@SUM(1,1)", "region_code": "520102"},
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.text
    exported = client.get("/v1/exports/stores.csv", params={"region": "520102"}, headers=headers)
    header, *lines = csv.reader(io.StringIO(exported.content.decode("utf-8-sig")))
    (row,) = [line for line in lines if shop in line]
    assert row[header.index("店铺名称")] == "'=cmd|' /C calc'!A0"
    assert row[header.index("个人店主")] == "'@SUM(1,1)"


def test_a_nul_in_an_imported_cell_is_named_by_row_and_column(
    importing_registry: tuple[TestClient, str], import_admin: dict[str, str]
) -> None:
    client, dsn = importing_registry
    tag = f"n{uuid.uuid4().hex[:8]}"
    content = as_csv(rows(tag, "黔东\x00南小店"))
    _, job = upload(client, import_admin, content, CSV, "all_or_nothing")
    assert job is not None and stored(dsn, tag) == 0
    assert "internal error" not in (job["failure"] or ""), job["failure"]
    assert [(e["row"], e["column"]) for e in job["errors"]] == [(2, "店铺名称")], job


def test_a_zip_bomb_is_refused_at_upload(
    importing_registry: tuple[TestClient, str], import_admin: dict[str, str]
) -> None:
    client, dsn = importing_registry
    tag = f"b{uuid.uuid4().hex[:8]}"
    response = client.post(
        "/v1/imports/stores",
        params={"mode": "dry_run"},
        content=bomb(tag),
        headers={**import_admin, "Content-Type": XLSX},
    )
    assert response.status_code in (413, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert stored(dsn, tag) == 0


@pytest.mark.parametrize("body", [b"{", "名".encode("gbk")], ids=["not_json", "not_utf8"])
def test_without_a_token_a_malformed_body_is_still_401(matrix: Matrix, body: bytes) -> None:
    _, client, _ = matrix.service("registry")
    response = client.post(
        "/v1/enterprises", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "bearer" in response.headers["www-authenticate"].lower()


def test_a_query_parameter_sent_twice_is_refused(matrix: Matrix) -> None:
    world, client, _ = matrix.service("registry")
    headers = matrix.tokens.bearer(world.claims(Role.province_admin))
    response = client.get("/v1/enterprises?status=active&status=closed", headers=headers)
    assert response.status_code in (400, 422), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == ["query.status"]
