"""Tokens and region scope, without I/O."""

from __future__ import annotations

import asyncio
import datetime as dt

import jwt
import pytest

from shared.auth import (
    AuthenticationError,
    InvalidClaims,
    Principal,
    Role,
    TokenVerifier,
    generate_dev_keypair,
    may_act_for_enterprise,
    may_act_on_entity,
    may_act_on_region,
    mint_token,
    region_contains,
)
from shared.auth.scope import (
    audit_scope,
    inbox_addresses,
    job_scope,
    may_keep_for_province,
    may_see_job,
    read_visibility,
)

PRIVATE, PUBLIC = generate_dev_keypair()


class verifier:  # reads as the factory it replaced: verifier().verify(token)
    """The verifier under test, with ``verify`` run to completion (it is async)."""

    def __init__(self) -> None:
        self._verifier = TokenVerifier(
            public_key_pem=PUBLIC, issuer="ecom-local", audience="ecom-api"
        )

    def verify(self, token: str) -> Principal:
        return asyncio.run(self._verifier.verify(token))


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
            "region_code": "520000",
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


def _signed(**claims: object) -> str:
    base = {
        "sub": "x",
        "iss": "ecom-local",
        "aud": "ecom-api",
        "exp": dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5),
    }
    return jwt.encode(base | claims, PRIVATE, algorithm="RS256")


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"roles": ["province_admin"]}, "must carry region_code"),  # once: the whole country
        ({"roles": ["city_bureau"]}, "must carry region_code"),
        ({"roles": ["county_bureau"]}, "must carry region_code"),
        ({"roles": ["province_admin"], "region_code": 520000}, "must be a string"),  # once: 500
        ({"roles": ["expert"], "region_code": ["520000"]}, "must be a string"),
        ({"roles": ["province_admin"], "region_code": "52"}, "six-digit"),
        ({"roles": ["city_bureau"], "region_code": "520000"}, "a city"),  # province-wide scope
        ({"roles": ["county_bureau"], "region_code": "520100"}, "county-level"),
        ({"roles": ["province_admin"], "region_code": "520100"}, "a province"),
        ({"roles": "province_admin", "region_code": "520000"}, "list of strings"),
        ({"roles": ["operator"], "enterprise_ids": "e-1"}, "list of strings"),
        ({"roles": ["integrator"], "grants": [1]}, "list of strings"),
        ({"roles": ["operator"], "realm_access": "x"}, "realm_access"),
    ],
)
def test_scope_claims_that_cannot_be_honoured_fail_closed(
    claims: dict[str, object], reason: str
) -> None:
    with pytest.raises(InvalidClaims, match=reason):
        verifier().verify(_signed(**claims))


def test_region_less_tokens_of_other_roles_still_verify() -> None:
    assert verifier().verify(_signed(roles=["integrator"])).region_code is None
    assert verifier().verify(_signed(roles=["operator"], enterprise_ids=["e-1"])).enterprise_ids


def test_issuer_and_subject_name_the_caller() -> None:
    caller = verifier().verify(_signed(roles=["integrator"], sub="sys-1"))
    assert caller.identity == "ecom-local|sys-1"


def test_an_operator_attaches_only_its_own_enterprises() -> None:
    operator = principal(Role.operator, enterprise_ids=frozenset({"e-1"}))
    assert may_act_for_enterprise(operator, enterprise_id="e-1", region_code="520102")
    assert not may_act_for_enterprise(operator, enterprise_id="e-2", region_code="520102")
    city = principal(Role.city_bureau, region="520100")
    assert may_act_for_enterprise(city, enterprise_id="e-2", region_code="520102")
    assert not may_act_for_enterprise(city, enterprise_id="e-3", region_code="520302")


def test_jobs_are_their_creators_and_their_administrations() -> None:
    province = principal(Role.province_admin, region="520000")
    city = principal(Role.city_bureau, region="520100")
    other_province = principal(Role.province_admin, region="630000")
    integrator = principal(Role.integrator, grants=frozenset({"write"}))
    job = {"created_by": "a-city-clerk", "region_code": "520100"}
    assert may_see_job(province, **job)
    assert may_see_job(city, **job)
    assert not may_see_job(other_province, **job)
    assert not may_see_job(integrator, **job)  # integrators read records, not others' jobs
    assert may_see_job(integrator, created_by="someone", region_code=None)  # its own
    assert not may_see_job(province, created_by="an-integrator", region_code=None)
    assert job_scope(province).region_prefixes == ("52%",)
    assert job_scope(city).region_prefixes == ("5201%",)
    assert job_scope(integrator).region_prefixes == ()


def test_read_visibility_is_the_same_rule_as_may_see_region() -> None:
    assert read_visibility(principal(Role.integrator)).everything
    assert read_visibility(principal(Role.expert)).everything
    city = read_visibility(principal(Role.city_bureau, region="520100"))
    assert not city.everything and city.region_roots == ("520100",)
    # An operator's token region gives it no region-wide view.
    operator = principal(Role.operator, region="520100", enterprise_ids=frozenset({"e-1"}))
    assert read_visibility(operator).region_roots == ()
    assert read_visibility(operator).enterprise_ids == {"e-1"}


@pytest.mark.parametrize(
    ("caller", "inside", "outside"),
    [
        (principal(Role.province_admin, region="630000"), ["630102", "632801"], ["520102", None]),
        (principal(Role.province_admin, region="520000"), ["520102", "522601"], ["630102"]),
        (principal(Role.city_bureau, region="520100"), ["520100", "520102"], ["522601", "520000"]),
        (principal(Role.county_bureau, region="520102"), ["520102"], ["520103", "520100"]),
        (principal(Role.integrator), ["520102", "630102", None], []),
        (principal(Role.integrator, grants=frozenset({"write"})), ["630102", None], []),
    ],
)
def test_the_audit_trail_is_read_over_the_regions_a_caller_administers(
    caller: Principal, inside: list[str | None], outside: list[str | None]
) -> None:
    scope = audit_scope(caller)
    assert scope is not None
    assert all(scope.covers(code) for code in inside)
    assert not any(scope.covers(code) for code in outside)


def test_the_audit_trail_filters_in_sql_by_the_same_subtree() -> None:
    qinghai = audit_scope(principal(Role.province_admin, region="630000"))
    city = audit_scope(principal(Role.city_bureau, region="520100"))
    county = audit_scope(principal(Role.county_bureau, region="520102"))
    everything = audit_scope(principal(Role.integrator))
    assert qinghai is not None and qinghai.region_patterns == ("63%",)
    assert city is not None and city.region_patterns == ("5201%",)
    assert county is not None and county.region_patterns == ("520102",)
    assert everything is not None and everything.everything and everything.region_patterns == ()


@pytest.mark.parametrize(
    "caller",
    [
        principal(Role.operator, region="520102", enterprise_ids=frozenset({"e-1"})),
        principal(Role.expert, region="520000"),
        principal(Role.expert),  # a region-less expert reads every record, not who changed it
        principal(Role.province_admin),  # refused at the token already; never "everything"
        principal(),
    ],
)
def test_others_have_no_audit_trail(caller: Principal) -> None:
    assert audit_scope(caller) is None


def test_the_inbox_is_addressed_to_an_office() -> None:
    assert inbox_addresses(principal(Role.province_admin, region="520000")) == [
        ("520000", "province_admin")
    ]
    assert inbox_addresses(principal(Role.operator, region="520000")) == []
    assert inbox_addresses(principal(Role.integrator)) == []


def test_only_the_province_keeps_its_experts_and_rewards() -> None:
    guizhou = principal(Role.province_admin, region="520000")
    assert may_keep_for_province(guizhou, region_code="520102")
    assert may_keep_for_province(guizhou, region_code="520000")
    assert not may_keep_for_province(guizhou, region_code="630102")  # Qinghai's pool
    for other in (
        principal(Role.city_bureau, region="520100"),
        principal(Role.county_bureau, region="520102"),
        principal(Role.integrator, grants=frozenset({"write"})),
        principal(Role.expert),
        principal(Role.province_admin),  # no region: never every province
    ):
        assert not may_keep_for_province(other, region_code="520102"), other
