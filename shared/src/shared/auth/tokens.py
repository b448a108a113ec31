"""Bearer JWTs (RS256) as an OIDC provider such as Keycloak issues them, verified against a
configured public key or the provider's JWKS."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.auth.principal import Principal
from shared.auth.roles import Role

ALGORITHMS = ["RS256"]


class AuthenticationError(Exception):
    pass


class TokenVerifier:
    def __init__(
        self,
        *,
        public_key_pem: str | None = None,
        jwks_url: str | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        leeway_seconds: int = 30,
    ) -> None:
        self._public_key = public_key_pem
        self._jwks_url = jwks_url
        self._jwks_client: jwt.PyJWKClient | None = None  # made on first use, not here
        self._issuer = issuer
        self._audience = audience
        self._leeway = leeway_seconds

    def _key_for(self, token: str) -> Any:
        if self._public_key:
            return self._public_key
        if self._jwks_url:
            if self._jwks_client is None:
                self._jwks_client = jwt.PyJWKClient(self._jwks_url, cache_keys=True, lifespan=300)
            return self._jwks_client.get_signing_key_from_jwt(token).key
        raise AuthenticationError("no token key is configured")

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                key=self._key_for(token),
                algorithms=ALGORITHMS,
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway,
                options={"require": ["exp", "sub"], "verify_aud": self._audience is not None},
            )
        except (jwt.PyJWTError, ValueError) as exc:
            raise AuthenticationError(str(exc)) from exc
        return principal_from_claims(claims)


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    names = list(claims.get("roles") or []) + list(
        (claims.get("realm_access") or {}).get("roles") or []
    )
    roles = frozenset(Role(name) for name in names if name in Role.__members__)
    return Principal(
        subject=str(claims["sub"]),
        roles=roles,
        region_code=claims.get("region_code"),
        enterprise_ids=frozenset(str(e) for e in claims.get("enterprise_ids") or []),
        grants=frozenset(str(g) for g in claims.get("grants") or []),
    )


def mint_token(
    *,
    private_key_pem: str,
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
