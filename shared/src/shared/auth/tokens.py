"""Bearer JWTs (RS256) as an OIDC provider such as Keycloak issues them, verified against a
configured public key or the provider's JWKS."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth.jwks import JwksKeySet, UnknownSigningKey
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.auth.scope import claims_problem

ALGORITHMS = ["RS256"]
# Verified tokens remembered (per process) so that a caller's next requests with the same token
# skip the RSA check; bounded, the oldest forgotten first.
VERIFIED_CACHE_SIZE = 10_000


def _prepared(public_key_pem: str | None) -> Any:
    """The configured key parsed once, as PyJWT parses it on every ``decode`` of a PEM text
    (first as a private key, then as a public one: an exception and two parses per request).
    A text it cannot parse stays text, so each verification fails as before (401)."""
    if not public_key_pem:
        return public_key_pem
    try:
        return jwt.get_algorithm_by_name("RS256").prepare_key(public_key_pem)
    except (jwt.PyJWTError, ValueError, TypeError):
        return public_key_pem


class AuthenticationError(Exception):
    pass


class InvalidClaims(AuthenticationError):
    """A validly signed token whose claims cannot be honoured (fail closed: 401)."""


class TokenVerifier:
    """Verifies bearer tokens. ``verify`` is async: with a JWKS it may have to fetch keys, and
    that must never block the event loop (see ``shared.auth.jwks``).

    A token that verified is remembered with its caller until its ``exp`` (without the
    leeway, so never longer than ``decode`` would accept it) and only while its signing key is
    the one that verified it (a JWKS refresh that drops or replaces the key forgets it): the
    same token again costs a dict look-up instead of an RSA check. Nothing else a verification
    checks can change with time once it passed (signature, issuer, audience, ``nbf``, ``iat``,
    the claims' shape). Tokens that fail are never remembered."""

    def __init__(
        self,
        *,
        public_key_pem: str | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        leeway_seconds: int = 30,
        jwks_min_refetch_seconds: float = 30.0,
    ) -> None:
        self._public_key = _prepared(public_key_pem)
        self._jwks = (
            JwksKeySet(jwks_url, min_refetch_seconds=jwks_min_refetch_seconds)
            if jwks_url and not public_key_pem
            else None
        )
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds
        # token -> (caller, exp as epoch seconds, the key that verified it)
        self._verified: dict[str, tuple[Principal, float, Any]] = {}

    async def _key_for(self, token: str) -> Any:
        if self._public_key:
            return self._public_key
        if self._jwks is None:
            raise AuthenticationError("no token key is configured")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise AuthenticationError(str(exc)) from exc
        if kid is not None and not isinstance(kid, str):
            raise AuthenticationError("kid must be a string")
        try:
            return await self._jwks.key_for(kid)
        except UnknownSigningKey as exc:
            raise AuthenticationError(str(exc)) from exc

    async def verify(self, token: str) -> Principal:
        key = await self._key_for(token)
        remembered = self._verified.get(token)
        if remembered is not None:
            principal, expires, verified_with = remembered
            if key is verified_with and time.time() < expires:
                return principal
            del self._verified[token]
        try:
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise AuthenticationError(str(exc)) from exc
        principal = principal_from_claims(claims)
        self._remember(token, principal, claims["exp"], key)
        return principal

    def _remember(self, token: str, principal: Principal, exp: Any, key: Any) -> None:
        if not isinstance(exp, int | float) or isinstance(exp, bool):
            return
        if len(self._verified) >= VERIFIED_CACHE_SIZE:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, float(exp), key)


def _strings(claims: Mapping[str, Any], name: str) -> list[str]:
    value = claims.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidClaims(f"{name} must be a list of strings")
    return value


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """The caller a verified token names. Claims of the wrong type, and scope claims that the
    rules of ``shared.auth.scope`` cannot honour, raise ``InvalidClaims`` (401), never a 500
    later and never a wider scope."""
    realm = claims.get("realm_access") or {}
    if not isinstance(realm, Mapping):
        raise InvalidClaims("realm_access must be an object")
    names = _strings(claims, "roles") + _strings(realm, "roles")
    region = claims.get("region_code")
    if region is not None and not isinstance(region, str):
        raise InvalidClaims("region_code must be a string")
    subject, issuer = claims["sub"], claims.get("iss")
    if not isinstance(subject, str) or not subject or not isinstance(issuer, str | None):
        raise InvalidClaims("sub and iss must be strings")
    principal = Principal(
        subject=subject,
        roles=frozenset(Role(name) for name in names if name in Role.__members__),
        region_code=region,
        enterprise_ids=frozenset(_strings(claims, "enterprise_ids")),
        grants=frozenset(_strings(claims, "grants")),
        issuer=issuer,
    )
    problem = claims_problem(principal)
    if problem is not None:
        raise InvalidClaims(problem)
    return principal


def mint_token(
    *,
    private_key_pem: str | rsa.RSAPrivateKey,
    subject: str,
    roles: Iterable[str],
    region_code: str | None = None,
    enterprise_ids: Iterable[str] = (),
    grants: Iterable[str] = (),
    issuer: str = "ecom-local",
    audience: str = "ecom-api",
    ttl_seconds: int = 3600,
    kid: str | None = None,
) -> str:
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "roles": list(roles),
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "exp": now + dt.timedelta(seconds=ttl_seconds),
        "jti": str(uuid.uuid4()),
    }
    if region_code:
        claims["region_code"] = region_code
    if enterprise_ids:
        claims["enterprise_ids"] = list(enterprise_ids)
    if grants:
        claims["grants"] = list(grants)
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, private_key_pem, algorithm="RS256", headers=headers)


def generate_dev_keypair() -> tuple[str, str]:
    """A fresh RSA key pair (private PEM, public PEM) for development and tests."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem
