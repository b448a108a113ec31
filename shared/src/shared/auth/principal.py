"""Who is calling: the verified token's subject, issuer, roles and scope claims.

What a caller may see or change is decided in ``shared.auth.scope``, nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.auth.roles import Role


@dataclass(frozen=True)
class Principal:
    subject: str
    roles: frozenset[Role]
    region_code: str | None = None
    enterprise_ids: frozenset[str] = field(default_factory=frozenset)
    grants: frozenset[str] = field(default_factory=frozenset)
    issuer: str | None = None

    @property
    def identity(self) -> str:
        """Issuer and subject: one caller, even when two identity providers reuse a ``sub``."""
        return f"{self.issuer or ''}|{self.subject}"
