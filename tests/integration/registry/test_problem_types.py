"""A refusal of the real registry says its kind (``type``, ``code``) and explains itself in
Chinese, or in English when the caller asks for it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.integration.registry.test_records_api import Auth, enterprise


def test_a_second_enterprise_with_the_same_code_is_already_registered(
    registry_api: TestClient, auth: Auth
) -> None:
    first = enterprise(registry_api, auth)
    body = {"credit_code": first["credit_code"], "name": "另一家", "region_code": "520102"}
    chinese = registry_api.post("/v1/enterprises", json=body, headers=auth())
    english = registry_api.post(
        "/v1/enterprises", json=body, headers={**auth(), "Accept-Language": "en-US,en;q=0.9"}
    )
    for response in (chinese, english):
        assert response.status_code == 409
        assert response.json()["type"] == "urn:ecommerce-programmes:problem:already_registered"
        assert response.json()["code"] == "already_registered"
    assert chinese.headers["content-language"] == "zh-CN"
    assert chinese.json()["title"] == "已登记"
    assert chinese.json()["detail"].startswith("credit_code 相同的电商企业已登记")
    assert english.headers["content-language"] == "en"
    assert english.json()["title"] == "Already registered"
    assert english.json()["detail"].startswith("the same credit_code belongs to enterprise")


def test_an_unknown_enterprise_is_not_found_in_either_language(
    registry_api: TestClient, auth: Auth
) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    chinese = registry_api.get(f"/v1/enterprises/{missing}", headers=auth())
    english = registry_api.get(
        f"/v1/enterprises/{missing}", headers={**auth(), "Accept-Language": "en"}
    )
    assert chinese.status_code == english.status_code == 404
    assert chinese.json()["code"] == english.json()["code"] == "not_found"
    assert chinese.json()["detail"] == f"未找到电商企业 {missing}"
    assert english.json()["detail"] == f"no enterprise {missing}"


def test_a_lax_value_is_refused_with_the_field_named(registry_api: TestClient, auth: Auth) -> None:
    response = registry_api.post(
        "/v1/enterprises",
        json={"credit_code": 12, "name": "某公司", "region_code": "520102"},
        headers=auth(),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed"
    assert [e["field"] for e in response.json()["errors"]] == ["body.credit_code"]
