"""The topics a test run creates are deleted at its end (all start with the run's prefix)."""

from __future__ import annotations

import uuid

from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.support.kafka import delete_topics_with_prefix
from tests.support.polling import eventually
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
        # deletion is asynchronous on the broker
        remaining = await eventually(
            lambda: _topics(admin), lambda topics: not topics & set(mine), seconds=30
        )
        assert not remaining & set(mine)
        assert neighbour in remaining
    finally:
        await admin.delete_topics([neighbour])
        await admin.close()


async def _topics(admin: AIOKafkaAdminClient) -> set[str]:
    return set(await admin.list_topics())
