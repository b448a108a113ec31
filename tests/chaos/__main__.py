"""``make chaos``: the full fault run on the production-shaped stack that
``deploy/local/chaos/run.sh`` has started (its ``cluster.sh env`` in the environment).

Prints the faults as they happened and the counts, exits 1 when a check fails.
``CHAOS_REPORTS`` (default 10,000) and ``CHAOS_CLIENTS`` (48) size the load;
``CHAOS_HTTP_PORT`` (18401 plus ``CHAOS_PORT_OFFSET``) is the first of the run's own ports (the
APIs 10 apart, then the webhook receiver).
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import asyncpg

from tests.chaos.fleet import SERVICES
from tests.chaos.scenario import Infra, Plan, run


async def _databases(admin_dsn: str) -> dict[str, str]:
    base, _, _ = admin_dsn.rpartition("/")
    connection = await asyncpg.connect(admin_dsn)
    try:
        for service in SERVICES:
            await connection.execute(f'DROP DATABASE IF EXISTS "{service}" WITH (FORCE)')
            await connection.execute(f'CREATE DATABASE "{service}"')
    finally:
        await connection.close()
    return {service: f"{base}/{service}" for service in SERVICES}


async def main() -> int:
    logging.basicConfig(level=logging.INFO, format="[chaos] %(message)s", stream=sys.stdout)
    # The run's own Kafka clients (finance, the checks) complain while a broker is down.
    for noisy in ("aiokafka", "httpx", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    env = os.environ
    if "CHAOS_KAFKA_BOOTSTRAP_SERVERS" not in env:
        print("run it through deploy/local/chaos/run.sh (make chaos)", file=sys.stderr)
        return 2
    plan = Plan(
        reports=int(env.get("CHAOS_REPORTS", "10000")),
        clients=int(env.get("CHAOS_CLIENTS", "48")),
    )
    infra = Infra(
        dsns=await _databases(env["CHAOS_DATABASE_ADMIN_URL"]),
        bootstrap=env["CHAOS_KAFKA_BOOTSTRAP_SERVERS"],
        temporal_target=env["CHAOS_TEMPORAL_TARGET"],
        cluster_env={
            k: v for k, v in env.items() if k.startswith(("CHAOS_", "PG_", "KAFKA_", "TEMPORAL_"))
        },
        http_base=int(
            env.get("CHAOS_HTTP_PORT", str(18401 + int(env.get("CHAOS_PORT_OFFSET", "0"))))
        ),
        work_dir=Path(env["CHAOS_DIR"]),
    )
    print(
        f"[chaos] {plan.reports} reports, {plan.clients} clients, {plan.replicas} replicas of every "
        f"relay, consumer, worker and sender; Kafka {infra.bootstrap}; Temporal "
        f"{infra.temporal_target} ({env.get('CHAOS_TEMPORAL_KIND', '?')})",
        flush=True,
    )
    outcome = await run(plan, infra)
    print(outcome.report(), flush=True)
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
