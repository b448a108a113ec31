"""Producer, consumer and admin-client factories with the settings every service uses.

Every Kafka client of the services is made here, so that each one connects the same way: the
security protocol, SASL credentials and TLS trust of ``KafkaSecurity`` (from the service's
settings, ``<PREFIX>KAFKA_SECURITY_PROTOCOL`` …) go into every construction.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from shared.settings import KafkaSaslMechanism, KafkaSecurityProtocol, ServiceSettings


@dataclass(frozen=True)
class KafkaSecurity:
    """How a client authenticates to the brokers and which certificates it trusts.

    ``PLAINTEXT`` (the default) on a developer's machine; ``SASL_SSL`` with SCRAM-SHA-512 on
    the platform's TLS listener, as the service's own Kafka user."""

    protocol: KafkaSecurityProtocol = "PLAINTEXT"
    sasl_mechanism: KafkaSaslMechanism = "SCRAM-SHA-512"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    ca_pem: str | None = field(default=None, repr=False)

    @classmethod
    def of(cls, settings: ServiceSettings) -> KafkaSecurity:
        password = settings.kafka_sasl_password
        return cls(
            protocol=settings.kafka_security_protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism,
            username=settings.kafka_sasl_username,
            password=password.get_secret_value() if password is not None else None,
            ca_file=settings.kafka_ssl_cafile,
            ca_pem=settings.kafka_ssl_ca_pem,
        )

    @property
    def uses_sasl(self) -> bool:
        return self.protocol in ("SASL_PLAINTEXT", "SASL_SSL")

    @property
    def uses_tls(self) -> bool:
        return self.protocol in ("SSL", "SASL_SSL")

    def ssl_context(self) -> ssl.SSLContext:
        """Verifies the brokers' certificates and host names against the given CA (or the
        system's CAs when none is given)."""
        return ssl.create_default_context(
            cafile=str(self.ca_file) if self.ca_file is not None else None,
            cadata=self.ca_pem or None,
        )

    def client_options(self) -> dict[str, Any]:
        """The keyword arguments aiokafka's clients take for this security."""
        options: dict[str, Any] = {"security_protocol": self.protocol}
        if self.uses_sasl:
            if not (self.username and self.password):
                raise ValueError(f"{self.protocol} needs a SASL username and password")
            options.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.username,
                sasl_plain_password=self.password,
            )
        if self.uses_tls:
            options["ssl_context"] = self.ssl_context()
        return options


PLAINTEXT = KafkaSecurity()


# The outbox relay's producer sends at once: at 1,000 events/s its batches are a handful of
# events, and lingering 5 ms took half of the 10 ms commit-to-publish budget. Its throughput
# does not need the linger: while a request to a broker is in flight, the records behind it
# gather into the next batch anyway (aiokafka sends one request per broker at a time).
RELAY_LINGER_MS = 0


def create_producer(
    bootstrap_servers: str,
    *,
    client_id: str | None = None,
    security: KafkaSecurity = PLAINTEXT,
    linger_ms: int = 5,
) -> AIOKafkaProducer:
    """acks=all and idempotence: a retried send neither duplicates nor reorders a partition."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=linger_ms,
        max_batch_size=256 * 1024,
        compression_type=None,
        request_timeout_ms=30_000,
        **security.client_options(),
    )


def create_consumer(
    *topics: str,
    bootstrap_servers: str,
    group_id: str,
    client_id: str | None = None,
    security: KafkaSecurity = PLAINTEXT,
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
        **security.client_options(),
    )


def create_admin_client(
    bootstrap_servers: str,
    *,
    security: KafkaSecurity = PLAINTEXT,
    request_timeout_ms: int = 10_000,
) -> AIOKafkaAdminClient:
    """For metadata (the readiness probe lists topics) and tools."""
    return AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers,
        request_timeout_ms=request_timeout_ms,
        **security.client_options(),
    )
