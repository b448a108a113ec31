"""Producer and consumer factories with the settings every service uses."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


def create_producer(bootstrap_servers: str, *, client_id: str | None = None) -> AIOKafkaProducer:
    """acks=all and idempotence: a retried send neither duplicates nor reorders a partition."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        max_batch_size=256 * 1024,
        compression_type=None,
        request_timeout_ms=30_000,
    )


def create_consumer(
    *topics: str, bootstrap_servers: str, group_id: str, client_id: str | None = None
) -> AIOKafkaConsumer:
    """Offsets are committed by hand, after the effect and the inbox row have committed."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id=client_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
        max_poll_records=500,
    )
