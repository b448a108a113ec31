"""What the ledger tells finance beyond amounts: who is paid, under which rule, and what is
owed back, so finance can pay or collect without asking back (docs/rewards.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg

from awards.config import DEFAULT_EVENT_SOURCE
from awards.db import rewards as sql
from awards.domain.rewards.working import yuan
from shared.events.rewards import RecoveryDue
from shared.messaging.outbox import append_events
from shared.programmes import Programme
from shared.settings import ServiceSettings


@dataclass(frozen=True)
class Outbox:
    """Where the ledger's events go: the deployment's topic prefix and CloudEvents source."""

    topic_prefix: str = ""
    source: str = DEFAULT_EVENT_SOURCE

    @classmethod
    def of(cls, settings: ServiceSettings) -> Outbox:
        return cls(settings.kafka_topic_prefix, settings.event_source)


async def payee(connection: asyncpg.Connection, award: asyncpg.Record) -> dict[str, Any]:
    """The enterprise paid (the entity, or the operator of a park, base or team) as the
    registry last said; a fact awards has not received stays None rather than guessed."""
    row = await connection.fetchrow(sql.PAYEE, award["entity_type"], award["entity_id"])
    found = dict(row) if row is not None else {}
    return {
        "payee_entity_id": found.get("payee_entity_id"),
        "payee_name": found.get("payee_name"),
        "payee_credit_code": found.get("payee_credit_code"),
        "region_code": award["region_code"] or found.get("region_code"),
    }


def rule_terms(programme: Programme | None, award: asyncpg.Record) -> dict[str, Any]:
    """The programme's title, the reward's Chinese name and its legal basis (document number
    and section of the rule) and the award's cap."""
    terms: dict[str, Any] = {"max_amount": str(yuan(award["max_fen"]))}
    if programme is None:
        return terms
    terms["programme_title"] = programme.name
    reward = next((r for r in programme.rewards if r.id == award["reward_id"]), None)
    if reward is not None:
        terms["kind_name"] = reward.name
        terms["legal_basis"] = " ".join(
            part for part in (programme.document_number, reward.source_ref.section) if part
        )
    return terms


async def announce_recovery(
    connection: asyncpg.Connection,
    outbox: Outbox,
    *,
    award: asyncpg.Record,
    amount_fen: int,
    reason: str,
) -> None:
    """``awards.payment.recovery_due``, written with the ``recovery_flagged`` entry: finance
    learns what to collect, for which of its payments, from whom."""
    # An adjustment's money was paid under the award it adjusts; a remainder was paid under
    # its own key, so it names itself.
    adjustment = award["kind"].endswith("_adjustment")
    paid_award_id = award["adjusts"] if adjustment and award["adjusts"] else award["id"]
    key = await connection.fetchval(sql.IDEMPOTENCY_KEY, paid_award_id)
    event = RecoveryDue(
        award_id=str(award["id"]),
        paid_award_id=str(paid_award_id),
        idempotency_key=key,
        programme_id=award["programme_id"],
        entity_type=award["entity_type"],
        entity_id=award["entity_id"],
        year=award["year"],
        amount=str(yuan(amount_fen)),
        reason=reason,
        **await payee(connection, award),
    )
    await append_events(connection, [event], source=outbox.source, topic_prefix=outbox.topic_prefix)
