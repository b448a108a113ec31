"""FastAPI dependencies of the awards API (``Annotated`` aliases)."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from awards.config import AwardsSettings
from shared.http.problems import ProblemError
from shared.programmes import Programme
from shared.temporal import connect_temporal


def get_pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


def get_settings(request: Request) -> AwardsSettings:
    settings: AwardsSettings = request.app.state.settings
    return settings


def get_programmes(request: Request) -> dict[str, Programme]:
    programmes: dict[str, Programme] = request.app.state.programmes
    return programmes


async def temporal_client(request: Request) -> Client:
    """Connected on first use, so reads and refusals never wait on Temporal."""
    state = request.app.state
    async with state.temporal_lock:
        if getattr(state, "temporal", None) is None:
            settings: AwardsSettings = state.settings
            try:
                state.temporal = await asyncio.wait_for(
                    connect_temporal(
                        settings.temporal_target, namespace=settings.temporal_namespace
                    ),
                    timeout=10,
                )
            except Exception as exc:
                raise temporal_unavailable() from exc
    client: Client = state.temporal
    return client


def temporal_unavailable() -> ProblemError:
    return ProblemError(
        status=503,
        title="Workflow service unavailable",
        detail="Temporal cannot be reached; retry with the same Idempotency-Key",
        headers={"Retry-After": "5"},
    )


UNAVAILABLE = {503: {"description": "Temporal cannot be reached; retry later"}}

Pool = Annotated[asyncpg.Pool, Depends(get_pool)]
Settings = Annotated[AwardsSettings, Depends(get_settings)]
Programmes = Annotated[dict[str, Programme], Depends(get_programmes)]
Temporal = Annotated[Client, Depends(temporal_client)]


# The status of a step a workflow's update validator refused, by the refusal's type.
STATUS_OF_REFUSAL = {"forbidden": 403, "conflict": 409, "invalid": 422}


async def run_update(
    handle: WorkflowHandle[Any, Any],
    update: Any,
    argument: Any,
    *,
    title: str,
    ended: str,
    result_type: type | None = None,
) -> Any:
    """A human step as a workflow update, with its refusals as problems: the validator's
    refusal by its type (403/409/422), an ended workflow 409 (``ended`` says which), and an
    unreachable Temporal 503."""
    try:
        return await handle.execute_update(update, argument, result_type=result_type)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        kind = cause.type if isinstance(cause, ApplicationError) else None
        raise ProblemError(
            status=STATUS_OF_REFUSAL.get(kind or "", 409),
            title=title,
            detail=str(cause.message if isinstance(cause, ApplicationError) else exc),
        ) from exc
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise ProblemError(status=409, title=title, detail=ended) from exc
        raise temporal_unavailable() from exc
