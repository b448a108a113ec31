"""Registry use cases: each writes its state change, history and outbox rows in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg

from registry.db import repository
from registry.domain.credit_code import (
    InvalidCreditCode,
    normalise_credit_code,
    validate_credit_code,
)
from shared.events import EnterpriseRegistered
from shared.messaging.outbox import append_events

EVENT_SOURCE = "/services/registry"


class EnterpriseAlreadyRegistered(Exception):
    def __init__(self, existing_id: uuid.UUID, existing_name: str) -> None:
        super().__init__(f"credit code already registered to enterprise {existing_id}")
        self.existing_id = existing_id
        self.existing_name = existing_name


@dataclass(frozen=True, kw_only=True)
class RegisterEnterprise:
    credit_code: str
    name: str
    region_code: str
    kinds: list[str]
    contact_phone: str | None = None
    contact_email: str | None = None
    legacy_code_reason: str | None = None


async def register_enterprise(
    pool: asyncpg.Pool, *, command: RegisterEnterprise, actor: str, topic_prefix: str
) -> asyncpg.Record:
    """Register an enterprise: one credit code, one enterprise (a duplicate names the first)."""
    credit_code = normalise_credit_code(command.credit_code)
    override = None
    try:
        validate_credit_code(credit_code)
    except InvalidCreditCode:
        if not command.legacy_code_reason:
            raise
        # An audited exception for early pilot codes that predate the check character.
        override = {"approved_by": actor, "reason": command.legacy_code_reason}
    enterprise_id = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        existing = await repository.enterprise_by_credit_code(connection, credit_code)
        if existing is not None:
            raise EnterpriseAlreadyRegistered(existing["id"], existing["name"])
        try:
            async with connection.transaction():  # a savepoint, so the look-up below can run
                row = await repository.insert_enterprise(
                    connection,
                    enterprise_id=enterprise_id,
                    credit_code=credit_code,
                    credit_code_override=override,
                    name=command.name,
                    region_code=command.region_code,
                    kinds=command.kinds,
                    contact_phone=command.contact_phone,
                    contact_email=command.contact_email,
                    created_by=actor,
                )
        except asyncpg.UniqueViolationError:
            # Another request registered the same code between our look-up and insert.
            existing = await repository.enterprise_by_credit_code(connection, credit_code)
            assert existing is not None
            raise EnterpriseAlreadyRegistered(existing["id"], existing["name"]) from None
        await repository.record_change(
            connection,
            entity_type="enterprise",
            entity_id=enterprise_id,
            version=1,
            action="registered",
            changed_by=actor,
            old_values=None,
            new_values=dict(row),
        )
        await append_events(
            connection,
            [
                EnterpriseRegistered(
                    enterprise_id=str(enterprise_id),
                    credit_code=credit_code,
                    name=command.name,
                    region_code=command.region_code,
                    kinds=command.kinds,
                    registered_by=actor,
                )
            ],
            source=EVENT_SOURCE,
            topic_prefix=topic_prefix,
        )
    return row
