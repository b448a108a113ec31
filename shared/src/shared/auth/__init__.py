"""Bearer-token authentication, roles, and region scope."""

from shared.auth.dependencies import (
    CurrentPrincipal,
    current_principal,
    install_auth,
    require_roles,
)
from shared.auth.principal import Principal, may_act_on_entity, may_act_on_region, region_contains
from shared.auth.roles import Role
from shared.auth.tokens import (
    AuthenticationError,
    TokenVerifier,
    generate_dev_keypair,
    mint_token,
    principal_from_claims,
)

__all__ = [
    "AuthenticationError",
    "CurrentPrincipal",
    "Principal",
    "Role",
    "TokenVerifier",
    "current_principal",
    "generate_dev_keypair",
    "install_auth",
    "may_act_on_entity",
    "may_act_on_region",
    "mint_token",
    "principal_from_claims",
    "region_contains",
    "require_roles",
]
