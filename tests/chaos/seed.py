"""What must exist before the reports: designations (as the awards service announces them, on
``awards.designation``), the offices' webhook recipients, the open window; and the tokens the
callers present.

Designations reach every service that keeps them the way production's do: the registry (its
demonstration status), submissions (the roster), notifications (addresses) and awards consume
the events. One undecodable record per consumed topic is poison on purpose: each consumer must
dead-letter it, and the dead letters must hold nothing else.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import httpx

from shared.auth import mint_token
from shared.events.designations import DesignationGranted
from shared.events.envelope import wrap
from shared.messaging.kafka import create_producer
from tests.chaos.programme import PROVINCE, ChaosProgramme

# Guizhou's counties (GB/T 2260, in force): reporters are spread over all of them, so that a
# reminder goes to every county and city bureau of the province.
COUNTIES = (
    "520102 520103 520111 520112 520113 520115 520121 520122 520123 520181 520201 520203 "
    "520204 520281 520302 520303 520304 520322 520323 520324 520325 520326 520327 520328 "
    "520329 520330 520381 520382 520402 520403 520422 520423 520424 520425 520502 520521 "
    "520523 520524 520525 520526 520527 520581 520602 520603 520621 520622 520623 520624 "
    "520625 520626 520627 520628 522301 522302 522323 522324 522325 522326 522327 522328 "
    "522601 522622 522623 522624 522625 522626 522627 522628 522629 522630 522631 522632 "
    "522633 522634 522635 522636 522701 522702 522722 522723 522725 522726 522727 522728 "
    "522729 522730 522731 522732"
).split()
CITIES = tuple(sorted({code[:4] + "00" for code in COUNTIES}))
SEED_SOURCE = "/ecom/chaos-seed"
CONTENT_TYPE = b"application/cloudevents+json; charset=utf-8"
NAMESPACE = uuid.UUID("8f7e3a52-5a0e-4c55-9a43-6f1c1b1e0c01")
POISON = b"chaos: not a CloudEvents envelope"


@dataclass(frozen=True)
class Reporter:
    designation_id: str
    entity_id: str
    region_code: str


def reporters(count: int, run: str) -> list[Reporter]:
    return [
        Reporter(
            designation_id=f"chaos-{run}-{n:05d}",
            entity_id=str(uuid.uuid5(NAMESPACE, f"{run}-{n}")),
            region_code=COUNTIES[n % len(COUNTIES)],
        )
        for n in range(count)
    ]


class Tokens:
    def __init__(self, private_pem: str) -> None:
        self._private_pem = private_pem

    def mint(self, **claims: object) -> str:
        return mint_token(
            private_key_pem=self._private_pem,
            issuer="ecom-local",
            audience="ecom-api",
            ttl_seconds=4 * 3600,
            **claims,  # type: ignore[arg-type]
        )

    def province(self) -> str:
        return self.mint(subject="chaos-province", roles=["province_admin"], region_code=PROVINCE)

    def operator(self, reporter: Reporter) -> str:
        return self.mint(
            subject=f"operator-{reporter.designation_id}",
            roles=["operator"],
            enterprise_ids=[reporter.entity_id],
        )


async def publish_designations(
    bootstrap: str, programme: ChaosProgramme, seeded: Sequence[Reporter]
) -> None:
    producer = create_producer(bootstrap, client_id="chaos-seed")
    await producer.start()
    try:
        sends = []
        for reporter in seeded:
            event = DesignationGranted(
                designation_id=reporter.designation_id,
                programme_id=programme.programme_id,
                category="enterprise",
                entity_type="enterprise",
                entity_id=reporter.entity_id,
                region_code=reporter.region_code,
                title="贵州省商务示范企业",
                designated_on=dt.date(programme.year - 1, 6, 1),
                year=programme.year - 1,
            )
            envelope = wrap(event, source=SEED_SOURCE)
            sends.append(
                await producer.send(
                    event.topic,
                    value=envelope.model_dump_json(exclude_none=True).encode(),
                    key=reporter.designation_id.encode(),
                    headers=[("content-type", CONTENT_TYPE)],
                )
            )
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def publish_poison(
    bootstrap: str, topics: Iterable[str], label: str
) -> list[tuple[str, bytes]]:
    """One record that is no envelope on each topic: (topic, key) of each."""
    producer = create_producer(bootstrap, client_id="chaos-poison")
    await producer.start()
    sent = []
    try:
        for topic in topics:
            key = f"chaos-poison-{label}-{topic}".encode()
            await producer.send_and_wait(topic, value=POISON, key=key)
            sent.append((topic, key))
    finally:
        await producer.stop()
    return sent


def open_window(client: httpx.Client, programme: ChaosProgramme, token: str) -> None:
    response = client.post(
        "/v1/windows",
        json={
            "programme_id": programme.programme_id,
            "window": "annual-report",
            "year": programme.year,
        },
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": f"open-{programme.window_id}",
        },
    )
    if response.status_code not in (200, 201):
        raise RuntimeError(f"opening {programme.window_id}: {response.status_code} {response.text}")


def add_webhook_recipients(
    client: httpx.Client, token: str, receiver: str, per_office: int, secret: str
) -> int:
    """``per_office`` signed webhooks for every county and city bureau and the province."""
    offices = [(c, "county_bureau") for c in COUNTIES] + [(c, "city_bureau") for c in CITIES]
    offices.append((PROVINCE, "province_admin"))
    added = 0
    for region, role in offices:
        for n in range(per_office):
            response = client.post(
                "/v1/recipients",
                json={
                    "region_code": region,
                    "role": role,
                    "name": f"{role} {region} hook {n}",
                    "channel": "webhook",
                    "address": f"{receiver}/hook/{role}/{region}/{n}",
                    "secret": secret,
                },
                headers={
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": f"recipient-{role}-{region}-{n}",
                },
            )
            if response.status_code != 201:
                raise RuntimeError(
                    f"recipient {region}/{role}: {response.status_code} {response.text}"
                )
            added += 1
    return added
