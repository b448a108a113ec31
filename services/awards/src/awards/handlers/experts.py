"""Use cases of the expert pool: the province reads and replaces an expert (audited), and the
application workflow's activities draw a panel and mark a card scored.

A replacement holds the expert's row lock from the If-Match comparison to the commit, so two
province officials editing the same expert never overwrite each other unseen."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from awards.db import queries, repository
from awards.domain.experts import Panel, Replacement, assign_panel, replace_member
from awards.handlers.common import Connection, Pool, Row
from awards.workflows.types import PanelRequest, PanelResult
from shared import audit
from shared.auth.principal import Principal
from shared.auth.roles import Role
from shared.auth.scope import may_keep_for_province
from shared.http.problems import forbidden, not_found
from shared.i18n import t

# Raises the HTTP precondition's problem unless the current representation (None: there is
# none yet) is the one the caller read; the route renders the representation and its tag.
Precondition = Callable[[Row | None], None]


EXPERT = t("评审专家", "expert")


def require_province(principal: Principal) -> None:
    if Role.province_admin not in principal.roles or principal.region_code is None:
        raise forbidden(t("专家库由省厅维护", "the province keeps the expert pool"))


def _visible(principal: Principal, expert_id: str, row: Row | None) -> Row | None:
    """The expert's row, None when there is none; an expert of another province's pool is
    answered as absent (``may_keep_for_province``), so its id is never confirmed."""
    if row is not None and not may_keep_for_province(principal, region_code=row["region_code"]):
        raise not_found(EXPERT, expert_id)
    return row


async def read_expert(pool: Pool, principal: Principal, expert_id: str) -> Row:
    require_province(principal)
    async with pool.acquire() as connection:
        row = await connection.fetchrow(queries.EXPERT, expert_id)
    found = _visible(principal, expert_id, row)
    if found is None:
        raise not_found(EXPERT, expert_id)
    return found


@dataclass(frozen=True)
class ExpertFields:
    name: str
    region_code: str
    declared_relations: list[str]
    active: bool


async def put_expert(
    pool: Pool,
    principal: Principal,
    expert_id: str,
    fields: ExpertFields,
    *,
    precondition: Precondition,
) -> Row:
    """Creates or replaces the expert; the row as stored. The province adds experts to its
    own pool only (403), and another province's expert is absent to it (404), before any
    precondition is compared (a 412 or 428 would confirm the expert exists)."""
    require_province(principal)
    if not may_keep_for_province(principal, region_code=fields.region_code):
        raise forbidden(
            t(
                f"只能将专家纳入本省专家库（{fields.region_code} 不在本省）",
                f"experts join the caller's own province's pool ({fields.region_code} is not "
                "in it)",
            )
        )
    async with pool.acquire() as connection, connection.transaction():
        current = await connection.fetchrow(queries.EXPERT_FOR_UPDATE, expert_id)
        precondition(_visible(principal, expert_id, current))
        # An upsert returns its row.
        row = cast(
            Row,
            await connection.fetchrow(
                queries.UPSERT_EXPERT,
                expert_id,
                fields.name,
                fields.region_code,
                fields.declared_relations,
                fields.active,
            ),
        )
        await audit.record_change(
            connection,
            actor=audit.Actor.of(principal),
            action="expert.updated",
            resource_type="expert",
            resource_id=expert_id,
            region_code=fields.region_code,
            after={
                "name": fields.name,
                "region_code": fields.region_code,
                "declared_relations": fields.declared_relations,
                "active": fields.active,
            },
        )
    return row


async def draw_panel(pool: Pool, request: PanelRequest) -> PanelResult:
    """Seats a panel drawn in an order fixed by the application id, or replaces the member
    who declared a conflict. ``PanelShort`` when the pool is too small (writes nothing)."""
    async with pool.acquire() as connection, connection.transaction():
        return await seat_panel(connection, request)


async def seat_panel(connection: Connection, request: PanelRequest) -> PanelResult:
    """``draw_panel`` in the caller's transaction (the panel's step may be written with it)."""
    application_id = uuid.UUID(request.application_id)
    experts = await repository.expert_pool(connection)
    if request.replace_expert_id is None:
        panel = assign_panel(
            experts,
            size=request.size,
            application_id=request.application_id,
            applicant_region=request.region_code,
            applicant_entity_id=request.entity_id,
        )
    else:
        seated = await repository.panel(connection, application_id)
        replaced = tuple((r["expert_id"], r["conflict"] or "") for r in seated if not r["seated"])
        panel = replace_member(
            _as_panel(request.current_members, replaced),
            experts,
            expert_id=request.replace_expert_id,
            reason=request.conflict_reason or "declared_relation",
            application_id=request.application_id,
            applicant_region=request.region_code,
            applicant_entity_id=request.entity_id,
        )
    await _seat(connection, application_id, panel)
    return PanelResult(
        members=panel.members,
        replaced=tuple((r.expert_id, r.reason) for r in panel.replacements),
    )


async def _seat(connection: Connection, application_id: uuid.UUID, panel: Panel) -> None:
    # The same statements in the same order, each batch sent at once (asyncpg pipelines
    # executemany): one round trip for a panel's seats instead of one per member.
    if panel.replacements:
        await connection.executemany(
            queries.UNSEAT_EXPERT,
            [(application_id, r.expert_id, r.reason) for r in panel.replacements],
        )
    await connection.executemany(
        queries.SEAT_EXPERT, [(application_id, member) for member in panel.members]
    )


async def mark_scored(pool: Pool, application_id: str, expert_id: str) -> None:
    async with pool.acquire() as connection:
        await connection.execute(queries.MARK_SCORED, uuid.UUID(application_id), expert_id)


def _as_panel(members: tuple[str, ...], replaced: tuple[tuple[str, str], ...]) -> Panel:
    return Panel(
        members=members, replacements=tuple(Replacement(e, why, None) for e, why in replaced)
    )
