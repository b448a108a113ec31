"""Every Kafka client the services build carries the deployment's security settings."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest
from pydantic import SecretStr

from shared.messaging import kafka
from shared.messaging.kafka import (
    PLAINTEXT,
    KafkaSecurity,
    create_admin_client,
    create_consumer,
    create_producer,
)
from shared.settings import ServiceSettings

SCRAM = KafkaSecurity(protocol="SASL_SSL", username="ecom-registry", password="s3cret-value")


def settings(**values: object) -> ServiceSettings:
    return ServiceSettings(
        environment="test",
        database_url="postgresql://postgres@127.0.0.1:1/x",
        kafka_bootstrap_servers="127.0.0.1:1",
        **values,  # type: ignore[arg-type]
    )


def test_plaintext_is_the_default_and_adds_nothing_else() -> None:
    assert KafkaSecurity.of(settings()) == PLAINTEXT
    assert PLAINTEXT.client_options() == {"security_protocol": "PLAINTEXT"}


def test_sasl_ssl_takes_the_scram_user_and_verifies_the_brokers() -> None:
    options = SCRAM.client_options()
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "ecom-registry"
    assert options["sasl_plain_password"] == "s3cret-value"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_sasl_plaintext_has_no_tls_and_ssl_has_no_sasl() -> None:
    local = KafkaSecurity(protocol="SASL_PLAINTEXT", username="u", password="p").client_options()
    assert "ssl_context" not in local and local["sasl_plain_username"] == "u"
    tls = KafkaSecurity(protocol="SSL").client_options()
    assert "sasl_mechanism" not in tls and isinstance(tls["ssl_context"], ssl.SSLContext)


def test_the_password_never_shows_in_a_repr() -> None:
    assert "s3cret-value" not in repr(SCRAM)
    assert "s3cret-value" not in repr(
        settings(
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_username="u",
            kafka_sasl_password="s3cret-value",
        )
    )


def test_settings_carry_the_security_to_the_clients(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    configured = settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="ecom-awards",
        kafka_sasl_password=SecretStr("pw-0123456789"),
        kafka_ssl_cafile=ca,
    )
    security = KafkaSecurity.of(configured)
    assert security == KafkaSecurity(
        protocol="SASL_SSL", username="ecom-awards", password="pw-0123456789", ca_file=ca
    )


def test_sasl_without_credentials_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="kafka_sasl_username and kafka_sasl_password"):
        settings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="u")


def test_production_refuses_a_well_known_kafka_password() -> None:
    with pytest.raises(ValueError, match="kafka_sasl_password"):
        ServiceSettings(
            environment="production",
            database_url="postgresql://app:Zq8-long-secret@db/x",
            kafka_bootstrap_servers="kafka:9093",
            kafka_security_protocol="SASL_SSL",
            kafka_sasl_username="ecom-registry",
            kafka_sasl_password=SecretStr("changeme"),
            jwt_jwks_url="https://sso.example.gov.cn/certs",
            jwt_issuer="https://sso.example.gov.cn",
        )


async def test_every_factory_passes_the_security_on() -> None:
    """The producer, consumer and admin client all connect with it (aiokafka keeps the
    options on the client it builds; nothing connects before start())."""
    producer = create_producer("127.0.0.1:1", security=SCRAM)
    consumer = create_consumer("t", bootstrap_servers="127.0.0.1:1", group_id="g", security=SCRAM)
    admin = create_admin_client("127.0.0.1:1", security=SCRAM)
    for client in (producer.client, consumer._client, admin._client):
        assert client._security_protocol == "SASL_SSL"
        assert client._sasl_mechanism == "SCRAM-SHA-512"
        assert client._sasl_plain_username == "ecom-registry"
        assert isinstance(client._ssl_context, ssl.SSLContext)
    await producer.stop()
    await consumer.stop()
    await admin.close()


def test_no_kafka_client_is_built_outside_the_factories() -> None:
    """The services' and shared code's Kafka clients come from shared.messaging.kafka (the
    dead-letter replay passes the same options itself)."""
    root = Path(kafka.__file__).resolve().parents[4]
    allowed = {Path(kafka.__file__).resolve(), (Path(kafka.__file__).parent / "dlq.py").resolve()}
    offenders = []
    for folder in (root / "shared" / "src", root / "services"):
        for path in folder.rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for constructor in ("AIOKafkaProducer(", "AIOKafkaConsumer(", "AIOKafkaAdminClient("):
                if constructor in text and path.resolve() not in allowed:
                    offenders.append(f"{path.relative_to(root)}: {constructor}")
    assert not offenders, offenders
