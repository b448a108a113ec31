"""What the rewards ledger does with the events it reads, in the consumer's inbox transaction:
finance's answers and money back, accepted annual reports (a corrected one adjusts at once),
a revoked designation (the programme's ``reward_policy.on_revocation``), and the enterprise
facts the subsidy needs (kinds, 上规入统)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from awards.db import rewards as sql
from awards.handlers.rewards import ledger
from awards.handlers.rewards.corrections import adjust_for_correction
from awards.handlers.rewards.finance import Outbox
from awards.handlers.rewards.recovery import record_reversal
from shared.programmes import Programme


async def record_finance_reversal(
    connection: asyncpg.Connection,
    *,
    award_id: uuid.UUID,
    idempotency_key: str,
    amount_fen: int,
    reference: str,
) -> bool:
    """追回 as finance reports it (``finance.payment.reversed``), in a savepoint: a refusal
    leaves nothing half-written in the consumer's transaction. A receipt already recorded is
    a no-op (False)."""
    async with connection.transaction():
        return await record_reversal(
            connection, award_id=award_id, idempotency_key=idempotency_key,
            amount_fen=amount_fen, reference=reference,
        )  # fmt: skip


async def keep_accepted_report(
    connection: asyncpg.Connection,
    programmes: Mapping[str, Programme],
    outbox: Outbox,
    *,
    report_id: str,
    version: int,
    window_id: str,
    designation_id: str | None,
    entity_id: str,
    figures: Mapping[str, Any],
    accepted_by: str,
) -> list[uuid.UUID]:
    """Keeps every accepted version; a corrected version adjusts, at once, the subsidy and
    milestones already requested or paid on an earlier one (``corrections``). Returns the
    awards that adjustment recorded."""
    programme_id, _window, year = window_id.rsplit(".", 2)  # <programme>.<window>.<year>
    kept = await connection.fetchval(
        sql.INSERT_ACCEPTED_REPORT,
        report_id,
        version,
        window_id,
        programme_id,
        int(year),
        designation_id,
        entity_id,
        dict(figures),
        accepted_by,
    )
    programme = programmes.get(programme_id)
    if kept is None or version == 1 or programme is None:
        return []  # a redelivery, or nothing earlier to correct
    return await adjust_for_correction(
        connection, programme, entity_id=entity_id, year=int(year),
        actor=f"report-correction:{accepted_by}", outbox=outbox,
    )  # fmt: skip


async def apply_revocation(
    connection: asyncpg.Connection,
    programmes: Mapping[str, Programme],
    outbox: Outbox,
    *,
    programme_id: str,
    entity_type: str,
    entity_id: str,
    reason: str | None,
) -> dict[str, list[uuid.UUID]]:
    """取消示范项目资格 (004 三(三)): what the programme's ``reward_policy.on_revocation`` says
    of the entity's awards; nothing for a programme without one."""
    programme = programmes.get(programme_id)
    if programme is None or programme.reward_policy is None:
        return {"voided": [], "flagged_for_recovery": []}
    policy = programme.reward_policy.on_revocation
    return await ledger.on_revocation(
        connection,
        programme_id=programme_id,
        entity_type=entity_type,
        entity_id=entity_id,
        cancel_unpaid=policy.cancel_unpaid,
        recover_paid=policy.recover_paid,
        reason=reason or "designation revoked (取消示范项目资格)",
        outbox=outbox,
    )


async def keep_enterprise_kinds(
    connection: asyncpg.Connection, enterprise_id: str, kinds: Sequence[str]
) -> None:
    """Cross-border (跨境电商) is an enterprise kind in the registry; the subsidy excludes it."""
    await connection.execute(sql.UPSERT_KINDS, enterprise_id, list(kinds))


async def keep_statistics_year(
    connection: asyncpg.Connection,
    *,
    enterprise_id: str,
    year: int,
    in_list: bool,
    reported_by: str,
) -> None:
    """上规入统 per year: the traffic subsidy's eligibility (004 四(二)3). The latest word for an
    enterprise and year holds, the registry's or the statistics system's; a redelivery writes
    the same row again."""
    await connection.execute(sql.UPSERT_STATISTICS_YEAR, enterprise_id, year, in_list, reported_by)
