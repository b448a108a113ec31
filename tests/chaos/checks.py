"""After the faults: what must hold, checked against what each store holds.

- every acknowledged report stored once (one report, one version), nothing stored that was not
  acknowledged;
- every outbox row published and in its topic (duplicates allowed: delivery is at least once);
- every event applied once by every consumer that handles its type: one inbox row per
  (consumer, source, event id), none missing, none for an event that is not in Kafka; every
  group's committed offsets at the end of its topics;
- the dead-letter topics hold exactly the poison sent on purpose;
- every reminder delivered once per recipient and channel (the delivery ledger), each webhook
  seen by the receiver.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
from aiokafka import ConsumerRecord

from tests.chaos.fleet import SERVICES
from tests.chaos.kafka_state import group_progress, read_all, topic_names
from tests.chaos.load import LoadResult
from tests.chaos.receiver import WebhookReceiver
from tests.chaos.seed import POISON

# Which consumer must apply which event types (docs/submissions.md, notifications.md,
# awards.md, registry.md): checked besides what the inboxes show, so that a consumer that
# silently applied nothing of a type cannot pass.
EXPECTED_CONSUMERS: dict[str, tuple[str, ...]] = {
    "awards.designation.granted": ("registry", "submissions", "notifications"),
    "awards.designation.warned": ("notifications",),
    "awards.designation.revoked": ("registry", "submissions", "notifications"),
    "submissions.report.submitted": ("notifications", "awards"),
    "submissions.deadline.approaching": ("notifications",),
    "submissions.deadline.passed": ("notifications",),
    "submissions.report.accepted": ("notifications", "awards"),
    "finance.payment.settled": ("awards",),
}
REMINDER_TYPES = ("submissions.deadline.approaching", "submissions.deadline.passed")


@dataclass
class Findings:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def fail(self, line: str) -> None:
        self.failures.append(line)


@dataclass(frozen=True)
class KafkaEvent:
    topic: str
    id: str
    source: str
    type: str  # without the version suffix
    data: dict[str, Any]


def base_type(event_type: str) -> str:
    name, _, version = event_type.rpartition(".v")
    return name if version.isdigit() else event_type


def _decode(record: ConsumerRecord) -> KafkaEvent | None:
    try:
        envelope = json.loads(record.value or b"")
        return KafkaEvent(
            record.topic,
            str(envelope["id"]),
            str(envelope["source"]),
            base_type(str(envelope["type"])),
            envelope.get("data") or {},
        )
    except (ValueError, KeyError, TypeError):
        return None


@dataclass
class Snapshot:
    """Kafka's topics and every service's outbox and inbox, read once at the end."""

    records: dict[str, list[ConsumerRecord]]
    events: dict[str, list[KafkaEvent]]  # topic -> decoded records (repeats kept)
    outbox: dict[str, list[asyncpg.Record]]
    inbox: dict[str, list[asyncpg.Record]]
    subscriptions: dict[str, set[str]]  # consumer group -> topics it committed on
    lag: dict[tuple[str, str], int]


async def snapshot(bootstrap: str, dsns: Mapping[str, str]) -> Snapshot:
    topics = await topic_names(bootstrap)
    records = await read_all(bootstrap, topics)
    events = {
        topic: [e for e in map(_decode, batch) if e is not None]
        for topic, batch in records.items()
        if not topic.startswith("dlq.")
    }
    outbox: dict[str, list[asyncpg.Record]] = {}
    inbox: dict[str, list[asyncpg.Record]] = {}
    for service in SERVICES:
        connection = await asyncpg.connect(dsns[service])
        try:
            outbox[service] = await connection.fetch(
                "SELECT event_id::text AS event_id, topic, event_type, published_at IS NOT NULL"
                " AS published FROM outbox"
            )
            inbox[service] = await connection.fetch(
                "SELECT consumer, source, event_id, event_type FROM inbox"
            )
        finally:
            await connection.close()
    subscriptions: dict[str, set[str]] = defaultdict(set)
    lag = {}
    for progress in await group_progress(bootstrap):
        subscriptions[progress.group].add(progress.topic)
        lag[(progress.group, progress.topic)] = progress.lag
    return Snapshot(records, events, outbox, inbox, dict(subscriptions), lag)


async def stored_once(
    findings: Findings, submissions_dsn: str, window_id: str, load: LoadResult
) -> None:
    connection = await asyncpg.connect(submissions_dsn)
    try:
        rows = await connection.fetch(
            """
            SELECT r.designation_id, count(v.number) AS versions
            FROM reports r LEFT JOIN report_versions v ON v.report_id = r.id
            WHERE r.window_id = $1 GROUP BY r.designation_id
            """,
            window_id,
        )
    finally:
        await connection.close()
    versions = {row["designation_id"]: row["versions"] for row in rows}
    acknowledged = set(load.acknowledged)
    not_once = sorted(d for d in acknowledged if versions.get(d) != 1)
    unacknowledged = sorted(d for d, n in versions.items() if n and d not in acknowledged)
    findings.say(
        f"reports: {len(acknowledged)} acknowledged ({load.replayed} as replays), "
        f"{len(load.refused)} refused, {sum(versions.values())} versions stored in "
        f"{len(versions)} reports; {load.attempts} requests, retried: "
        f"{dict(load.retried) or 'none'}; {load.seconds:.0f} s "
        f"({len(acknowledged) / max(load.seconds, 1):.1f}/s, p50 {load.percentile(0.5):.0f} ms, "
        f"p99 {load.percentile(0.99):.0f} ms)"
    )
    if load.refused:
        sample = list(load.refused.items())[:3]
        findings.fail(f"{len(load.refused)} reports never acknowledged, e.g. {sample}")
    if not_once:
        findings.fail(
            f"{len(not_once)} acknowledged reports not stored exactly once, e.g. "
            f"{[(d, versions.get(d, 0)) for d in not_once[:5]]}"
        )
    if unacknowledged:
        findings.fail(f"{len(unacknowledged)} stored but never acknowledged: {unacknowledged[:5]}")


def events_published(findings: Findings, snap: Snapshot) -> None:
    in_kafka: dict[str, Counter[str]] = {
        topic: Counter(e.id for e in events) for topic, events in snap.events.items()
    }
    for service in SERVICES:
        rows = snap.outbox[service]
        unpublished = [r["event_id"] for r in rows if not r["published"]]
        missing = [
            r["event_id"] for r in rows if in_kafka.get(r["topic"], Counter())[r["event_id"]] == 0
        ]
        copies = sum(in_kafka.get(r["topic"], Counter())[r["event_id"]] for r in rows)
        findings.say(
            f"outbox {service}: {len(rows)} events, {len(rows) - len(unpublished)} published, "
            f"{copies} records in Kafka ({copies - len(rows) + len(missing)} duplicates), "
            f"{len(missing)} missing"
        )
        if unpublished:
            findings.fail(f"{service}: {len(unpublished)} outbox rows never published")
        if missing:
            findings.fail(f"{service}: {len(missing)} published events not in Kafka: {missing[:5]}")


def applied_once(findings: Findings, snap: Snapshot) -> None:
    by_type: dict[str, list[KafkaEvent]] = defaultdict(list)
    for events in snap.events.values():
        for event in events:
            by_type[event.type].append(event)
    distinct = {t: {(e.source, e.id) for e in events} for t, events in by_type.items()}
    all_events = set().union(*distinct.values()) if distinct else set()
    for service in SERVICES:
        rows = snap.inbox[service]
        consumers = {r["consumer"] for r in rows} | {service}
        for consumer in sorted(consumers):
            applied = Counter(
                (r["source"], r["event_id"]) for r in rows if r["consumer"] == consumer
            )
            types = {base_type(r["event_type"]) for r in rows if r["consumer"] == consumer}
            types |= {
                t for t, who in EXPECTED_CONSUMERS.items() if consumer in who and t in by_type
            }
            subscribed = snap.subscriptions.get(consumer, set())
            expected = set()
            for event_type in types:
                for event in by_type.get(event_type, ()):
                    if event.topic in subscribed or not subscribed:
                        expected.add((event.source, event.id))
            missing = expected - set(applied)
            twice = [k for k, n in applied.items() if n > 1]
            foreign = set(applied) - all_events
            findings.say(
                f"inbox {consumer}: {len(applied)} events applied of {len(expected)} expected "
                f"({', '.join(sorted(types))}); missing {len(missing)}, twice {len(twice)}"
            )
            if missing:
                findings.fail(
                    f"{consumer} never applied {len(missing)} events, e.g. {sorted(missing)[:3]}"
                )
            if twice:
                findings.fail(f"{consumer} applied {len(twice)} events twice: {twice[:3]}")
            if foreign:
                findings.fail(f"{consumer} applied {len(foreign)} events that are not in Kafka")
    for event_type, who in EXPECTED_CONSUMERS.items():
        for consumer in who:
            if by_type.get(event_type) and consumer not in snap.subscriptions:
                findings.fail(
                    f"consumer group {consumer} never committed ({event_type} is in Kafka)"
                )
    lagging = {k: v for k, v in snap.lag.items() if v}
    if lagging:
        findings.fail(f"consumer groups not at the end of their topics: {lagging}")


def dead_letters_only_poison(
    findings: Findings, snap: Snapshot, poisoned: Iterable[tuple[str, bytes]]
) -> None:
    poisoned = list(poisoned)
    expected: set[tuple[str, str, bytes]] = set()
    for topic, key in poisoned:
        for group, topics in snap.subscriptions.items():
            if topic in topics:
                expected.add((group, topic, key))
    found: Counter[tuple[str, str, bytes]] = Counter()
    other = []
    for topic, records in snap.records.items():
        if not topic.startswith("dlq."):
            continue
        for record in records:
            headers = {k: v for k, v in record.headers or ()}
            consumer = headers.get("dlq.consumer", b"").decode()
            original = headers.get("dlq.original.topic", b"").decode()
            if record.value == POISON:
                found[(consumer, original, record.key or b"")] += 1
            else:
                other.append((topic, original, headers.get("dlq.error", b"")[:200]))
    # At least once, like any send: a consumer stopped between the dead letter and its
    # offset commit dead-letters the same record again when its partition is read anew.
    repeats = sum(found.values()) - len(found)
    findings.say(
        f"dead letters: {sum(found.values())} poison records ({repeats} repeats) for "
        f"{len(poisoned)} poison messages sent, {len(expected)} (consumer, message) pairs "
        f"expected; {len(other)} other"
    )
    if other:
        findings.fail(f"dead letters that were not poison: {other[:5]}")
    if set(found) != set(expected):
        findings.fail(
            f"poison dead-lettered {sorted(found)}; expected by every subscriber: {sorted(expected)}"
        )


async def reminders_delivered_once(
    findings: Findings,
    snap: Snapshot,
    notifications_dsn: str,
    receiver: WebhookReceiver,
) -> None:
    reminders = {
        e.id: e for topic in snap.events.values() for e in topic if e.type in REMINDER_TYPES
    }
    connection = await asyncpg.connect(notifications_dsn)
    try:
        deliveries = await connection.fetch(
            """
            SELECT d.id::text AS id, d.event_id, d.recipient_key, d.channel, d.status,
                   d.region_code, d.role,
                   (SELECT count(*) FROM delivery_attempts a
                    WHERE a.delivery_id = d.id AND a.outcome = 'delivered') AS delivered_attempts
            FROM deliveries d WHERE d.event_id = ANY($1::text[])
            """,
            list(reminders),
        )
        hooks = await connection.fetch(
            "SELECT id::text AS id, region_code, role FROM recipients"
            " WHERE channel = 'webhook' AND active"
        )
    finally:
        await connection.close()
    per_office = Counter((r["region_code"], r["role"]) for r in hooks)
    expected_webhooks = 0
    offices_told = 0
    for event in reminders.values():
        for missing in event.data.get("missing_by_bureau", []):
            role = "county_bureau" if missing["level"] == "county" else "city_bureau"
            expected_webhooks += per_office[(missing["region_code"], role)]
            offices_told += 1
    webhooks = [d for d in deliveries if d["channel"] == "webhook"]
    not_delivered = [d for d in deliveries if d["status"] not in ("delivered", "acknowledged")]
    # The inbox is delivered as it is written, without an attempt; every other channel's
    # delivery has the receiver's answer, once.
    not_once = [d for d in deliveries if d["channel"] != "inbox" and d["delivered_attempts"] != 1]
    unseen = [d["id"] for d in webhooks if receiver.requests[d["id"]] == 0]
    resent = sum(receiver.requests[d["id"]] - 1 for d in webhooks if receiver.requests[d["id"]] > 1)
    findings.say(
        f"reminders: {len(reminders)} deadline events, {len(deliveries)} deliveries "
        f"({Counter(d['channel'] for d in deliveries)}), {len(webhooks)} webhooks for "
        f"{expected_webhooks} expected over {offices_told} bureau lists; receiver: "
        f"{sum(receiver.requests.values())} requests, {len(receiver.refused)} refused once on "
        f"purpose, {resent} repeats of a delivered id, {receiver.bad_signatures} bad signatures"
    )
    if not reminders:
        findings.fail("no deadline reminder reached Kafka")
    if len(webhooks) < expected_webhooks:
        findings.fail(f"{expected_webhooks - len(webhooks)} webhook deliveries never queued")
    if not_delivered:
        findings.fail(
            f"{len(not_delivered)} reminders not delivered: "
            f"{Counter(d['status'] for d in not_delivered)}"
        )
    if not_once:
        findings.fail(f"{len(not_once)} deliveries without exactly one delivered attempt")
    if unseen:
        findings.fail(f"{len(unseen)} webhook deliveries the receiver never saw: {unseen[:3]}")
    if receiver.bad_signatures:
        findings.fail(f"{receiver.bad_signatures} webhook requests with a bad signature")


async def roster_complete(
    findings: Findings, submissions_url: str, window_id: str, token: str, seeded: set[str]
) -> None:
    """The window's roster, read through the API, holds every designation announced, once."""
    entries: list[str] = []
    cursor = None
    async with httpx.AsyncClient(base_url=submissions_url, timeout=60) as client:
        while True:
            params = {"limit": "500", **({"cursor": cursor} if cursor else {})}
            answer = await client.get(
                f"/v1/windows/{window_id}/roster",
                params=params,
                headers={"Authorization": f"Bearer {token}"},
            )
            if answer.status_code != 200:
                findings.fail(f"roster: {answer.status_code} {answer.text[:300]}")
                return
            page = answer.json()
            entries += [item["designation_id"] for item in page["items"]]
            cursor = page.get("next_cursor")
            if not cursor:
                break
    counted = Counter(entries)
    findings.say(
        f"roster: {len(counted)} reporters expected of {len(seeded)} designations announced"
    )
    if set(counted) != seeded or any(n > 1 for n in counted.values()):
        findings.fail(
            f"roster differs: {len(seeded - set(counted))} missing, "
            f"{len(set(counted) - seeded)} unknown, {sum(1 for n in counted.values() if n > 1)} twice"
        )
