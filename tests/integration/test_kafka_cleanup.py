"""The topics a test run creates are deleted at its end (all start with the run's prefix)."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support.kafka import delete_topics_with_prefix
from tests.support.stack import Stack


async def test_topics_with_the_prefix_are_deleted_and_no_others(stack: Stack) -> None:
    prefix = f"cleanup{uuid.uuid4().hex[:8]}."
    mine = [f"{prefix}a", f"{prefix}b.dlq"]
    neighbour = f"{prefix[:-1]}x.kept"  # shares the letters, not the prefix
    admin = AIOKafkaAdminClient(bootstrap_servers=stack.kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(t, 1, 1) for t in [*mine, neighbour]])
        assert await delete_topics_with_prefix(stack.kafka_bootstrap, prefix) == mine
        deadline = asyncio.get_running_loop().time() + 30
        remaining = set(await admin.list_topics())
        while remaining & set(mine) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.2)  # deletion is asynchronous on the broker
            remaining = set(await admin.list_topics())
        assert not remaining & set(mine)
        assert neighbour in remaining
    finally:
        await admin.delete_topics([neighbour])
        await admin.close()
