"""Settings common to every service, read from the environment with one prefix per service.

Outside development and test the settings fail fast: a missing token key, a database URL
without a password or with a well-known one, or a missing issuer/audience stops the process at
start instead of running insecurely.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from limits import parse
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "test", "production"]
KafkaSecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
KafkaSaslMechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]

DEFAULT_EVENT_SOURCE_BASE = "/ecom"

WELL_KNOWN_PASSWORDS = frozenset({"", "postgres", "password", "changeme", "secret", "admin"})


def event_source_of(service: str, base: str = DEFAULT_EVENT_SOURCE_BASE) -> str:
    """The CloudEvents ``source`` of a service's events (a URI-reference)."""
    return f"{base.rstrip('/')}/{service}"


class InsecureSettingsError(ValueError):
    """A value that is acceptable on a developer's machine but not in production."""


class ServiceSettings(BaseSettings):
    """Base settings; a service subclasses it and sets ``env_prefix`` (e.g. ``REGISTRY_``)."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = "service"
    environment: Environment = "production"

    database_url: str
    database_pool_min_size: int = 2
    database_pool_max_size: int = 10
    # The login role the services connect as in production (owns nothing); ``migrate``, run as
    # the owner, grants it the service's tables after each migration (shared/db/grants.py).
    database_app_role: str | None = None

    kafka_bootstrap_servers: str
    kafka_topic_prefix: str = ""
    kafka_client_id: str | None = None
    # How every producer, consumer and admin client of the service authenticates
    # (shared.messaging.kafka.KafkaSecurity). PLAINTEXT on a developer's machine; on the
    # platform the TLS listener with SCRAM-SHA-512 (SASL_SSL), one Kafka user per service whose
    # ACLs allow exactly its topics (deploy/k8s/platform-examples/README.md, "Kafka security").
    kafka_security_protocol: KafkaSecurityProtocol = "PLAINTEXT"
    kafka_sasl_mechanism: KafkaSaslMechanism = "SCRAM-SHA-512"
    kafka_sasl_username: str | None = None
    kafka_sasl_password: SecretStr | None = None
    # The CA that signed the brokers' certificates (Strimzi's cluster CA: ca.crt of
    # <cluster>-cluster-ca-cert), as a file or as PEM text; neither: the system's CAs.
    kafka_ssl_cafile: Path | None = None
    kafka_ssl_ca_pem: str | None = None
    # CloudEvents ``source`` of this deployment's events: ``<base>/<service>``. Two provinces
    # (or a province and its test system) set different bases so their events can be told
    # apart, e.g. ``https://ecom.swt.guizhou.gov.cn``; ``EVENT_SOURCE_BASE`` sets it for every
    # service at once, ``<PREFIX>EVENT_SOURCE_BASE`` for one (docs/operations.md).
    event_source_base: str = Field(
        default_factory=lambda: os.environ.get("EVENT_SOURCE_BASE", DEFAULT_EVENT_SOURCE_BASE),
        pattern=r"^\S+$",
    )

    temporal_target: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    # Workflows a worker keeps in memory between their tasks (sticky cache). One evicted is
    # rebuilt from its history at its next task; more trades memory for fewer rebuilds (~60 KiB
    # per cached designation workflow; docs/awards.md, its benchmark).
    temporal_max_cached_workflows: int = 1000

    http_host: str = "0.0.0.0"
    http_port: int = 8000

    jwt_public_key: str | None = None
    jwt_public_key_file: Path | None = None
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = "ecom-local"
    jwt_audience: str | None = "ecom-api"
    # A token naming an unknown key refetches the JWKS at most this often (key rotation).
    jwt_jwks_min_refetch_seconds: float = 30.0
    # How long an Idempotency-Key reservation holds before a retry may take it over.
    idempotency_lease_seconds: float = 60.0

    outbox_poll_interval_seconds: float = 1.0
    outbox_batch_size: int = 500
    # Published outbox rows are kept this long (to inspect or re-send), then purged by the
    # relay every purge interval.
    outbox_retention_days: int = 7
    outbox_purge_interval_seconds: float = 3600.0
    # A failed relay round (Kafka or PostgreSQL away) is retried after this backoff, doubling.
    outbox_retry_initial_seconds: float = 0.5
    outbox_retry_max_seconds: float = 30.0
    consumer_max_attempts: int = 5
    consumer_backoff_initial_seconds: float = 0.2
    consumer_backoff_max_seconds: float = 10.0

    # Relay and consumer processes serve GET /livez here (None: not served); it fails once
    # the loop has not completed a round for the timeout (shared/service/liveness.py).
    liveness_port: int | None = None
    liveness_timeout_seconds: float = 120.0

    max_upload_bytes: int = 200 * 1024 * 1024
    # Every other request body (JSON): the largest legitimate one (an application's materials,
    # a report's figures) is far below this; more is refused with 413 before it is read.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)

    # Requests per caller (the verified token's issuer and subject; the client address for
    # routes without a token) and route class, in the ``limits`` notation: n per second,
    # minute, hour or day (docs/operations.md). Generous: they stop a runaway client, not load
    # the benchmarks put on the write path. In memory each API replica counts on its own; a
    # shared store (``redis://host:6379``, needs ``limits[async-redis]``) counts across them.
    rate_limit_reads: str = "12000/minute"
    rate_limit_writes: str = "12000/minute"
    rate_limit_bulk: str = "120/minute"  # imports, exports, uploads
    rate_limit_public: str = "600/minute"  # per client address: callbacks, links
    rate_limit_storage_uri: str = "memory://"

    # Audit trail (docs/audit.md). Trusted proxies: addresses or CIDRs, comma-separated, whose
    # X-Forwarded-For is believed. Retention: 001 (二十三) keeps logs at least six months.
    trusted_proxies: str = ""
    audit_retention_days: int = Field(default=180, ge=180)
    audit_archive_dir: Path = Path("audit-archives")
    audit_checkpoint_interval_seconds: float = Field(default=3600.0, gt=0)

    # Programme definitions (one YAML per programme). Images put them in /app/programmes;
    # the local stack runs from the repository root.
    programmes_dir: Path = Field(
        default_factory=lambda: Path(os.environ.get("PROGRAMMES_DIR", "shared/programmes"))
    )
    # How often a process takes newer programme revisions from its programme_definitions table
    # (shared.programmes.catalogue): the longest a new revision waits to be used.
    programme_refresh_seconds: float = Field(default=5.0, gt=0)

    @property
    def is_production(self) -> bool:
        return self.environment == "production"

    @property
    def event_source(self) -> str:
        return event_source_of(self.service_name, self.event_source_base)

    @property
    def consumer_group(self) -> str:
        return f"{self.kafka_topic_prefix}{self.service_name}"

    def topic(self, name: str) -> str:
        """The physical Kafka topic for a logical topic name (prefix lets tests isolate runs)."""
        return f"{self.kafka_topic_prefix}{name}"

    def jwt_public_key_pem(self) -> str | None:
        if self.jwt_public_key:
            return self.jwt_public_key
        if self.jwt_public_key_file:
            return self.jwt_public_key_file.read_text(encoding="utf-8")
        return None

    @field_validator(
        "rate_limit_reads", "rate_limit_writes", "rate_limit_bulk", "rate_limit_public"
    )
    @classmethod
    def _a_rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as error:
            raise ValueError(f"not a rate like 600/minute: {value!r}") from error
        return value

    @model_validator(mode="after")
    def _kafka_credentials_with_sasl(self) -> ServiceSettings:
        # A SASL protocol without a user or password would only fail at the first connection,
        # in every process; say so at start instead.
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"kafka_security_protocol={self.kafka_security_protocol} needs "
                "kafka_sasl_username and kafka_sasl_password"
            )
        if self.kafka_ssl_cafile is not None and self.kafka_ssl_ca_pem:
            raise ValueError("set one of kafka_ssl_cafile and kafka_ssl_ca_pem, not both")
        return self

    @model_validator(mode="after")
    def _refuse_insecure_outside_development(self) -> ServiceSettings:
        if self.environment in ("development", "test"):
            return self
        problems: list[str] = []
        kafka_password = self.kafka_sasl_password
        if kafka_password is not None and kafka_password.get_secret_value() in WELL_KNOWN_PASSWORDS:
            problems.append("kafka_sasl_password must not be empty or well known")
        password = urlsplit(self.database_url).password or ""
        if password in WELL_KNOWN_PASSWORDS:
            problems.append("database_url needs a password that is not empty or well known")
        if not (self.jwt_public_key or self.jwt_public_key_file or self.jwt_jwks_url):
            problems.append("one of jwt_public_key, jwt_public_key_file, jwt_jwks_url is required")
        if not self.jwt_issuer or self.jwt_issuer == "ecom-local":
            problems.append("jwt_issuer must name the production identity provider")
        if not self.jwt_audience:
            problems.append("jwt_audience is required")
        if problems:
            raise InsecureSettingsError(
                f"insecure settings for environment={self.environment}: " + "; ".join(problems)
            )
        return self
