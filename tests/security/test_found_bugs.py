"""Defects the hostile-input and authorization tests found, each a strict xfail until it is
fixed (then the xfail fails, and the marker and the matrix's known-defect entry go).

Registry: its CSV export writes a stored name that begins like a formula as it is (its XLSX
export and the audit CSV write it as text); a NUL in an imported CSV cell fails the job as an
"internal error" (PostgreSQL refused the text) instead of naming the row and column; a zip
bomb is queued and inflated by the importer rather than refused at upload.

Every service: a request without a token but with a malformed JSON body is answered 422 (or
400), not 401: the body is parsed before the caller is known; and a query parameter sent
twice is taken at its last value, though no document has a list parameter (schemathesis'
negative-data check steps around such cases, ``tests/contract/checks.KNOWN_DEFECTS``).

Awards (the matrix's world, ``authz_worlds/awards.py``): the expert pool is the province's
(专家库由省厅维护), yet every province administrator reads and writes every province's
experts; and a reward's routes look the award up before they ask whether the caller may see
it, so an award that exists is 403 where one that does not is 404.
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


@pytest.mark.xfail(
    strict=True,
    reason="GET /v1/experts/{expert_id} checks only that the caller is a province_admin: "
    "Guizhou's administrator (520000) reads an expert of Qinghai's pool (region 630102), 200",
)
def test_a_province_does_not_read_another_provinces_expert(awards: Any) -> None:
    world, client, bearer = awards
    qinghai_expert = world.ids["experts"]["other_province"]
    response = client.get(f"/v1/experts/{qinghai_expert}", headers=bearer(GUIZHOU))
    assert response.status_code == 404, response.text


@pytest.mark.xfail(
    strict=True,
    reason="PUT /v1/experts/{expert_id} checks only that the caller is a province_admin: "
    "Guizhou's administrator renames (and could move or deactivate) an expert of Qinghai's "
    "pool, 200, recorded in the audit trail under region 630102",
)
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


@pytest.mark.xfail(
    strict=True,
    reason="PUT /v1/experts/{new id} with region_code 630102 by Guizhou's administrator "
    "creates an expert in Qinghai's pool, 200: the body's region is never checked",
)
def test_a_province_does_not_add_an_expert_to_another_province(awards: Any) -> None:
    _, client, bearer = awards
    response = client.put(
        f"/v1/experts/X-{uuid.uuid4().hex[:8]}",
        json={"name": "外省专家", "region_code": "630102"},
        headers=bearer(GUIZHOU),
    )
    assert response.status_code == 403, response.text


@pytest.mark.xfail(
    strict=True,
    reason="GET /v1/rewards/{award_id} (and its approval, void, recoveries and remainder "
    "POSTs) find the award before they check the caller: an award of another province, or "
    "any award for a caller who is not its province's administrator, is 403 while an id "
    "that names nothing is 404, so the answer confirms the award exists",
)
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


@pytest.mark.xfail(
    strict=True,
    reason="GET /v1/exports/stores.csv writes a store named =cmd|' /C calc'!A0 as that very "
    "cell (the XLSX export quote-prefixes it, the CSV does not): opened in Excel or WPS, the "
    "cell is a formula (CSV injection)",
)
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


@pytest.mark.xfail(
    strict=True,
    reason="POST /v1/imports/stores (all_or_nothing) of a CSV whose shop name holds a NUL: the "
    "job ends failed with failure 'internal error: CharacterNotInRepertoireError' (the row "
    "reached PostgreSQL), where a NUL in JSON is a 422 naming the field",
)
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


@pytest.mark.xfail(
    strict=True,
    reason="POST /v1/imports/stores of a 70 KB XLSX whose sheet inflates to 64 MB (a zip "
    "bomb, ratio ~900:1) is accepted (200/202) and the importer inflates the whole sheet "
    "into memory before it rejects the row; the upload's size limit counts only the "
    "compressed bytes, so a file within it can inflate to gigabytes",
)
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


@pytest.mark.xfail(
    strict=True,
    reason="POST /v1/enterprises (as every JSON route of every service) without a token and "
    "with a body that is not JSON answers 422 validation_failed (not UTF-8: 400), not 401: "
    "the body is read and judged before the caller is known",
)
@pytest.mark.parametrize("body", [b"{", "名".encode("gbk")], ids=["not_json", "not_utf8"])
def test_without_a_token_a_malformed_body_is_still_401(matrix: Matrix, body: bytes) -> None:
    _, client, _ = matrix.service("registry")
    response = client.post(
        "/v1/enterprises", content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401, response.text


@pytest.mark.xfail(
    strict=True,
    reason="GET /v1/enterprises?status=active&status=closed (and any query parameter of any "
    "service sent twice) answers 200 with the last value taken, where the document's "
    "parameter is one string: schemathesis found POST /v1/imports/stores?file_name=…&"
    "file_name=… accepted (202) as ST201 'schema-violating request accepted'",
)
def test_a_query_parameter_sent_twice_is_refused(matrix: Matrix) -> None:
    world, client, _ = matrix.service("registry")
    headers = matrix.tokens.bearer(world.claims(Role.province_admin))
    response = client.get("/v1/enterprises?status=active&status=closed", headers=headers)
    assert response.status_code in (400, 422), response.text
