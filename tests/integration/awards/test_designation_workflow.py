"""The designation workflow (dynamic management, ISSUE-12) on the time-skipping server with
the real activities against PostgreSQL: three yearly cycles in seconds. The tests move the
clock with ``environment.sleep`` (waiting on an update does not skip time, sdk-python #675)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment

from awards.consumers.handlers import TOPICS as CONSUMER_TOPICS
from awards.domain.standing import Standing
from awards.handlers.standing import with_first_plan
from awards.workflows.designation import DesignationWorkflow
from awards.workflows.types import (
    DesignationStart,
    Reinstatement,
    ViolationReport,
    designation_workflow_id,
)
from awards.workflows.worker import WORKFLOWS, build_worker
from awards.workflows.workflows import ApplicationWorkflow
from shared.china_time import CHINA
from shared.events.envelope import wrap
from shared.events.submissions import ReportAccepted, ReportSubmitted, WindowLocked
from shared.programmes import Programme
from tests.integration.awards.conftest import PROVINCE, ZUNYI, consumer_table
from tests.integration.awards.sandbox_checked import SandboxCheckedDesignation
from tests.support.polling import eventually
from tests.support.time_skipping import skip_to

HISTORIES = Path(__file__).parent / "histories"
T = TypeVar("T")


def later_programme(guizhou: Programme) -> Programme:
    """Guizhou with its annual report running 2027-2029 (the test server's clock is today's)."""
    window = guizhou.reporting_windows[0].model_copy(update={"first_year": 2027, "last_year": 2029})
    return guizhou.model_copy(update={"reporting_windows": (window,)})


@contextlib.asynccontextmanager
async def running_worker(
    environment: WorkflowEnvironment,
    pool: asyncpg.Pool,
    guizhou: Programme,
    workflows: Sequence[type] = WORKFLOWS,
) -> AsyncIterator[str]:
    """The awards worker on a queue of its own (its name yielded), Guizhou running 2027-2029."""
    task_queue = f"awards-{uuid.uuid4().hex[:8]}"
    async with build_worker(
        environment.client,
        pool,
        topic_prefix="t.",
        task_queue=task_queue,
        programmes={guizhou.id: later_programme(guizhou)},
        workflows=workflows,
    ):
        yield task_queue


@pytest.fixture
async def worker(
    environment: WorkflowEnvironment, awards_pool: asyncpg.Pool, guizhou: Programme
) -> AsyncIterator[str]:
    async with running_worker(environment, awards_pool, guizhou) as task_queue:
        yield task_queue


async def designation(pool: asyncpg.Pool, guizhou: Programme, *, year: int = 2026) -> str:
    """A designated base (application and designation rows, as the first workflow leaves them)."""
    application_id, designation_id = uuid.uuid4(), uuid.uuid4()
    async with pool.acquire() as connection:
        await connection.execute(
            "INSERT INTO applications (id, workflow_id, programme_id, year, category, "
            "entity_type, entity_id, entity_name, region_code, stage, submitted_by) "
            "VALUES ($1, $2, $3, $4, 'base', 'park', $5, '遵义市电商直播基地', '520302', "
            "'designated', 'op')",
            application_id,
            f"wf-{application_id}",
            guizhou.id,
            year,
            f"park-{application_id}",
        )
        await connection.execute(
            "INSERT INTO designations (id, application_id, programme_id, year, category, "
            "entity_type, entity_id, entity_name, region_code, title, designated_on, "
            "legal_basis, recommended_for_national) VALUES ($1, $2, $3, $4, 'base', 'park', "
            "$5, '遵义市电商直播基地', '520302', '贵州省电子商务直播示范基地', $6, "
            "'黔商发〔2023〕1号', false)",
            designation_id,
            application_id,
            guizhou.id,
            year,
            f"park-{application_id}",
            dt.date(year, 12, 1),
        )
    return str(designation_id)


async def accept_report(
    pool: asyncpg.Pool, designation_id: str, year: int, *, submitted: dt.datetime, gmv: str
) -> None:
    """What the consumer keeps from submissions.report.submitted and .accepted."""
    window_id = f"guizhou-shibaiqianwan-2023.annual-report.{year}"
    async with pool.acquire() as connection:
        await connection.execute(
            "INSERT INTO annual_reports (designation_id, window_id, year, report_id, "
            "first_submitted_at, accepted_version, accepted_figures, accepted_at) "
            "VALUES ($1, $2, $3, $4, $5, 1, $6, $5)",
            designation_id,
            window_id,
            year,
            f"r-{uuid.uuid4()}",
            submitted,
            {"monthly_live_gmv": gmv},
        )


async def standings(pool: asyncpg.Pool, designation_id: str) -> list[tuple[int, str, str]]:
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT year, step, decided_by FROM designation_standing WHERE designation_id = $1 "
            "ORDER BY seq",
            uuid.UUID(designation_id),
        )
    return [(r["year"], r["step"], r["decided_by"]) for r in rows]


async def sleep_until(environment: WorkflowEnvironment, instant: dt.datetime) -> None:
    await skip_to(environment, instant + timedelta(minutes=1))


async def start(
    client: Client,
    designation_id: str,
    task_queue: str,
    year: int,
    first_plan_from: Programme | None = None,
) -> WorkflowHandle[Any, Any]:
    """Starts the workflow as the tests' starter; with a programme, as the application's
    starter activity does (the first cycle's plan in the input)."""
    return await client.start_workflow(
        DesignationWorkflow.run,
        with_first_plan(
            DesignationStart(
                designation_id=designation_id,
                programme_id="guizhou-shibaiqianwan-2023",
                category="base",
                year=year,
            ),
            first_plan_from,
        ),
        id=designation_workflow_id(designation_id),
        task_queue=task_queue,
    )


def china(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, tzinfo=CHINA)


async def test_three_yearly_cycles_a_missing_report_a_warning_a_rectification_and_a_revocation(
    environment: WorkflowEnvironment, worker: str, awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    handle = await three_cycles(environment, worker, awards_pool, guizhou)
    await save_history(handle, "designation_three_cycles")


async def test_the_designation_workflow_keeps_to_the_sandbox_rules(
    environment: WorkflowEnvironment, awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    """The worker runs the designation workflow unsandboxed (its module says why); the same
    three cycles with the sandbox on, so a non-deterministic call in its code fails here. The
    first run takes its plan from the starter, as ``start_designation_lifecycle`` gives it."""
    checked = (ApplicationWorkflow, SandboxCheckedDesignation)
    async with running_worker(environment, awards_pool, guizhou, checked) as task_queue:
        await three_cycles(environment, task_queue, awards_pool, guizhou, first_plan=True)


async def three_cycles(
    environment: WorkflowEnvironment,
    task_queue: str,
    awards_pool: asyncpg.Pool,
    guizhou: Programme,
    *,
    first_plan: bool = False,
) -> WorkflowHandle[Any, Any]:
    designation_id = await designation(awards_pool, guizhou)
    plan = later_programme(guizhou) if first_plan else None
    handle = await start(
        environment.client, designation_id, task_queue, 2026, plan
    )  # no window in 2026
    found = lambda n: eventually(lambda: standings(awards_pool, designation_id), lambda s: len(s) >= n)  # noqa: E731 # fmt: skip

    # 2027: no report when the window locks (00:00 on 1 January 2028) → a warning
    await sleep_until(environment, china(2028, 1, 1))
    assert (await found(1))[-1] == (2027, "warned", "awards")
    state = await handle.query(DesignationWorkflow.state)
    assert state.standing is Standing.warning and state.rectify_by == dt.date(2028, 3, 31)
    # the report comes late (reopened window) and is accepted within the rectification period
    await accept_report(awards_pool, designation_id, 2027, submitted=china(2028, 2, 1), gmv="2e7")
    await sleep_until(environment, china(2028, 4, 1))
    assert (await found(2))[-1] == (2027, "rectified", "awards")

    # 2028: on time and above the threshold → good standing
    await accept_report(awards_pool, designation_id, 2028, submitted=china(2028, 12, 5), gmv="2e7")
    await sleep_until(environment, china(2029, 1, 1))
    assert (await found(3))[-1] == (2028, "good_standing", "awards")

    # 2029: missing again, and not rectified → revoked at the deadline
    await sleep_until(environment, china(2030, 1, 1))
    assert (await found(4))[-1] == (2029, "warned", "awards")
    rectify_by = (await handle.query(DesignationWorkflow.state)).rectify_by
    assert rectify_by == dt.date(2030, 4, 1)  # 90 days
    await sleep_until(environment, china(2030, 4, 2))
    assert (await found(5))[-1] == (2029, "revoked", "awards")
    async with awards_pool.acquire() as connection:
        revoked = await connection.fetchrow(
            "SELECT payload FROM outbox WHERE event_type = 'awards.designation.revoked.v1'"
        )
        status = await connection.fetchval(
            "SELECT status FROM designations WHERE id = $1", uuid.UUID(designation_id)
        )
        audited = await connection.fetchval(
            "SELECT count(*) FROM audit_log WHERE resource_id = $1", designation_id
        )
    assert status == "revoked" and audited == 5
    payload = json.loads(revoked["payload"])
    payload = payload.get("data", payload)
    assert payload["legal_basis"].startswith("黔商发〔2023〕1号")
    assert payload["evidence"]["findings"] == [{"kind": "missing_report"}]

    # the province reinstates it later (evented)
    with pytest.raises(WorkflowUpdateFailedError):  # not the city's decision
        await handle.execute_update(
            DesignationWorkflow.reinstate, Reinstatement(actor=ZUNYI, reason="已整改")
        )
    state = await handle.execute_update(
        DesignationWorkflow.reinstate, Reinstatement(actor=PROVINCE, reason="复核后恢复")
    )
    assert state.standing is Standing.good_standing
    assert (await standings(awards_pool, designation_id))[-1] == (
        2029,
        "reinstated",
        PROVINCE.subject,
    )
    return handle


async def test_a_major_violation_revokes_at_once(
    environment: WorkflowEnvironment, worker: str, awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    designation_id = await designation(awards_pool, guizhou)
    handle = await start(environment.client, designation_id, worker, 2027)
    report = ViolationReport(
        actor=PROVINCE,
        reason="虚报交易数据",
        evidence={"document": "黔商函〔2027〕12号", "finding": "2027年交易额虚报"},
    )
    state = await handle.execute_update(DesignationWorkflow.report_violation, report)
    assert state.standing is Standing.revoked
    with pytest.raises(WorkflowUpdateFailedError):  # once
        await handle.execute_update(DesignationWorkflow.report_violation, report)
    rows = await standings(awards_pool, designation_id)
    assert rows == [(2027, "revoked_for_violation", PROVINCE.subject)]
    # a revoked designation is not evaluated when its window locks
    await sleep_until(environment, china(2028, 1, 2))
    assert len(await standings(awards_pool, designation_id)) == 1


async def save_history(handle: WorkflowHandle[Any, Any], name: str) -> None:
    """For the replay test (``AWARDS_RECORD_HISTORIES=1``): the last run's history."""
    history = await handle.fetch_history()
    if os.environ.get("AWARDS_RECORD_HISTORIES"):
        (HISTORIES / f"{name}.json").write_text(history.to_json(), encoding="utf-8")


async def test_submissions_events_feed_the_evaluation_and_the_lock_triggers_it(
    environment: WorkflowEnvironment, worker: str, awards_pool: asyncpg.Pool, guizhou: Programme
) -> None:
    """The consumer keeps the report's facts from submissions events; the window's lock
    signals every designation of the programme to evaluate now, before its timer."""
    designation_id = await designation(awards_pool, guizhou)
    handle = await start(environment.client, designation_id, worker, 2027)
    window_id = "guizhou-shibaiqianwan-2023.annual-report.2027"
    common = {
        "report_id": "r-1", "window_id": window_id, "designation_id": designation_id,
        "entity_id": "park-1", "city_code": "520300", "version": 1,
    }  # fmt: skip

    async def client() -> Client:
        return environment.client

    table = consumer_table(client)  # on this test's server
    submitted = ReportSubmitted(
        **common, submitted_by="op", on_behalf=False, first=True, on_time=True
    )
    accepted = ReportAccepted(**common, accepted_by="province", figures={"monthly_live_gmv": "1"})
    locked = WindowLocked(window_id=window_id, locked_at=china(2027, 12, 31), expected=1, missing=0)
    assert {"submissions.report", "submissions.window"} <= set(CONSUMER_TOPICS)
    assert len(CONSUMER_TOPICS) == len(set(CONSUMER_TOPICS))
    async with awards_pool.acquire() as connection:
        for event, at in ((submitted, china(2027, 12, 5)), (accepted, china(2027, 12, 20))):
            await table[event.event_type](connection, event, wrap(event, source="/s", occurred_at=at))  # fmt: skip
        await table[locked.event_type](connection, locked, wrap(locked, source="/s"))
    rows = await eventually(lambda: standings(awards_pool, designation_id), lambda s: len(s) >= 1)
    assert rows == [(2027, "warned", "awards")]  # 1 CNY of monthly live GMV: below the default
    async with awards_pool.acquire() as connection:
        evidence = await connection.fetchval(
            "SELECT evidence FROM designation_standing WHERE designation_id = $1",
            uuid.UUID(designation_id),
        )
    assert evidence["findings"][0]["indicator"] == "monthly_live_gmv"
    assert (await handle.query(DesignationWorkflow.state)).standing is Standing.warning
