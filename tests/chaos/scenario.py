"""One fault run: the services in replicas on the three-broker cluster, the seeds, the reports
under faults, then the checks (``tests/chaos/checks.py``). ``make chaos`` runs the full plan
(``python -m tests.chaos``); ``tests/chaos/test_broker_kill.py`` a short one."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
from aiokafka.errors import KafkaError

from shared.auth import generate_dev_keypair
from shared.programmes import load_programmes
from tests.chaos import checks, designations, rewards
from tests.chaos.faults import (
    Cluster,
    Fault,
    FaultLog,
    broker_outage,
    postgres_restart,
    replica_cycle,
    run_faults,
    temporal_restart,
)
from tests.chaos.fleet import ROLES, SERVICES, Fleet, service_env
from tests.chaos.kafka_state import group_progress, topic_names, under_replicated
from tests.chaos.load import FIGURES, LoadResult, submit_reports
from tests.chaos.programme import write_programme
from tests.chaos.receiver import WebhookReceiver
from tests.chaos.seed import (
    Reporter,
    Tokens,
    add_webhook_recipients,
    open_window,
    publish_designations,
    publish_poison,
    reporters,
)

log = logging.getLogger("chaos")

WEBHOOK_SECRET = "chaos-webhook-secret"
# The consumers that read designations: the seeds are in place once each has read them all.
DESIGNATION_READERS = ("registry", "submissions", "notifications", "awards")
POISONED_TOPICS = ("awards.designation", "submissions.report", "registry.enterprise")


@dataclass(frozen=True)
class Infra:
    """Where the run's stores are and where its own processes listen."""

    dsns: Mapping[str, str]  # service -> its database
    bootstrap: str
    temporal_target: str
    cluster_env: dict[str, str]
    http_base: int  # the APIs on base, base+10, base+20, base+30; the receiver on base+40
    work_dir: Path  # programme files and logs
    # Ports named outright (a service, or "receiver"), instead of those from http_base.
    http_ports: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    reports: int
    clients: int
    replicas: int = 2
    # Roles besides the API and how many replicas; the short run leaves out workers and
    # senders (no reminders, no Temporal faults).
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(ROLES))
    reminders: bool = True
    webhooks_per_office: int = 3
    broker_outage: tuple[float, float] | None = (0.10, 0.25)  # killed at, back at (shares)
    replica_faults: bool = True
    postgres_restart_at: float | None = 0.55
    temporal_restart_at: float | None = 0.75
    settle_seconds: float = 420
    # Reporters whose reports earn the traffic subsidy: reviewed, accepted, paid (rewards.py).
    rewarded: int = 40
    # Designations granted by awards itself and evaluated under the faults (designations.py);
    # with awards' workers only (they run the designation workflows).
    designations: int = 300


@dataclass
class Outcome:
    findings: checks.Findings
    faults: FaultLog
    load: LoadResult
    seconds: float

    @property
    def ok(self) -> bool:
        return not self.findings.failures

    def report(self) -> str:
        lines = ["faults:", *(f"  {e}" for e in self.faults.entries), "counts:"]
        lines += [f"  {line}" for line in self.findings.lines]
        lines.append(f"run took {self.seconds:.0f} s")
        if self.findings.failures:
            lines += ["FAILED:", *(f"  {f}" for f in self.findings.failures)]
        else:
            lines.append("every check passed")
        return "\n".join(lines)


async def _wait(
    what: str, condition: Callable[[], Awaitable[object]], seconds: float, interval: float = 1.0
) -> None:
    """Poll ``condition`` (async, returns a falsy value or a reason) until it holds."""
    deadline = time.monotonic() + seconds
    last = None
    while True:
        try:
            last = await condition()
        except (KafkaError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            last = repr(exc)  # a broker or the database between two states: ask again
        if last is True:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached in {seconds:.0f} s ({last})")
        await asyncio.sleep(interval)


async def _consumed(bootstrap: str, groups: tuple[str, ...], topic: str) -> object:
    progress = {p.group: p for p in await group_progress(bootstrap) if p.topic == topic}
    behind = {g: (progress[g].lag if g in progress else "no commit") for g in groups}
    return True if all(v == 0 for v in behind.values()) else behind


async def _unpublished(dsns: Mapping[str, str]) -> dict[str, int]:
    left = {}
    for service in SERVICES:
        connection = await asyncpg.connect(dsns[service])
        try:
            left[service] = await connection.fetchval(
                "SELECT count(*) FROM outbox WHERE published_at IS NULL"
            )
        finally:
            await connection.close()
    return {s: n for s, n in left.items() if n}


async def _published(dsns: Mapping[str, str]) -> object:
    left = await _unpublished(dsns)
    return True if "awards" not in left else f"{left['awards']} awards events unpublished"


async def _queued_deliveries(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        return int(
            await connection.fetchval("SELECT count(*) FROM deliveries WHERE status = 'queued'")
        )
    finally:
        await connection.close()


async def run(plan: Plan, infra: Infra) -> Outcome:
    started = time.monotonic()
    faults_log = FaultLog()
    findings = checks.Findings()
    load = LoadResult()
    programme = write_programme(infra.work_dir / "programmes")
    private_pem, public_pem = generate_dev_keypair()
    tokens = Tokens(private_pem)
    ports = {s: infra.http_ports.get(s, infra.http_base + 10 * i) for i, s in enumerate(SERVICES)}
    fleet = Fleet(
        env={
            s: service_env(
                s,
                database_url=infra.dsns[s],
                kafka=infra.bootstrap,
                temporal=infra.temporal_target,
                port=ports[s],
                public_key_pem=public_pem,
                programmes_dir=programme.directory,
            )
            for s in SERVICES
        },
        log_dir=infra.work_dir / "logs",
        http_ports=ports,
        pid_dir=Path(infra.cluster_env["CHAOS_DIR"]) / "run"
        if "CHAOS_DIR" in infra.cluster_env
        else None,
    )
    cluster = Cluster(infra.cluster_env, infra.bootstrap)
    receiver = WebhookReceiver(
        WEBHOOK_SECRET, infra.http_ports.get("receiver", infra.http_base + 40)
    )
    run_label = str(int(time.time()))
    seeded = reporters(plan.reports, run=run_label)
    evaluation: designations.EvaluationRun | None = None
    if plan.designations and "worker" in plan.roles.get("awards", ()):
        seeded, cohort = designations.make_cohort(
            seeded, start=plan.rewarded, size=plan.designations, run=run_label
        )
        evaluation = designations.EvaluationRun(
            cohort=cohort,
            programme=load_programmes(programme.directory)[programme.programme_id],
            year=programme.year,
            window_id=programme.window_id,
            dsns=infra.dsns,
        )
    awards_own = set(evaluation.cohort.ids) if evaluation else set()
    silent = set(evaluation.cohort.silent) if evaluation else set()
    reporting = [r for r in seeded if r.designation_id not in silent]
    poisoned: list[tuple[str, bytes]] = []
    finance_stop = asyncio.Event()
    reward_task: asyncio.Task[None] | None = None
    finance_task: asyncio.Task[None] | None = None
    review_task: asyncio.Task[None] | None = None
    violation_task: asyncio.Task[None] | None = None
    supervisor: asyncio.Task[None] | None = None
    try:
        await asyncio.to_thread(fleet.migrate)
        # Deferred: the submissions worker starts the window's deadline clock, whose first point
        # must find the roster complete (it is started once the window is open).
        deferred = {("submissions", "worker")}
        # The APIs first: once they answer, the modules the other roles share are compiled.
        for service in SERVICES:
            fleet.start(service, "api")
        for service in SERVICES:
            await asyncio.to_thread(fleet.wait_ready, service, 300)
        for service in SERVICES:
            roles = tuple(r for r in plan.roles.get(service, ()) if (service, r) not in deferred)
            fleet.start_roles(service, roles, plan.replicas)
        faults_log.note(f"{len(fleet.replicas)} processes up")
        supervisor = asyncio.create_task(_supervise(fleet, faults_log))
        await receiver.start()
        with httpx.Client(base_url=fleet.url("notifications"), timeout=30) as client:
            if plan.reminders:
                hooks = await asyncio.to_thread(
                    add_webhook_recipients,
                    client,
                    tokens.province(),
                    receiver.url,
                    plan.webhooks_per_office,
                    WEBHOOK_SECRET,
                )
                faults_log.note(f"{hooks} webhook recipients for the bureaus")
        if evaluation is not None:
            await evaluation.grant_and_start(infra.temporal_target)
            faults_log.note(evaluation.notes[-1])
        announced = [r for r in seeded if r.designation_id not in awards_own]
        await publish_designations(infra.bootstrap, programme, announced)
        poisoned = await publish_poison(infra.bootstrap, POISONED_TOPICS, "before")
        faults_log.note(
            f"{len(announced)} designations and {len(poisoned)} poison records published"
        )
        # Awards' own grants reach the topic through its relays.
        await _wait("awards' grants published", lambda: _published(infra.dsns), seconds=120)
        await _wait(
            "designations consumed",
            lambda: _consumed(infra.bootstrap, DESIGNATION_READERS, "awards.designation"),
            seconds=300,
        )
        with httpx.Client(base_url=fleet.url("submissions"), timeout=30) as client:
            await asyncio.to_thread(open_window, client, programme, tokens.province())
        faults_log.note(f"window {programme.window_id} opened by the province")
        if "worker" in plan.roles.get("submissions", ()):
            fleet.start_roles("submissions", ("worker",), plan.replicas)

        # The load and the faults, together.
        load_done = asyncio.Event()
        fault_list = _faults(plan, fleet, cluster, faults_log, load, load_done, evaluation)

        def progress() -> float:
            return 1.0 if load_done.is_set() else load.done / max(len(reporting), 1)

        fault_task = asyncio.create_task(run_faults(fault_list, progress, faults_log, load_done))
        rewarded = seeded[: plan.rewarded]
        rewarded_ids = {r.designation_id for r in rewarded}
        finance = rewards.Finance(infra.bootstrap)
        finance_task = asyncio.create_task(finance.run(finance_stop))
        reward_run = rewards.RewardRun()
        reward_task = (
            asyncio.create_task(
                rewards.reward_flow(
                    {s: fleet.url(s) for s in SERVICES},
                    programme,
                    rewarded,
                    tokens,
                    load.acknowledged,
                    reward_run,
                )
            )
            if rewarded
            else None
        )
        if evaluation is not None:
            review_task = asyncio.create_task(
                evaluation.reviews(fleet.url("submissions"), tokens, load.acknowledged)
            )
            violation_task = asyncio.create_task(
                evaluation.report_violations(fleet.url("awards"), tokens)
            )

        def figures(reporter: Reporter) -> dict[str, object]:
            if reporter.designation_id in rewarded_ids:
                return rewards.FIGURES
            own = evaluation.cohort.figures(reporter) if evaluation else None
            return own if own is not None else FIGURES

        await submit_reports(
            fleet.url("submissions"),
            programme.window_id,
            reporting,
            tokens,
            clients=plan.clients,
            result=load,
            figures=figures,
        )
        load_done.set()
        faults_log.note(f"load done: {len(load.acknowledged)} acknowledged in {load.seconds:.0f} s")
        await fault_task
        if reward_task is not None:
            await reward_task
            faults_log.note(f"{len(reward_run.approved)} traffic subsidies approved")
        if evaluation is not None:
            # Without the faults that signal them (a shorter plan), signalled after the load.
            if not evaluation.first_sent.is_set():
                await evaluation.signal_first()
            if "while Temporal is down" not in evaluation.signalled:
                await evaluation.wait_reviewed()
                await evaluation.signal_second()
            for task in (review_task, violation_task):
                if task is not None:
                    await task
            await _wait(
                "awards' and the registry's designation status agree",
                evaluation.agreement,
                seconds=300,
                interval=2.0,
            )
            faults_log.note("designations: awards and the registry agree")
        # Poison after the reports too: a consumer must still dead-letter it and move on.
        poisoned += await publish_poison(infra.bootstrap, ("submissions.report",), "after")
        await _settle(plan, infra, fleet)
        if reward_task is not None:
            awards_url, province = fleet.url("awards"), tokens.province()
            await _wait(
                "every award settled",
                lambda: rewards.settled(awards_url, province, reward_run),
                seconds=300,
                interval=2.0,
            )
        faults_log.note("settled: outboxes published, consumers at the end, deliveries done")

        snap = await checks.snapshot(infra.bootstrap, infra.dsns)
        await checks.stored_once(findings, infra.dsns["submissions"], programme.window_id, load)
        await checks.roster_complete(
            findings,
            fleet.url("submissions"),
            programme.window_id,
            tokens.province(),
            {r.designation_id for r in seeded},
        )
        checks.events_published(findings, snap)
        checks.applied_once(findings, snap)
        checks.dead_letters_only_poison(findings, snap, poisoned)
        if plan.reminders:
            await checks.reminders_delivered_once(
                findings, snap, infra.dsns["notifications"], receiver
            )
        if evaluation is not None:
            await evaluation.check(findings)
        if reward_task is not None:
            await rewards.paid_once(
                findings, fleet.url("awards"), tokens.province(), programme,
                reward_run, finance, len(rewarded),
            )  # fmt: skip
        fleet.restart_exited()
        if fleet.exits:
            findings.say(f"restarted after exiting by themselves: {len(fleet.exits)}")
            for exit_ in fleet.exits:
                findings.say(f"  {exit_}")
        crashed = [str(e) for e in fleet.exits if not e.at_start]
        if crashed:
            findings.fail(f"processes that exited while they ran: {crashed}")
    except Exception as exc:
        findings.fail(f"the run stopped: {type(exc).__name__}: {exc}")
        log.exception("the run stopped")
    finally:
        if supervisor is not None:
            supervisor.cancel()
        finance_stop.set()
        for task in (reward_task, finance_task, review_task, violation_task):
            if task is not None and not task.done():
                task.cancel()
        fleet.stop_all()
        await receiver.stop()
    return Outcome(findings, faults_log, load, time.monotonic() - started)


async def _supervise(fleet: Fleet, faults_log: FaultLog) -> None:
    """Restart what exits by itself, as the Deployments' restart policy does."""
    while True:
        await asyncio.sleep(2)
        for exit_ in await asyncio.to_thread(fleet.restart_exited):
            faults_log.note(f"restarted: {exit_}")


def _faults(
    plan: Plan,
    fleet: Fleet,
    cluster: Cluster,
    faults_log: FaultLog,
    load: LoadResult,
    load_done: asyncio.Event,
    evaluation: designations.EvaluationRun | None = None,
) -> list[Fault]:
    faults: list[Fault] = []
    if plan.broker_outage is not None:
        down_at, back_at = plan.broker_outage
        faults.append(
            Fault(
                down_at,
                "one broker down",
                broker_outage(
                    cluster,
                    faults_log,
                    lambda: load_done.is_set() or load.done >= back_at * plan.reports,
                ),
            )
        )
    if plan.replica_faults:
        roles = [(s, r) for s in SERVICES for r in plan.roles.get(s, ())]
        # The year's evaluation of half the cohort goes to the awards workers just before one
        # of them is killed.
        before = {("awards", "worker"): evaluation.signal_first} if evaluation else None
        faults.append(
            Fault(
                0.30,
                "a replica of each role",
                replica_cycle(fleet, faults_log, roles, 2.0, before=before),
            )
        )
    if plan.postgres_restart_at is not None:
        faults.append(
            Fault(
                plan.postgres_restart_at,
                "PostgreSQL restart",
                postgres_restart(cluster, faults_log),
            )
        )
    if plan.temporal_restart_at is not None:
        restart = temporal_restart(
            cluster, faults_log, 5.0, while_down=evaluation.signal_second if evaluation else None
        )

        async def temporal_fault() -> None:
            if evaluation is not None:
                # The other half of the evaluation is signalled while the server is down; the
                # reviewed reports it judges must have reached awards first.
                await evaluation.wait_reviewed()
            await restart()

        faults.append(Fault(plan.temporal_restart_at, "Temporal restart", temporal_fault))
    return faults


async def _settle(plan: Plan, infra: Infra, fleet: Fleet) -> None:
    """Until every outbox is published, every group is at the end of its topics, the broker
    that was down is back in sync and (with reminders) the deadline clock has spoken and every
    delivery is settled."""

    async def settled() -> object:
        left = await _unpublished(infra.dsns)
        if left:
            return f"unpublished {left}"
        lagging = {
            (p.group, p.topic): p.lag for p in await group_progress(infra.bootstrap) if p.lag
        }
        if lagging:
            return f"lagging {lagging}"
        short = await under_replicated(infra.bootstrap, await topic_names(infra.bootstrap))
        if short:
            return f"{len(short)} partitions under-replicated"
        if plan.reminders:
            progress = {p.topic for p in await group_progress(infra.bootstrap)}
            if "submissions.deadline" not in progress:
                return "no deadline event consumed yet"
            queued = await _queued_deliveries(infra.dsns["notifications"])
            if queued:
                return f"{queued} deliveries queued"
        return True

    await _wait("the system settles", settled, seconds=plan.settle_seconds, interval=2.0)
