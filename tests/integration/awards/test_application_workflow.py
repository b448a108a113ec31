"""The application workflow on the time-skipping server, with the real activities against
PostgreSQL. Waiting on an update does not skip time (sdk-python #675): the tests move the
clock with ``environment.sleep`` and take each step as an update once the clock is there."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from temporalio.api.enums.v1 import EventType
from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowExecutionStatus,
    WorkflowHandle,
    WorkflowUpdateFailedError,
)
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment

from awards.db import queries
from awards.domain.application import Stage
from awards.workflows.types import (
    ApplicationStart,
    ApplicationState,
    Submit,
    designation_workflow_id,
    workflow_id_for,
)
from awards.workflows.worker import WORKFLOWS, build_worker
from awards.workflows.workflows import ApplicationWorkflow
from shared.programmes import Programme, load_programmes
from shared.service.worker import ActivityMetricsInterceptor
from tests.integration.awards.conftest import (
    CREDIT,
    OPERATOR,
    PROGRAMMES,
    PROVINCE,
    ZUNYI,
    application_start,
    card,
    step,
)
from tests.integration.awards.sandbox_checked import (
    SandboxCheckedApplication,
    SandboxCheckedDesignation,
)
from tests.support.metric_reader import metric_reader
from tests.support.polling import until

HISTORIES = Path(__file__).parent / "histories"
# What a step runs: local activities in new histories (no activity task through the server).
STEP_ACTIVITIES = {
    "awards.record_step",
    "awards.record_steps",
    "awards.mark_scored",
    "awards.draw_panel",
    "awards.draw_panel_with_step",
    "awards.plan_notice",
    "awards.plan_notice_with_step",
}


@contextlib.asynccontextmanager
async def running_worker(
    environment: WorkflowEnvironment,
    awards_pool: asyncpg.Pool,
    workflows: Sequence[type] = WORKFLOWS,
) -> AsyncIterator[str]:
    """The awards worker on a queue of its own (its name yielded)."""
    task_queue = f"awards-{uuid.uuid4().hex[:8]}"
    async with build_worker(
        environment.client,
        awards_pool,
        topic_prefix="t.",
        task_queue=task_queue,
        programmes=load_programmes(PROGRAMMES),
        workflows=workflows,
        # as the worker role runs it: every activity attempt, local ones too, is counted
        interceptors=[ActivityMetricsInterceptor()],
    ):
        yield task_queue


@pytest.fixture
async def worker(environment: WorkflowEnvironment, awards_pool: asyncpg.Pool) -> AsyncIterator[str]:
    async with running_worker(environment, awards_pool) as task_queue:
        yield task_queue


@pytest.fixture
def activity_metrics(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemoryMetricReader]:
    """The worker's activity metrics (``worker.activity.*``) read in the test: ``shared.metrics``
    rebuilt on a provider of this test's own, and rebuilt as it was afterwards."""
    yield from metric_reader(monkeypatch)


def activity_failures(reader: InMemoryMetricReader, activity_type: str) -> int:
    """Failed attempts of an activity so far, as ``worker.activity.failures`` counts them."""
    data = reader.get_metrics_data()
    if data is None:
        return 0
    return sum(
        int(point.value)
        for resource in data.resource_metrics
        for scope in resource.scope_metrics
        for metric in scope.metrics
        if metric.name == "worker.activity.failures"
        for point in metric.data.data_points
        if (point.attributes or {}).get("activity_type") == activity_type
    )


async def submit(
    client: Client, start: ApplicationStart, task_queue: str
) -> tuple[WorkflowHandle[Any, Any], ApplicationState]:
    operation = WithStartWorkflowOperation(
        ApplicationWorkflow.run,
        start,
        id=workflow_id_for(start.application_id),
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        task_queue=task_queue,
    )
    state = await client.execute_update_with_start_workflow(
        ApplicationWorkflow.submit,
        Submit(application_id=start.application_id),
        start_workflow_operation=operation,
        id=f"submit-{start.application_id}",
    )
    return await operation.workflow_handle(), state


async def take(handle: WorkflowHandle[Any, Any], request: Any) -> ApplicationState:
    return await handle.execute_update(ApplicationWorkflow.take_step, request)


async def steps_of(pool: asyncpg.Pool, application_id: str) -> list[asyncpg.Record]:
    async with pool.acquire() as connection:
        return list(
            await connection.fetch(
                "SELECT * FROM application_steps WHERE application_id = $1 ORDER BY seq",
                uuid.UUID(application_id),
            )
        )


async def outbox_types(pool: asyncpg.Pool) -> list[str]:
    async with pool.acquire() as connection:
        rows = await connection.fetch("SELECT event_type FROM outbox ORDER BY id")
    return [row["event_type"] for row in rows]


async def activities_of(handle: WorkflowHandle[Any, Any]) -> tuple[set[str], int]:
    """The activity types scheduled through the server, and how many local activities ran."""
    history = await handle.fetch_history()
    scheduled = {
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    }
    local = sum(
        1
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
    )
    return scheduled, local


async def local_activity_types(handle: WorkflowHandle[Any, Any]) -> list[str]:
    """The local activities that ran, in order, as their markers name them."""
    history = await handle.fetch_history()
    return [
        json.loads(event.marker_recorded_event_attributes.details["data"].payloads[0].data)[
            "activity_type"
        ]
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]


async def panel_of(pool: asyncpg.Pool, application_id: str) -> list[asyncpg.Record]:
    async with pool.acquire() as connection:
        return list(
            await connection.fetch(
                "SELECT * FROM application_panel WHERE application_id = $1 ORDER BY expert_id",
                uuid.UUID(application_id),
            )
        )


async def save_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """Records the history for the replay test when asked (``AWARDS_RECORD_HISTORIES=1``)."""
    history = await handle.fetch_history()
    if not os.environ.get("AWARDS_RECORD_HISTORIES"):
        return
    HISTORIES.mkdir(exist_ok=True)
    (HISTORIES / f"{name}.json").write_text(history.to_json(), encoding="utf-8")


async def test_a_round_from_submission_to_designation_with_a_return_a_conflict_and_an_objection(
    environment: WorkflowEnvironment, worker: str, awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    handle = await round_with_a_return_a_conflict_and_an_objection(
        environment, worker, awards_pool, guizhou
    )
    await save_history(handle, "designated_with_return_conflict_objection")


async def test_the_application_workflow_keeps_to_the_sandbox_rules(
    environment: WorkflowEnvironment, awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    """The worker runs the application workflow unsandboxed (its module says why); the same
    round with the sandbox on, so a non-deterministic call in its code (or in
    ``application_steps``) fails here."""
    checked = (SandboxCheckedApplication, SandboxCheckedDesignation)
    async with running_worker(environment, awards_pool, checked) as task_queue:
        await round_with_a_return_a_conflict_and_an_objection(
            environment, task_queue, awards_pool, guizhou
        )


async def round_with_a_return_a_conflict_and_an_objection(
    environment: WorkflowEnvironment, worker: str, awards_pool: asyncpg.Pool, guizhou: Programme
) -> WorkflowHandle[Any, Any]:
    client = environment.client
    now = await environment.get_current_time()
    start = application_start(guizhou, due_at=now + timedelta(days=30))
    handle, state = await submit(client, start, worker)
    assert state.stage is Stage.city_review
    # a retried submission reaches the same workflow and answers the same
    again, state = await submit(client, start, worker)
    assert again.id == handle.id and state.stage is Stage.city_review

    # a wrong step is refused by the validator and never enters the history
    with pytest.raises(WorkflowUpdateFailedError):
        await take(handle, step("decide", PROVINCE, approve=True))
    with pytest.raises(WorkflowUpdateFailedError):
        await take(handle, step("city_recommend", PROVINCE, rank=1))

    state = await take(handle, step("city_return", ZUNYI, reason="申报书缺少入驻企业名单"))
    assert state.stage is Stage.returned
    state = await take(handle, step("resubmit", OPERATOR, materials={"resident_list": True}))
    assert state.stage is Stage.city_review
    await take(handle, step("city_recommend", ZUNYI, rank=1))
    await take(
        handle,
        step(
            "record_document_review",
            PROVINCE,
            passed=True,
            findings=[{"material": "written_application", "ok": True}],
        ),
    )
    await take(handle, step("schedule_site_visit", PROVINCE, visit_on=dt.date(2026, 12, 1)))
    state = await take(handle, step("record_site_visit", PROVINCE, passed=True, reason="场地属实"))
    assert state.stage is Stage.expert_evaluation

    state = await take(handle, step("assign_experts", PROVINCE))
    assert len(state.panel) == 3 and not {"e-zunyi", "e-related"} & set(state.panel)
    leaving = state.panel[0]
    expert = lambda subject: step.__globals__["ActorData"](subject=subject, roles=("expert",))  # noqa: E731
    state = await take(handle, step("declare_conflict", expert(leaving), reason="曾任该基地顾问"))
    assert leaving not in state.panel and len(state.panel) == 3

    first, second, third = state.panel
    await take(handle, step("score", expert(first), scores=card(guizhou, "0.9")))
    with pytest.raises(WorkflowUpdateFailedError):  # one card per expert
        await take(handle, step("score", expert(first), scores=card(guizhou, "0.1")))
    state = await take(handle, step("score", expert(second), scores=card(guizhou, "0.7")))
    assert state.score is None  # hidden until every card is in
    state = await take(handle, step("score", expert(third), scores=card(guizhou, "0.5")))
    assert state.stage is Stage.decision and state.passed and state.score == 70

    state = await take(handle, step("decide", PROVINCE, approve=True))
    assert state.stage is Stage.public_notice and state.notice_last_day is not None
    await environment.sleep(timedelta(days=1))
    await take(
        handle,
        step(
            "file_objection",
            PROVINCE,
            objector_name="张三",
            objector_contact="13800000000",
            reason="入驻企业数量不实",
        ),
    )
    await environment.sleep(timedelta(days=20))  # paused: nothing is designated meanwhile
    assert (await handle.query(ApplicationWorkflow.state)).stage is Stage.objection
    state = await take(
        handle, step("resolve_objection", PROVINCE, upheld=False, reason="经核实不成立")
    )
    assert state.stage is Stage.public_notice
    assert state.notice_last_day is not None
    # Updates leave the server's clock to the test (#675): move it past the notice's end.
    now = await environment.get_current_time()
    ends = dt.datetime.combine(state.notice_last_day, dt.time(16), dt.UTC)  # 00:00 CST next day
    await environment.sleep(ends - now + timedelta(minutes=1))
    final = await handle.result()
    assert final.stage is Stage.designated and final.designation_id
    # the designation's own workflow started with it (dynamic management); Guizhou's annual
    # report runs every year while designations are in force (004 三(三)), so it keeps running
    lifecycle = client.get_workflow_handle(designation_workflow_id(final.designation_id))
    described = await lifecycle.describe()
    assert described.status is WorkflowExecutionStatus.RUNNING
    steps = [row["step"] for row in await steps_of(awards_pool, start.application_id)]
    assert steps == [
        "submit", "city_return", "resubmit", "city_recommend", "record_document_review",
        "schedule_site_visit", "record_site_visit", "assign_experts", "declare_conflict",
        "score", "score", "score", "evaluation_result", "decide", "file_objection",
        "resolve_objection", "designate",
    ]  # fmt: skip
    types = await outbox_types(awards_pool)
    assert types[0] == "awards.application.submitted.v1"
    assert types[-1] == "awards.designation.granted.v1"
    assert types.count("awards.designation.granted.v1") == 1
    # the steps' activities ran locally; the submission and the designation through the server
    scheduled, local = await activities_of(handle)
    assert not scheduled & STEP_ACTIVITIES
    assert {"awards.record_submission", "awards.grant_designation"} <= scheduled
    assert local >= len(steps) - 2  # every step but the submission and the designation
    # a card marks its expert's seat scored in the score step's own write, not an activity
    ran = await local_activity_types(handle)
    assert "awards.mark_scored" not in ran
    # the last card and the evaluation's result are written by one activity, and a panel
    # drawn (assigned, then a member replaced) by the activity that writes its step
    assert ran.count("awards.record_steps") == 1
    assert ran.count("awards.draw_panel_with_step") == 2 and "awards.draw_panel" not in ran
    # and the approval's notice planned by the activity that writes the decision's step
    assert ran.count("awards.plan_notice_with_step") == 1
    assert ran.count("awards.record_step") == len(steps) - 2 - 2 - 2 - 1  # not submit, designate
    seated = [row for row in await panel_of(awards_pool, start.application_id) if row["seated"]]
    assert len(seated) == 3 and all(row["scored"] for row in seated)
    assert not [row for row in await panel_of(awards_pool, start.application_id) if row["scored"]
                and not row["seated"]]  # fmt: skip
    return handle


async def test_an_overdue_city_review_is_escalated_and_keeps_waiting(
    environment: WorkflowEnvironment, worker: str, awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    now = await environment.get_current_time()
    start = application_start(guizhou, due_at=now + timedelta(days=10))
    handle, _ = await submit(environment.client, start, worker)
    await environment.sleep(timedelta(days=11))
    assert "awards.review.overdue.v1" in await outbox_types(awards_pool)
    state = await take(handle, step("city_reject", ZUNYI, reason="不符合申报条件"))
    assert state.stage is Stage.rejected
    final = await handle.result()
    assert final.stage is Stage.rejected
    assert (await outbox_types(awards_pool)).count("awards.review.overdue.v1") == 1
    scheduled, local = await activities_of(handle)
    assert scheduled == {"awards.record_submission"} and local == 2  # overdue, rejected
    await save_history(handle, "overdue_then_rejected")


async def test_a_blocking_credit_record_stops_an_application(
    environment: WorkflowEnvironment, worker: str, awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    now = await environment.get_current_time()
    start = application_start(guizhou, due_at=now + timedelta(days=10))
    handle, _ = await submit(environment.client, start, worker)
    state = await take(handle, step("stop", CREDIT, reason="失信被执行人 (信用中国)"))
    assert state.stage is Stage.stopped
    assert (await handle.result()).stage is Stage.stopped


async def test_a_panel_too_small_keeps_the_step_waiting_until_experts_are_added(
    environment: WorkflowEnvironment,
    activity_metrics: InMemoryMetricReader,
    worker: str,
    awards_pool: asyncpg.Pool,
    guizhou: Programme,
) -> None:
    """The panel's local activity fails with ``PanelShort`` and is retried, as the server
    retried the regular activity: the same update answers once the pool has the experts. A
    local activity's attempts never reach the server's history, so the test counts them where
    an operator would, in the worker's activity metrics."""
    now = await environment.get_current_time()
    start = application_start(guizhou, due_at=now + timedelta(days=30))
    handle, _ = await submit(environment.client, start, worker)
    await take(handle, step("city_recommend", ZUNYI, rank=1))
    await take(handle, step("record_document_review", PROVINCE, passed=True))
    await take(handle, step("schedule_site_visit", PROVINCE, visit_on=dt.date(2026, 12, 1)))
    await take(handle, step("record_site_visit", PROVINCE, passed=True))

    async def experts_active(active: bool) -> None:
        async with awards_pool.acquire() as connection:
            for n in range(1, 7):  # one eligible expert left: a panel of three is short
                await connection.execute(
                    queries.UPSERT_EXPERT, f"e-{n}", f"专家{n}", "520100", [], active
                )

    await experts_active(False)
    assigning = asyncio.create_task(take(handle, step("assign_experts", PROVINCE)))

    async def drawn_short_twice() -> bool:  # the second attempt 5 s after the first (backoff)
        return activity_failures(activity_metrics, "awards.draw_panel_with_step") >= 2

    await until(drawn_short_twice, seconds=60, message="the panel's draw did not fail twice")
    assert not assigning.done()
    assert "assign_experts" not in [
        r["step"] for r in await steps_of(awards_pool, start.application_id)
    ]
    await experts_active(True)
    state = await asyncio.wait_for(assigning, timeout=60)
    assert state.stage is Stage.expert_evaluation and len(state.panel) == 3
    steps = [row["step"] for row in await steps_of(awards_pool, start.application_id)]
    assert steps.count("assign_experts") == 1
