"""The yearly evaluation of designations under the faults, and awards' designation status against
the registry's.

Some of the run's designations are awards' own: instead of being announced on
``awards.designation`` by the run, they are granted as the application workflow's last activity
grants them (``awards.handlers.designations.grant_designation``: awards' row, the application's
``designate`` step and ``awards.designation.granted`` through awards' outbox and its relays), on
an application row as the workflow's earlier activities leave it, and their designation
workflows are started as ``start_designation_lifecycle`` starts them (the first cycle's plan with
the input). The registry, submissions and notifications learn of them from awards' relays; their
operators report like everyone else's.

The cohort is a mix, so that every outcome of the evaluation is reached:

- **good**: the report is reviewed (city recommends, province accepts) with figures above the
  category's threshold → good standing;
- **below**: reviewed and accepted, with the run's ordinary figures, below the enterprise
  threshold (网络零售额 2000万) → warning (``below_threshold``);
- **unreviewed**: reported, never accepted → warning (``missing_report``);
- **silent**: never reported → warning (``missing_report``);
- **violated**: warned like the unreviewed, then the province reports a major violation
  (``POST /v1/designations/{id}/violations``) → revoked.

The rectification period is at least a day (``rectification_days`` ≥ 1) and its deadline is a
China-time midnight, so no re-evaluation falls within a run: the warned stay warned.

The year's evaluation is signalled as the ``submissions.window.locked`` handler signals it
(``signal_evaluation``) in two halves: the first just before the awards worker's first replica
is killed (its evaluations in flight on it), the second while Temporal's server is down (the
signals retried until it answers, as the consumer's handler is retried). The second half holds
the reviewed reports, signalled once their acceptance has reached awards' read model (the
evaluation judges what awards knows at that moment).

At the end, polling with a deadline: awards' ``designations.status`` and the registry's
``demonstration_status`` agree for every one of them, each is what its group must come to, and
``designation_standing`` holds exactly one evaluation per designation for the year.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import asyncpg
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.runtime import LoggingConfig, Runtime, TelemetryConfig, TelemetryFilter

from awards.handlers.designations import designation_id_for, grant_designation
from awards.handlers.standing import with_first_plan
from awards.handlers.standing_reports import signal_evaluation
from awards.workflows.types import (
    DESIGNATION_WORKFLOW,
    TASK_QUEUE,
    Applicant,
    DesignationStart,
    GrantRequest,
    Terms,
    designation_workflow_id,
)
from shared.china_time import CHINA
from shared.db.pool import create_pool
from shared.programmes import Programme
from shared.temporal import data_converter
from tests.chaos.checks import Findings
from tests.chaos.load import FIGURES
from tests.chaos.rewards import Api, review_and_accept
from tests.chaos.seed import Reporter, Tokens

log = logging.getLogger("chaos")

APPLICATIONS = uuid.UUID("3c1f0d2e-7a55-4a0b-9f3e-2d6c8b1a4e77")
CATEGORY = "enterprise"
ENTITY_TYPE = "enterprise"
# Above the enterprise threshold (网络零售额 ≥ 2000万), below the traffic subsidy's 2亿 of
# 实物商品网络零售额: good standing, and no reward the run's rewards would have to account for.
GOOD_FIGURES = {
    "online_retail_sales": "30000000.00",
    "physical_goods_online_retail_sales": "25000000.00",
    "live_sessions": 150,
    "workers": 60,
}
EVALUATION_STEPS = ("good_standing", "warned")


@dataclass(frozen=True)
class Expected:
    status: str  # awards' designations.status, and the registry's demonstration_status
    standing: str
    finding: str | None  # the warning's finding, if any


GOOD = Expected("designated", "good_standing", None)
BELOW = Expected("designated", "warning", "below_threshold")
MISSING = Expected("designated", "warning", "missing_report")
VIOLATED = Expected("revoked", "revoked", "missing_report")


@dataclass(frozen=True)
class Cohort:
    """Awards' own designations of the run, by group (designation ids)."""

    granted: tuple[tuple[Reporter, str], ...]  # (reporter, application id)
    good: tuple[str, ...]
    below: tuple[str, ...]
    violated: tuple[str, ...]
    silent: tuple[str, ...]
    unreviewed: tuple[str, ...]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(r.designation_id for r, _ in self.granted)

    @property
    def reviewed(self) -> tuple[str, ...]:
        return self.good + self.below

    @property
    def first_signal(self) -> tuple[str, ...]:
        """Signalled as the awards worker's replica is killed: nothing to wait for."""
        return self.violated + self.silent + self.unreviewed[::2]

    @property
    def second_signal(self) -> tuple[str, ...]:
        """Signalled while Temporal is down, once the reviewed reports have reached awards."""
        return self.good + self.below + self.unreviewed[1::2]

    def expected(self, designation_id: str) -> Expected:
        if designation_id in self.good:
            return GOOD
        if designation_id in self.below:
            return BELOW
        if designation_id in self.violated:
            return VIOLATED
        return MISSING

    def group(self, designation_id: str) -> str:
        for name in ("good", "below", "violated", "silent"):
            if designation_id in getattr(self, name):
                return name
        return "unreviewed"

    def figures(self, reporter: Reporter) -> dict[str, object] | None:
        """The figures this cohort's reporter reports (None: not one of them)."""
        if reporter.designation_id in self.good:
            return GOOD_FIGURES
        if reporter.designation_id in self.ids:
            return FIGURES
        return None


def make_cohort(
    seeded: Sequence[Reporter], *, start: int, size: int, run: str
) -> tuple[list[Reporter], Cohort]:
    """``size`` of the seeded reporters from ``start`` on become awards' own designations: their
    designation id is the one awards derives from the application (``designation_id_for``).
    Returns the reporters with those ids, and the cohort."""
    size = max(0, min(size, len(seeded) - start))
    share = max(1, size // 15) if size >= 10 else 0
    counts = {"good": max(1, size // 5), "below": share, "violated": share, "silent": share // 2}
    reporters = list(seeded)
    granted: list[tuple[Reporter, str]] = []
    for n in range(start, start + size):
        application_id = str(uuid.uuid5(APPLICATIONS, f"{run}-application-{n}"))
        reporter = dataclasses.replace(
            seeded[n], designation_id=str(designation_id_for(application_id))
        )
        reporters[n] = reporter
        granted.append((reporter, application_id))
    ids = [r.designation_id for r, _ in granted]
    groups: dict[str, tuple[str, ...]] = {}
    at = 0
    for name, count in counts.items():
        count = min(count, len(ids) - at) if size else 0
        groups[name] = tuple(ids[at : at + count])
        at += count
    return reporters, Cohort(granted=tuple(granted), unreviewed=tuple(ids[at:]), **groups)


def terms_for(programme: Programme, year: int) -> Terms:
    """The round's terms as an application of the programme's enterprise category carries them
    (``awards.handlers.submission.terms_of``, without a round open today)."""
    rounds = programme.application_rounds
    if rounds is None or rounds.awarding is None or programme.evaluation is None:
        raise ValueError(f"{programme.id} awards no designations")
    awarding = rounds.awarding
    return Terms(
        programme_id=programme.id,
        year=year,
        category=CATEGORY,
        title=programme.category(CATEGORY).title,
        city_review_due_at=dt.datetime(year, 6, 30, tzinfo=CHINA),
        panel=awarding.expert_panel,
        indicator_system=programme.evaluation.indicator_system(CATEGORY),
        public_notice=awarding.public_notice,
        legal_basis=f"{awarding.legal_basis.document_number} {awarding.legal_basis.section}",
        recommend_for_national=awarding.recommend_for_national,
    )


# The application as its workflow's activities leave it by the end of the public notice.
INSERT_APPLICATION = """
INSERT INTO applications (id, workflow_id, programme_id, year, category, entity_type, entity_id,
                          entity_name, region_code, stage, submitted_by, last_seq)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'public_notice', $10, $11)
ON CONFLICT (id) DO NOTHING
"""
NOTICE_SEQ = 20  # the steps before the designation (submission … notice), numbered by the workflow


def _entity_name(reporter: Reporter) -> str:
    return f"混沌演练企业 {reporter.entity_id[:8]}"


async def grant(dsn: str, programme: Programme, cohort: Cohort, year: int) -> int:
    """Each designation granted by awards' own use case; how many rows it wrote (a repeat writes
    none and publishes nothing)."""
    terms = terms_for(programme, year)
    today = dt.datetime.now(CHINA).date()
    pool = await create_pool(dsn, min_size=1, max_size=8)
    gate = asyncio.Semaphore(8)
    before = 0
    try:
        async with pool.acquire() as connection:
            before = int(await connection.fetchval("SELECT count(*) FROM designations"))
            await connection.executemany(
                INSERT_APPLICATION,
                [
                    (uuid.UUID(application_id), f"awards-application-{application_id}",
                     programme.id, year, CATEGORY, ENTITY_TYPE, reporter.entity_id,
                     _entity_name(reporter), reporter.region_code, "chaos-operator", NOTICE_SEQ)
                    for reporter, application_id in cohort.granted
                ],
            )  # fmt: skip

        async def one(reporter: Reporter, application_id: str) -> None:
            request = GrantRequest(
                application_id=application_id,
                terms=terms,
                applicant=Applicant(
                    entity_type=ENTITY_TYPE,
                    entity_id=reporter.entity_id,
                    entity_name=_entity_name(reporter),
                    region_code=reporter.region_code,
                ),
                designated_on=today,
                recommended_for_national=False,
                seq=NOTICE_SEQ + 1,
                at=dt.datetime.now(dt.UTC),
                actor="awards",
            )
            async with gate:
                designation_id = await grant_designation(pool, request, topic_prefix="")
            if designation_id != reporter.designation_id:
                raise RuntimeError(f"granted {designation_id} for {reporter.designation_id}")

        await asyncio.gather(*(one(r, a) for r, a in cohort.granted))
        async with pool.acquire() as connection:
            return int(await connection.fetchval("SELECT count(*) FROM designations")) - before
    finally:
        await pool.close()


async def start_lifecycles(client: Client, programme: Programme, cohort: Cohort, year: int) -> int:
    """Each designation's workflow, started as ``start_designation_lifecycle`` starts it."""
    gate = asyncio.Semaphore(16)

    async def one(designation_id: str) -> int:
        start = with_first_plan(
            DesignationStart(
                designation_id=designation_id,
                programme_id=programme.id,
                category=CATEGORY,
                year=year,
            ),
            programme,
        )
        async with gate:
            try:
                await client.start_workflow(
                    DESIGNATION_WORKFLOW,
                    start,
                    id=designation_workflow_id(designation_id),
                    task_queue=TASK_QUEUE,
                    id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                    id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                )
            except WorkflowAlreadyStartedError:
                return 0
        return 1

    return sum(await asyncio.gather(*(one(d) for d in cohort.ids)))


async def signal_until_done(
    client: Client, designation_ids: Sequence[str], year: int, seconds: float = 300
) -> tuple[int, Counter[str]]:
    """``signal_evaluation`` retried as a consumer's handler is retried until it goes through
    (a repeated signal changes nothing); how many were signalled, and what was retried."""
    retried: Counter[str] = Counter()
    deadline = time.monotonic() + seconds
    delay = 0.5
    while True:
        try:
            return await signal_evaluation(client, designation_ids, year), retried
        except Exception as exc:  # the server away: the RPC's error, or the connection's
            retried[type(exc).__name__] += 1
            if time.monotonic() > deadline:
                raise TimeoutError(f"evaluation signals not through in {seconds:.0f} s") from exc
        await asyncio.sleep(delay)
        delay = min(delay * 2, 3.0)


async def _count(dsn: str, sql: str, *args: object) -> int | None:
    """For the run's polling while PostgreSQL may be restarting (a fault of the run): ``None``
    when it cannot be read now, so the poll tries again."""
    try:
        rows = await _fetch(dsn, sql, *args)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return None
    return int(rows[0][0])


async def _fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    """One statement on a connection of its own (the run reads while processes come and go)."""
    connection = await asyncpg.connect(dsn)
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


ACCEPTED_FACTS = """
SELECT count(*) FROM annual_reports
WHERE designation_id = ANY($1::text[]) AND window_id = $2 AND accepted_figures IS NOT NULL
"""
EVALUATED = """
SELECT count(DISTINCT designation_id) FROM designation_standing
WHERE designation_id = ANY($1::uuid[]) AND year = $2 AND step = ANY($3::text[])
"""


async def accepted_in_awards(dsn: str, ids: Sequence[str], window_id: str) -> object:
    """True once awards' read model holds the accepted figures of every one of ``ids``."""
    have = await _count(dsn, ACCEPTED_FACTS, list(ids), window_id)
    if have is None:
        return "awards' database not readable now"
    return True if have == len(ids) else f"{have} of {len(ids)} accepted reports in awards"


async def evaluated(dsn: str, ids: Sequence[str], year: int) -> object:
    have = await _count(dsn, EVALUATED, list(ids), year, list(EVALUATION_STEPS))
    if have is None:
        return "awards' database not readable now"
    return True if have == len(ids) else f"{have} of {len(ids)} evaluated"


async def review(
    api: Api,
    submissions_url: str,
    window_id: str,
    reporters: Sequence[Reporter],
    tokens: Tokens,
    acknowledged: Mapping[str, str],
) -> None:
    """The city recommends and the province accepts each report once it is acknowledged."""
    province = tokens.province()
    window = f"{submissions_url}/v1/windows/{window_id}/reports"

    async def one(reporter: Reporter) -> None:
        await review_and_accept(api, window, reporter, tokens, province, acknowledged)

    for batch in range(0, len(reporters), 8):
        await asyncio.gather(*(one(r) for r in reporters[batch : batch + 8]))


@dataclass
class Violations:
    revoked: int = 0
    # 409: a retried report found it revoked by its own first attempt. The request's key is
    # the workflow update's id, so Temporal answers such a retry with the first outcome: any
    # is a defect (the run fails on it).
    already: int = 0


async def report_violations(
    api: Api, awards_url: str, ids: Sequence[str], tokens: Tokens, result: Violations
) -> None:
    """The province reports a major violation of each (one Idempotency-Key each)."""
    province = tokens.province()

    async def one(designation_id: str) -> None:
        status, body = await api.call(
            "POST",
            f"{awards_url}/v1/designations/{designation_id}/violations",
            province,
            {
                "reason": "虚报年度运营数据 (chaos run)",
                "evidence": {"inspection": f"chaos-{designation_id[:8]}"},
            },
            key=f"violation-{designation_id}",
        )
        if status == 200 and body.get("standing") == "revoked":
            result.revoked += 1
        elif status == 409:
            result.already += 1
        else:
            raise RuntimeError(f"violation of {designation_id}: {status} {body}")

    for batch in range(0, len(ids), 8):
        await asyncio.gather(*(one(d) for d in ids[batch : batch + 8]))


# --- the comparison (pure) --------------------------------------------------------------------


@dataclass(frozen=True)
class AwardsRow:
    status: str
    standing: str
    entity_id: str


@dataclass(frozen=True)
class Comparison:
    awards_status: Counter[str]
    awards_standing: Counter[str]
    registry_status: Counter[str]
    disagree: tuple[str, ...]  # designation ids whose two sides differ (or one side lacks it)
    unexpected: tuple[str, ...]  # awards' row is not what the designation's group comes to

    @property
    def agreed(self) -> bool:
        return not self.disagree and not self.unexpected


def compare(
    cohort: Cohort, awards: Mapping[str, AwardsRow], registry: Mapping[str, str]
) -> Comparison:
    """``awards``: designation id → its row; ``registry``: entity id → demonstration status."""
    disagree, unexpected = [], []
    awards_status: Counter[str] = Counter()
    standing: Counter[str] = Counter()
    registry_status: Counter[str] = Counter()
    for reporter, _ in cohort.granted:
        row = awards.get(reporter.designation_id)
        theirs = registry.get(reporter.entity_id)
        awards_status[row.status if row else "absent"] += 1
        standing[row.standing if row else "absent"] += 1
        registry_status[theirs or "absent"] += 1
        if row is None or theirs != row.status:
            disagree.append(reporter.designation_id)
        expected = cohort.expected(reporter.designation_id)
        if row is None or (row.status, row.standing) != (expected.status, expected.standing):
            unexpected.append(reporter.designation_id)
    return Comparison(awards_status, standing, registry_status, tuple(disagree), tuple(unexpected))


@dataclass(frozen=True)
class Decided:
    designation_id: str
    year: int
    step: str
    findings: tuple[str, ...]


def evaluations(
    cohort: Cohort, decisions: Iterable[Decided], year: int
) -> tuple[Counter[str], dict[str, int], list[str]]:
    """Per designation of the cohort: the steps decided for ``year``. Returns the steps counted
    (with the warnings' findings), the designations not evaluated exactly once, and those whose
    evaluation found what their group does not."""
    steps: Counter[str] = Counter()
    count: Counter[str] = Counter()
    wrong: list[str] = []
    for d in decisions:
        if d.year != year or d.designation_id not in cohort.ids:
            continue
        steps[d.step + (f" ({', '.join(d.findings)})" if d.findings else "")] += 1
        if d.step in EVALUATION_STEPS:
            count[d.designation_id] += 1
            expected = cohort.expected(d.designation_id).finding
            if (expected is None) != (d.step == "good_standing") or (
                expected is not None and expected not in d.findings
            ):
                wrong.append(d.designation_id)
    not_once = {i: count[i] for i in cohort.ids if count[i] != 1}
    return steps, not_once, wrong


# --- reading both sides -----------------------------------------------------------------------


async def read_sides(
    awards_dsn: str, registry_dsn: str, cohort: Cohort, programme_id: str
) -> tuple[dict[str, AwardsRow], dict[str, str]]:
    rows = await _fetch(
        awards_dsn,
        "SELECT id::text AS id, status, standing, entity_id FROM designations"
        " WHERE id = ANY($1::uuid[])",
        list(cohort.ids),
    )
    awards = {r["id"]: AwardsRow(r["status"], r["standing"], r["entity_id"]) for r in rows}
    rows = await _fetch(
        registry_dsn,
        "SELECT entity_id::text AS entity_id, status FROM demonstration_status"
        " WHERE programme_id = $1 AND category = $2 AND entity_type = $3"
        " AND entity_id = ANY($4::uuid[])",
        programme_id,
        CATEGORY,
        ENTITY_TYPE,
        [r.entity_id for r, _ in cohort.granted],
    )
    return awards, {r["entity_id"]: r["status"] for r in rows}


async def read_decisions(awards_dsn: str, cohort: Cohort) -> list[Decided]:
    rows = await _fetch(
        awards_dsn,
        "SELECT designation_id::text AS id, year, step, evidence FROM designation_standing"
        " WHERE designation_id = ANY($1::uuid[])",
        list(cohort.ids),
    )
    return [Decided(r["id"], r["year"], r["step"], _finding_kinds(r["evidence"])) for r in rows]


def _finding_kinds(evidence: Any) -> tuple[str, ...]:
    data = json.loads(evidence) if isinstance(evidence, str) else evidence or {}
    return tuple(sorted({f.get("kind", "?") for f in data.get("findings", [])}))


async def agreement(
    awards_dsn: str, registry_dsn: str, cohort: Cohort, programme_id: str
) -> object:
    """For the run's polling: True once both sides agree and awards' rows are what each group
    comes to; else what is still off."""
    awards, registry = await read_sides(awards_dsn, registry_dsn, cohort, programme_id)
    comparison = compare(cohort, awards, registry)
    if comparison.agreed:
        return True
    return (
        f"{len(comparison.disagree)} differ, {len(comparison.unexpected)} not yet decided as "
        f"expected; awards {dict(comparison.awards_standing)}, registry "
        f"{dict(comparison.registry_status)}"
    )


async def check(
    findings: Findings,
    awards_dsn: str,
    registry_dsn: str,
    cohort: Cohort,
    programme_id: str,
    year: int,
    signalled: Mapping[str, int],
    violations: Violations,
) -> None:
    awards, registry = await read_sides(awards_dsn, registry_dsn, cohort, programme_id)
    comparison = compare(cohort, awards, registry)
    steps, not_once, wrong = evaluations(cohort, await read_decisions(awards_dsn, cohort), year)
    groups = Counter(cohort.group(i) for i in cohort.ids)
    findings.say(
        f"designations: {len(cohort.ids)} granted by awards ({dict(groups)}); evaluation "
        f"signalled {dict(signalled)}; violations reported {violations.revoked} "
        f"({violations.already} retries refused as already revoked)"
    )
    findings.say(
        f"  awards: status {dict(comparison.awards_status)}, standing "
        f"{dict(comparison.awards_standing)}; registry: {dict(comparison.registry_status)}; "
        f"{len(comparison.disagree)} disagree"
    )
    findings.say(
        f"  decisions for {year}: {dict(steps)}; evaluated other than once: {len(not_once)}"
    )
    if violations.already:
        findings.fail(
            f"{violations.already} violation reports retried with their key were refused as "
            "already revoked instead of answered with the first attempt's outcome"
        )
    if comparison.disagree:
        entities = {r.designation_id: r.entity_id for r, _ in cohort.granted}
        sample = [(i, awards.get(i), registry.get(entities[i])) for i in comparison.disagree[:3]]
        findings.fail(
            f"{len(comparison.disagree)} designations differ between awards and the registry: "
            f"{sample}"
        )
    if comparison.unexpected:
        off = [(i, cohort.group(i), awards.get(i)) for i in comparison.unexpected[:3]]
        findings.fail(
            f"{len(comparison.unexpected)} designations not where their group leads: {off}"
        )
    if not_once:
        findings.fail(
            f"{len(not_once)} designations not evaluated exactly once: {list(not_once.items())[:3]}"
        )
    if wrong:
        findings.fail(f"{len(wrong)} evaluations found what their group does not: {wrong[:3]}")


def session() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=30),
        connector=aiohttp.TCPConnector(limit=8, force_close=True),
    )


# --- the run's side ---------------------------------------------------------------------------


async def connect(target: str) -> Client:
    """The services' client (``shared.temporal.connect_temporal``: their data converter), whose
    core logs only errors: while the server is down on purpose, each signal's retries would
    print a warning line."""
    quiet = Runtime(
        telemetry=TelemetryConfig(
            logging=LoggingConfig(filter=TelemetryFilter(core_level="ERROR", other_level="ERROR"))
        )
    )
    return await Client.connect(
        target, namespace="default", data_converter=data_converter, runtime=quiet
    )


@dataclass
class EvaluationRun:
    """What the fault run does with the cohort, and what it saw."""

    cohort: Cohort
    programme: Programme
    year: int
    window_id: str
    dsns: Mapping[str, str]
    notes: list[str] = dataclasses.field(default_factory=list)
    signalled: dict[str, int] = dataclasses.field(default_factory=dict)
    retried: Counter[str] = dataclasses.field(default_factory=Counter)
    violations: Violations = dataclasses.field(default_factory=Violations)
    client: Client | None = None
    first_sent: asyncio.Event = dataclasses.field(default_factory=asyncio.Event)

    async def grant_and_start(self, temporal_target: str) -> None:
        """Awards grants them; their workflows start (before the load, as designations
        granted earlier in the year)."""
        written = await grant(self.dsns["awards"], self.programme, self.cohort, self.year)
        self.client = await connect(temporal_target)
        started = await start_lifecycles(self.client, self.programme, self.cohort, self.year)
        self.notes.append(f"{written} designations granted by awards, {started} workflows started")

    async def _signal(self, label: str, ids: Sequence[str]) -> None:
        if self.client is None:
            raise RuntimeError("no Temporal client: grant_and_start first")
        sent, retried = await signal_until_done(self.client, ids, self.year)
        self.signalled[label] = sent
        self.retried.update(retried)
        self.notes.append(f"evaluation signalled ({label}): {sent} of {len(ids)}")
        log.info("evaluation signalled (%s): %d of %d, retried %s", label, sent, len(ids), retried)

    async def signal_first(self) -> None:
        """Just before the awards worker's replica is killed."""
        await self._signal("as an awards worker is killed", self.cohort.first_signal)
        self.first_sent.set()

    async def wait_reviewed(self, seconds: float = 240) -> None:
        """The reviewed reports' acceptance in awards' read model, before they are judged."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                state = await accepted_in_awards(
                    self.dsns["awards"], self.cohort.reviewed, self.window_id
                )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                state = repr(exc)
            if state is True:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"reviewed reports not in awards in {seconds:.0f} s: {state}")
            await asyncio.sleep(1)

    async def signal_second(self) -> None:
        """While Temporal's server is down."""
        await self._signal("while Temporal is down", self.cohort.second_signal)

    async def reviews(
        self, submissions_url: str, tokens: Tokens, acknowledged: Mapping[str, str]
    ) -> None:
        reviewed = [r for r, _ in self.cohort.granted if r.designation_id in self.cohort.reviewed]
        async with session() as http:
            api = Api(http)
            api.retried = self.retried
            await review(api, submissions_url, self.window_id, reviewed, tokens, acknowledged)
        self.notes.append(f"{len(reviewed)} reports of awards' designations accepted")

    async def report_violations(self, awards_url: str, tokens: Tokens) -> None:
        """Once the first half is evaluated: the violated ones were warned, now revoked."""
        await self.first_sent.wait()
        deadline = time.monotonic() + 300
        while (
            state := await evaluated(self.dsns["awards"], self.cohort.violated, self.year)
        ) is not True:
            if time.monotonic() > deadline:
                raise TimeoutError(f"violated designations never evaluated: {state}")
            await asyncio.sleep(1)
        async with session() as http:
            api = Api(http)
            api.retried = self.retried
            await report_violations(api, awards_url, self.cohort.violated, tokens, self.violations)
        self.notes.append(f"{len(self.cohort.violated)} violations reported")

    async def agreement(self) -> object:
        return await agreement(
            self.dsns["awards"], self.dsns["registry"], self.cohort, self.programme.id
        )

    async def check(self, findings: Findings) -> None:
        await check(
            findings, self.dsns["awards"], self.dsns["registry"], self.cohort, self.programme.id,
            self.year, self.signalled, self.violations,
        )  # fmt: skip
        if self.retried:
            findings.say(f"  the evaluation's calls retried: {dict(self.retried)}")
