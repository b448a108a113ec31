"""FastAPI dependencies: the verified caller, and role requirements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from starlette.types import Scope

from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.auth.tokens import AuthenticationError, TokenVerifier
from shared.http import catalogue
from shared.http.problems import ProblemError
from shared.i18n import Text, t


def install_auth(app: FastAPI, verifier: TokenVerifier) -> None:
    app.state.token_verifier = verifier


def unauthorized(detail: Text) -> ProblemError:
    return ProblemError(catalogue.UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def bearer_token(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def verify_bearer(verifier: TokenVerifier, authorization: str | None) -> Principal:
    """The caller of an ``Authorization`` header, or the 401 problem every route answers.
    The Idempotency-Key middleware calls this too, before it looks up any stored response."""
    token = bearer_token(authorization)
    if token is None:
        raise unauthorized(t("需要 bearer 令牌", "a bearer token is required"))
    try:
        return await verifier.verify(token)
    except AuthenticationError as exc:
        raise unauthorized(t(f"令牌无效：{exc}", f"invalid token: {exc}")) from exc


# Request state: the ``Authorization`` header a middleware already verified, with its caller.
VERIFIED_STATE = "verified_bearer"


def remember_principal(scope: Scope, authorization: str | None, principal: Principal) -> None:
    """Called by a middleware that verified this request's header with the app's verifier."""
    scope.setdefault("state", {})[VERIFIED_STATE] = (authorization, principal)


async def current_principal(request: Request) -> Principal:
    authorization = request.headers.get("authorization")
    verified = getattr(request.state, VERIFIED_STATE, None)
    # The same header of the same request, verified moments ago: not a second RSA check.
    if verified is not None and verified[0] == authorization:
        principal: Principal = verified[1]
        return principal
    verifier: TokenVerifier = request.app.state.token_verifier
    return await verify_bearer(verifier, authorization)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.roles & set(roles):
            needed = ", ".join(roles)
            raise ProblemError(
                catalogue.FORBIDDEN, t(f"需要以下角色之一：{needed}", f"needs one of: {needed}")
            )
        return principal

    return check
