"""Settings read the service's prefix and refuse insecure values outside development."""

from __future__ import annotations

import pytest

from registry.config import RegistrySettings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local stack exports REGISTRY_* variables; each test states its own."""
    import os

    for name in list(os.environ):
        if name.startswith("REGISTRY_"):
            monkeypatch.delenv(name)


def test_values_come_from_the_services_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_ENVIRONMENT", "development")
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql://postgres@127.0.0.1:15432/registry")
    monkeypatch.setenv("REGISTRY_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    monkeypatch.setenv("REGISTRY_KAFKA_TOPIC_PREFIX", "dev.")
    settings = RegistrySettings()
    assert settings.http_port == 8001
    assert settings.topic("registry.enterprise") == "dev.registry.enterprise"


def test_production_refuses_weak_database_password_and_missing_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql://postgres:postgres@db/registry")
    monkeypatch.setenv("REGISTRY_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    with pytest.raises(ValueError, match="insecure settings") as refused:
        RegistrySettings()
    message = str(refused.value)
    assert "database_url" in message and "jwt_public_key" in message and "jwt_issuer" in message


def test_production_starts_with_secure_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql://registry:Zq8-long-secret@db/registry")
    monkeypatch.setenv("REGISTRY_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv(
        "REGISTRY_JWT_JWKS_URL",
        "https://sso.example.gov.cn/realms/commerce/protocol/openid-connect/certs",
    )
    monkeypatch.setenv("REGISTRY_JWT_ISSUER", "https://sso.example.gov.cn/realms/commerce")
    assert RegistrySettings().is_production


def test_a_missing_required_value_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REGISTRY_DATABASE_URL", raising=False)
    monkeypatch.setenv("REGISTRY_ENVIRONMENT", "development")
    with pytest.raises(ValueError, match="database_url"):
        RegistrySettings()


def test_the_event_source_names_the_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENT_SOURCE_BASE", raising=False)
    monkeypatch.setenv("REGISTRY_ENVIRONMENT", "development")
    monkeypatch.setenv("REGISTRY_DATABASE_URL", "postgresql://postgres@127.0.0.1:15432/registry")
    monkeypatch.setenv("REGISTRY_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    assert RegistrySettings().event_source == "/ecom/registry"
    # One base for every service of a deployment, or one service's own.
    monkeypatch.setenv("EVENT_SOURCE_BASE", "https://ecom.swt.guizhou.gov.cn/")
    assert RegistrySettings().event_source == "https://ecom.swt.guizhou.gov.cn/registry"
    monkeypatch.setenv("REGISTRY_EVENT_SOURCE_BASE", "urn:ecom:630000")
    assert RegistrySettings().event_source == "urn:ecom:630000/registry"
