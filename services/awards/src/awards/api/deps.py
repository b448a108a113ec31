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
from shared.http import catalogue
from shared.http.problem_types import ProblemType
from shared.http.problems import ProblemError
from shared.i18n import Text, t
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
        catalogue.WORKFLOW_UNAVAILABLE,
        t(
            "无法连接流程服务（Temporal），请使用同一 Idempotency-Key 重试",
            "Temporal cannot be reached; retry with the same Idempotency-Key",
        ),
        headers={"Retry-After": "5"},
    )


UNAVAILABLE = {503: {"description": "Temporal cannot be reached; retry later"}}

Pool = Annotated[asyncpg.Pool, Depends(get_pool)]
Settings = Annotated[AwardsSettings, Depends(get_settings)]
Programmes = Annotated[dict[str, Programme], Depends(get_programmes)]
Temporal = Annotated[Client, Depends(temporal_client)]


# The kind of a step a workflow's update validator refused, by the refusal's type.
KIND_OF_REFUSAL = {
    "forbidden": catalogue.FORBIDDEN,
    "conflict": catalogue.STEP_REFUSED,
    "invalid": catalogue.VALIDATION_FAILED,
}


def refused_step(kind: ProblemType, reason: Text) -> ProblemError:
    return ProblemError(kind, reason)


def refusal_text(cause: ApplicationError) -> Text:
    """A workflow refusal's words: its message is the English, its first detail the Chinese
    (``awards.workflows.refuse``). A refusal without one names its kind's Chinese title."""
    english = str(cause.message)
    details = cause.details
    chinese = details[0] if details and isinstance(details[0], str) else None
    if chinese is None:
        kind = KIND_OF_REFUSAL.get(cause.type or "", catalogue.STEP_REFUSED)
        chinese = kind.title.zh
    return t(chinese, english)


async def run_update(
    handle: WorkflowHandle[Any, Any],
    update: Any,
    argument: Any,
    *,
    ended: Text,
    result_type: type | None = None,
) -> Any:
    """A human step as a workflow update, with its refusals as problems: the validator's
    refusal by its type (403/409/422), an ended workflow 409 (``ended`` says which), and an
    unreachable Temporal 503."""
    try:
        return await handle.execute_update(update, argument, result_type=result_type)
    except WorkflowUpdateFailedError as exc:
        cause = exc.cause
        if isinstance(cause, ApplicationError):
            problem_kind = KIND_OF_REFUSAL.get(cause.type or "", catalogue.STEP_REFUSED)
            raise refused_step(problem_kind, refusal_text(cause)) from exc
        raise refused_step(
            catalogue.STEP_REFUSED, t(catalogue.STEP_REFUSED.title.zh, str(exc))
        ) from exc
    except RPCError as exc:
        if exc.status is RPCStatusCode.NOT_FOUND:
            raise ProblemError(catalogue.STEP_REFUSED, ended) from exc
        raise temporal_unavailable() from exc
