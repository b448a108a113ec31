"""Defects the hostile-input and authorization tests found, each a strict xfail until it is
fixed (then the xfail fails, and the marker and the matrix's known-defect entry go).

Awards (the matrix's world, ``authz_worlds/awards.py``): the expert pool is the province's
(专家库由省厅维护), yet every province administrator reads and writes every province's
experts; and a reward's routes look the award up before they ask whether the caller may see
it, so an award that exists is 403 where one that does not is 404.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.security.authz_running import Matrix
from tests.security.authz_worlds.awards import AwardsWorld

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
