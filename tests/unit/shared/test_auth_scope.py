"""Tokens and region scope, without I/O."""

from __future__ import annotations

import datetime as dt

import jwt
import pytest

from shared.auth import (
    AuthenticationError,
    Principal,
    Role,
    TokenVerifier,
    generate_dev_keypair,
    may_act_on_entity,
    may_act_on_region,
    mint_token,
    region_contains,
)

PRIVATE, PUBLIC = generate_dev_keypair()


def verifier() -> TokenVerifier:
    return TokenVerifier(public_key_pem=PUBLIC, issuer="ecom-local", audience="ecom-api")


def principal(*roles: Role, region: str | None = None, **extra: object) -> Principal:
    return Principal(subject="someone", roles=frozenset(roles), region_code=region, **extra)  # type: ignore[arg-type]


def test_a_minted_token_verifies_into_its_principal() -> None:
    token = mint_token(
        private_key_pem=PRIVATE,
        subject="alice",
        roles=["city_bureau", "nonsense"],
        region_code="520100",
        grants=["write"],
    )
    caller = verifier().verify(token)
    assert caller.subject == "alice"
    assert caller.roles == {Role.city_bureau}  # unknown role names are ignored
    assert caller.region_code == "520100"
    assert caller.grants == {"write"}


def test_keycloak_realm_roles_are_read() -> None:
    token = jwt.encode(
        {
            "sub": "kc",
            "realm_access": {"roles": ["province_admin"]},
            "iss": "ecom-local",
            "aud": "ecom-api",
            "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        },
        PRIVATE,
        algorithm="RS256",
    )
    assert verifier().verify(token).roles == {Role.province_admin}


@pytest.mark.parametrize(
    "change",
    [
        {"iss": "someone-else"},
        {"aud": "another-api"},
        {"exp": dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)},
    ],
)
def test_wrong_issuer_audience_or_expiry_is_refused(change: dict[str, object]) -> None:
    claims = {
        "sub": "x",
        "roles": [],
        "iss": "ecom-local",
        "aud": "ecom-api",
        "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
        **change,
    }
    with pytest.raises(AuthenticationError):
        verifier().verify(jwt.encode(claims, PRIVATE, algorithm="RS256"))


def test_unsigned_and_hmac_tokens_are_refused() -> None:
    claims = {
        "sub": "x",
        "iss": "ecom-local",
        "aud": "ecom-api",
        "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
    }
    for token in (
        jwt.encode(claims, None, algorithm="none"),
        jwt.encode(claims, "secret" * 8, algorithm="HS256"),
    ):
        with pytest.raises(AuthenticationError):
            verifier().verify(token)


def test_a_token_signed_by_another_key_is_refused() -> None:
    other_private, _ = generate_dev_keypair()
    token = mint_token(private_key_pem=other_private, subject="mallory", roles=["province_admin"])
    with pytest.raises(AuthenticationError):
        verifier().verify(token)


@pytest.mark.parametrize(
    ("ancestor", "code", "inside"),
    [
        ("520000", "520102", True),
        ("520000", "630100", False),
        ("520100", "520102", True),
        ("520100", "520302", False),
        ("520102", "520102", True),
        ("520102", "520103", False),
    ],
)
def test_region_containment_follows_the_code(ancestor: str, code: str, inside: bool) -> None:
    assert region_contains(ancestor, code) is inside


def test_each_role_acts_where_it_may() -> None:
    province = principal(Role.province_admin, region="520000")
    city = principal(Role.city_bureau, region="520100")
    integrator = principal(Role.integrator)
    granted = principal(Role.integrator, grants=frozenset({"write"}))
    expert = principal(Role.expert, region="520000")
    assert may_act_on_region(province, "520302", write=True)
    assert not may_act_on_region(province, "630100", write=False)
    assert may_act_on_region(city, "520102", write=True)
    assert not may_act_on_region(city, "520302", write=False)
    assert may_act_on_region(integrator, "630100", write=False)
    assert not may_act_on_region(integrator, "630100", write=True)
    assert may_act_on_region(granted, "630100", write=True)
    assert may_act_on_region(expert, "520102", write=False)
    assert not may_act_on_region(expert, "520102", write=True)


def test_an_operator_acts_on_its_own_enterprises_records_only() -> None:
    operator = principal(Role.operator, enterprise_ids=frozenset({"e-1"}))
    assert may_act_on_entity(operator, region_code="520102", owner_enterprise_id="e-1", write=True)
    assert not may_act_on_entity(
        operator, region_code="520102", owner_enterprise_id="e-2", write=False
    )
    assert not may_act_on_region(operator, "520102", write=False)
