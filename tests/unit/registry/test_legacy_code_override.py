"""The audited override for legacy credit codes waives the check character, nothing else."""

from __future__ import annotations

from typing import Any

import pytest

from registry.handlers.enterprises import prepare_enterprise
from shared.auth import Principal, Role
from shared.http.problems import ProblemError

PROVINCE = Principal(
    subject="admin-1", roles=frozenset({Role.province_admin}), region_code="520000"
)
CITY = Principal(subject="city-1", roles=frozenset({Role.city_bureau}), region_code="520100")
WRONG_CHECK = "91350211M00013FA1N"  # well formed; its check character should be another


def values(code: str, reason: str | None = "颁发于2015年前的旧代码") -> dict[str, Any]:
    return {
        "credit_code": code,
        "name": "某公司",
        "region_code": "520102",
        "legacy_code_reason": reason,
    }


def test_a_province_admin_may_waive_a_wrong_check_character_with_a_reason() -> None:
    prepared = prepare_enterprise(values(WRONG_CHECK), PROVINCE)
    assert prepared["credit_code"] == WRONG_CHECK
    override = prepared["credit_code_override"]
    assert override["approved_by"] == "admin-1"
    assert "check character" in override["check_failure"]


@pytest.mark.parametrize(
    "code", ["ABC", "%", "\x01\x02" * 9, "91350211M00013FA1%", "91350211I00013FA1N"]
)
def test_the_override_never_accepts_a_malformed_code(code: str) -> None:
    with pytest.raises(ProblemError) as refused:
        prepare_enterprise(values(code), PROVINCE)
    assert refused.value.status == 422
    assert refused.value.extra["errors"][0]["field"] == "body.credit_code"


def test_the_override_needs_a_reason_and_a_province_admin() -> None:
    for principal, reason in ((PROVINCE, None), (CITY, "旧代码")):
        with pytest.raises(ProblemError) as refused:
            prepare_enterprise(values(WRONG_CHECK, reason), principal)
        assert refused.value.status == 422
