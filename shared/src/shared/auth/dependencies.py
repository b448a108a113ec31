"""FastAPI dependencies: the verified caller, and role requirements."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, FastAPI, Request

from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.auth.tokens import AuthenticationError, TokenVerifier
from shared.http.problems import ProblemError


def install_auth(app: FastAPI, verifier: TokenVerifier) -> None:
    app.state.token_verifier = verifier


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(
        status=401, title="Unauthorized", detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


async def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("a bearer token is required")
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        return verifier.verify(token.strip())
    except AuthenticationError as exc:
        raise _unauthorized(f"invalid token: {exc}") from exc


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.roles & set(roles):
            raise ProblemError(
                status=403, title="Forbidden", detail=f"needs one of: {', '.join(roles)}"
            )
        return principal

    return check
