"""Security regressions every service must pass (issue 7): who the caller is is settled
before anything is replayed, and scope claims fail closed."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from typing import Any

import pytest

from shared.auth import generate_dev_keypair
from tests.security.conftest import RunningService, assert_problem
from tests.security.services import PostCase


def post_case(service: RunningService) -> PostCase:
    if service.spec.post is None:
        pytest.skip(f"{service.spec.name} has no POST a caller repeats")
    return service.spec.post


def test_a_forged_token_never_receives_a_stored_response(
    service: RunningService, sign: Callable[..., dict[str, str]]
) -> None:
    case = post_case(service)
    body, key = case.body(), {"Idempotency-Key": secrets.token_hex(8)}
    victim = {"sub": "victim", **case.writer}
    first = service.client.post(case.path, json=body, headers={**key, **sign(**victim)})
    assert 200 <= first.status_code < 300, first.text
    mallory, _ = generate_dev_keypair()  # the victim's sub, key and body; another signature
    stolen = service.client.post(case.path, json=body, headers={**key, **sign(mallory, **victim)})
    assert_problem(stolen, 401)
    assert first.text not in stolen.text


def test_an_unauthorized_answer_is_not_replayed_to_the_corrected_retry(
    service: RunningService, sign: Callable[..., dict[str, str]]
) -> None:
    case = post_case(service)
    body, key = case.body(), {"Idempotency-Key": secrets.token_hex(8)}
    expired = sign(**case.writer, exp=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1))
    assert_problem(service.client.post(case.path, json=body, headers={**key, **expired}), 401)
    retried = service.client.post(case.path, json=body, headers={**key, **sign(**case.writer)})
    assert 200 <= retried.status_code < 300 and "Idempotent-Replayed" not in retried.headers


def test_the_same_json_in_another_key_order_is_the_same_request(
    service: RunningService, sign: Callable[..., dict[str, str]]
) -> None:
    case = post_case(service)
    body, key = case.body(), {"Idempotency-Key": secrets.token_hex(8)}
    writer = {**key, **sign(**case.writer)}
    first = service.client.post(case.path, json=body, headers=writer)
    reordered = dict(reversed(list(body.items())))
    again = service.client.post(case.path, json=reordered, headers=writer)
    assert again.status_code == first.status_code and again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


@pytest.mark.parametrize("role", ["province_admin", "city_bureau", "county_bureau"])
def test_a_regional_role_without_a_region_is_refused(
    service: RunningService, sign: Callable[..., dict[str, str]], role: str
) -> None:
    response = service.client.get(service.spec.read_path, headers=sign(roles=[role]))
    assert_problem(response, 401)


@pytest.mark.parametrize(
    "region", [520000, ["520000"], {"code": "520000"}, "52", "52000x", "520000\x00"]
)
def test_a_malformed_region_claim_is_refused(
    service: RunningService, sign: Callable[..., dict[str, str]], region: object
) -> None:
    headers = sign(roles=["province_admin"], region_code=region)
    assert_problem(service.client.get(service.spec.read_path, headers=headers), 401)


def test_a_region_of_another_level_than_the_role_is_refused(
    service: RunningService, sign: Callable[..., dict[str, str]]
) -> None:
    headers = sign(roles=["city_bureau"], region_code="520000")  # a city claiming a province
    assert_problem(service.client.get(service.spec.read_path, headers=headers), 401)


def test_an_unknown_region_code_fails_closed(
    service: RunningService, sign: Callable[..., dict[str, str]]
) -> None:
    headers = sign(roles=["province_admin"], region_code="990000")  # no such province
    response = service.client.get(service.spec.read_path, headers=headers)
    if service.spec.knows_regions:
        assert_problem(response, 403)
    else:
        assert response.status_code == 200 and response.json()["items"] == []


def test_a_token_signed_by_another_key_is_refused(
    service: RunningService, sign: Callable[..., dict[str, str]]
) -> None:
    other, _ = generate_dev_keypair()
    headers = sign(other, roles=["province_admin"], region_code="520000")
    assert_problem(service.client.get(service.spec.read_path, headers=headers), 401)


@pytest.mark.parametrize(
    "position", [{"x": 1}, {"created_at": "yesterday", "id": "1"}, {"at": [], "seq": "a"}]
)
def test_a_cursor_this_api_did_not_issue_is_a_400(
    service: RunningService, sign: Callable[..., dict[str, str]], position: dict[str, Any]
) -> None:
    """A cursor that decodes but lacks its fields, or holds values of the wrong kind, is
    refused like any malformed cursor, never a 500 (its list and the audit list alike)."""
    from shared.http.pagination import encode_cursor

    headers = sign(roles=["province_admin"], region_code="520000")
    for path in (service.spec.read_path, "/v1/audit"):
        response = service.client.get(
            path, params={"cursor": encode_cursor(position)}, headers=headers
        )
        assert_problem(response, 400)
