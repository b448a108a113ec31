"""A person's step on an application (the ``/steps`` route's use case): the application found
and checked visible, the step sent to its workflow as the validated update, the
Idempotency-Key claimed once the workflow took it.

What a step needs of the application before its update (the workflow's id, and the region and
owning enterprise that decide who sees it) never changes once the application is written: no
statement updates those columns and none deletes an application. ``StepTargets`` keeps them
per process once read, so a step on an application seen before reads nothing before its update
(one round trip of a step's three). A new application's submission tells them too
(``StepTargets.remember``): the round's first step, the city's, reads nothing either. What can
change is not kept: an expert sees an application through its panel, read each time the region
and the ownership do not show it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from temporalio.client import Client

from awards.handlers.applications import may_see, visible_application
from awards.handlers.common import ClaimKey, Pool, actor_of, request_data
from awards.handlers.updates import run_update
from awards.workflows.types import TAKE_STEP, ApplicationState, StepRequest
from shared.auth.principal import Principal
from shared.i18n import t

# Applications remembered per process, the oldest forgotten first (as the token cache is bounded).
KEPT_APPLICATIONS = 10_000
_FIXED = ("workflow_id", "region_code", "owner_enterprise_id")


class StepTargets:
    """The fixed facts of the applications this process has seen, by id (one per API app)."""

    def __init__(self, size: int = KEPT_APPLICATIONS) -> None:
        self._size = size
        self._known: dict[uuid.UUID, Mapping[str, Any]] = {}

    async def workflow_of(self, pool: Pool, principal: Principal, application_id: uuid.UUID) -> str:
        """The application's workflow id if the caller may see it; a 404 problem otherwise."""
        known = self._known.get(application_id)
        if known is not None and may_see(principal, known, ()):
            return str(known["workflow_id"])
        async with pool.acquire() as connection:
            row = await visible_application(connection, principal, application_id)
        if known is None:
            self._keep(application_id, {column: row[column] for column in _FIXED})
        return str(row["workflow_id"])

    def remember(
        self,
        application_id: uuid.UUID,
        *,
        workflow_id: str,
        region_code: str,
        owner_enterprise_id: str | None,
    ) -> None:
        """A new application's fixed facts, as its submission wrote them (the workflow answers
        the submission once its first activity has written the row)."""
        self._keep(
            application_id,
            {
                "workflow_id": workflow_id,
                "region_code": region_code,
                "owner_enterprise_id": owner_enterprise_id,
            },
        )

    def facts(self, application_id: uuid.UUID) -> Mapping[str, Any] | None:
        """What this process keeps of the application, if anything."""
        return self._known.get(application_id)

    def _keep(self, application_id: uuid.UUID, facts: Mapping[str, Any]) -> None:
        if application_id in self._known:
            return
        if len(self._known) >= self._size:
            del self._known[next(iter(self._known))]
        self._known[application_id] = facts


async def take_step(
    pool: Pool,
    temporal: Client,
    targets: StepTargets,
    principal: Principal,
    application_id: uuid.UUID,
    step: dict[str, object],
    *,
    claim: ClaimKey,
) -> ApplicationState:
    """A person's step, as the workflow's validated update: a refused step is a problem and
    never enters the workflow's history. The key is claimed once the workflow took it.

    No connection is held over the update's round trip through Temporal: the read (when the
    application is not known yet) and the claim take one each (nothing is written before the
    claim, so one transaction around them changed nothing), and the callers waiting on their
    updates no longer hold the pool that the Idempotency-Key reservations and the other steps'
    reads need."""
    workflow_id = await targets.workflow_of(pool, principal, application_id)
    request = StepRequest.model_validate(
        {"actor": actor_of(principal), "request": request_data(), **step}
    )
    state: ApplicationState = await run_update(
        temporal.get_workflow_handle(workflow_id),
        TAKE_STEP,
        request,
        ended=t("该申报的流程已结束", "the application's workflow has ended"),
        result_type=ApplicationState,
        update_id=claim.operation_id,
    )
    # The claim is one statement, atomic on its own: no BEGIN and COMMIT round trips around it.
    async with pool.acquire() as connection:
        await claim(connection, state)
    return state
