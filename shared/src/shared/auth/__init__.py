"""Bearer-token authentication, roles, and the one scope module (``shared.auth.scope``)."""

from shared.auth.dependencies import (
    CurrentPrincipal,
    current_principal,
    install_auth,
    require_roles,
)
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.auth.scope import (
    may_act_for_enterprise,
    may_act_on_entity,
    may_act_on_region,
    may_change_region,
    may_see_region,
    region_contains,
)
from shared.auth.tokens import (
    AuthenticationError,
    InvalidClaims,
    TokenVerifier,
    generate_dev_keypair,
    mint_token,
    principal_from_claims,
)

__all__ = [
    "AuthenticationError",
    "CurrentPrincipal",
    "InvalidClaims",
    "Principal",
    "Role",
    "TokenVerifier",
    "current_principal",
    "generate_dev_keypair",
    "install_auth",
    "may_act_for_enterprise",
    "may_act_on_entity",
    "may_act_on_region",
    "may_change_region",
    "may_see_region",
    "mint_token",
    "principal_from_claims",
    "region_contains",
    "require_roles",
]
