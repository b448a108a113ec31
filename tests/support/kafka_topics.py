"""Deleting the Kafka topics a test created (the broker is shared; topics must not pile up)."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient


async def delete_topics(bootstrap: str, prefix: str) -> list[str]:
    """Delete every topic whose name starts with ``prefix``; returns their names."""
    if not prefix:
        raise ValueError("refusing to delete every topic on the broker")
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        topics = [topic for topic in await admin.list_topics() if topic.startswith(prefix)]
        if topics:
            await admin.delete_topics(topics)
        return topics
    finally:
        await admin.close()
