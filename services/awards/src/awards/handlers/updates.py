"""A person's step as a workflow update, with the workflow's answers as problems: a validator's
refusal by its type (403/409/422), an ended workflow 409, an unreachable Temporal 503."""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from shared.http import catalogue
from shared.http.problem_types import ProblemType
from shared.http.problems import ProblemError
from shared.i18n import Text, t

# The kind of a step a workflow's update validator refused, by the refusal's type.
KIND_OF_REFUSAL = {
    "forbidden": catalogue.FORBIDDEN,
    "conflict": catalogue.STEP_REFUSED,
    "invalid": catalogue.VALIDATION_FAILED,
}


def temporal_unavailable() -> ProblemError:
    return ProblemError(
        catalogue.WORKFLOW_UNAVAILABLE,
        t(
            "无法连接流程服务（Temporal），请使用同一 Idempotency-Key 重试",
            "Temporal cannot be reached; retry with the same Idempotency-Key",
        ),
        headers={"Retry-After": "5"},
    )


def refused_step(kind: ProblemType, reason: Text) -> ProblemError:
    return ProblemError(kind, reason)


def refusal_text(cause: ApplicationError) -> Text:
    """A workflow refusal's words: its message is the English, its first detail the Chinese
    (``awards.workflows.refusals.refused``). A refusal without one names its kind's Chinese
    title."""
    english = str(cause.message)
    details = cause.details
    chinese = details[0] if details and isinstance(details[0], str) else None
    if chinese is None:
        kind = KIND_OF_REFUSAL.get(cause.type or "", catalogue.STEP_REFUSED)
        chinese = kind.title.zh
    return t(chinese, english)


async def run_update(
    handle: WorkflowHandle[Any, Any],
    update: str,
    argument: Any,
    *,
    ended: Text,
    result_type: type | None = None,
    update_id: str | None = None,
) -> Any:
    """The update named ``update`` (``ended`` says which workflow has ended). With
    ``update_id`` (the request's Idempotency-Key, ``ClaimKey.operation_id``) Temporal answers a
    repeated update with the first one's outcome instead of running it again."""
    try:
        return await handle.execute_update(update, argument, id=update_id, result_type=result_type)
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
