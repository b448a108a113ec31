"""What the overlays add around the services: the audit CronJobs, the sender's egress, and the
Kafka client settings that match the Strimzi platform example."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from shared.audit.cli import COMMANDS
from tests.unit.deploy.test_kafka_access import of_kind as strimzi_kind
from tests.unit.test_deploy_manifests import (
    OVERLAYS,
    ROLES,
    base_name,
    by_name,
    label_match,
    of_kind,
    rendered,
)

Doc = dict[str, Any]
OTHER_SECRETS = {
    "awards": ("AWARDS_FINANCE_CALLBACK_SECRET",),
    "notifications": ("NOTIFICATIONS_ACK_SECRET",),
}


def cron_pod(cron_job: Doc) -> Doc:
    pod: Doc = cron_job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return pod


def config_of(docs: list[Doc], service: str) -> dict[str, str]:
    (config,) = [
        c for n, c in by_name(docs, "ConfigMap").items() if base_name(n) == f"{service}-config"
    ]
    data: dict[str, str] = config["data"]
    return data


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_audit_jobs_run_ecom_audit_with_the_service_image(overlay: str) -> None:
    docs = rendered(overlay)
    deployments = by_name(docs, "Deployment")
    claims = by_name(docs, "PersistentVolumeClaim")
    for service in ROLES:
        prefix = service.upper()
        (api,) = deployments[f"{service}-api"]["spec"]["template"]["spec"]["containers"]
        for job in ("archive", "checkpoint"):
            cron_job = by_name(docs, "CronJob")[f"{service}-audit-{job}"]
            assert cron_job["spec"]["concurrencyPolicy"] == "Forbid"
            assert cron_job["spec"]["timeZone"] == "Asia/Shanghai"
            pod = cron_pod(cron_job)
            assert pod["restartPolicy"] == "Never"
            assert pod["serviceAccountName"] == service
            (container,) = pod["containers"]
            assert container["image"] == api["image"]
            assert container["command"] == ["ecom-audit"]
            assert container["args"] == [job, "--service", service]
            assert job in COMMANDS
            assert container["envFrom"] == api["envFrom"]
        archive = cron_pod(by_name(docs, "CronJob")[f"{service}-audit-archive"])
        (container,) = archive["containers"]
        env = {e["name"]: e for e in container["env"]}
        # As the owner: archiving drops partitions.
        owner = env[f"{prefix}_DATABASE_URL"]["valueFrom"]["secretKeyRef"]
        assert owner["key"] == f"{prefix}_MIGRATION_DATABASE_URL" and owner["optional"] is True
        directory = env[f"{prefix}_AUDIT_ARCHIVE_DIR"]["value"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volumes = {v["name"]: v for v in archive["volumes"]}
        claim = volumes[mounts[directory]]["persistentVolumeClaim"]["claimName"]
        assert claim in claims


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_audit_job_pods_are_as_locked_down_as_the_services(overlay: str) -> None:
    for cron_job in of_kind(rendered(overlay), "CronJob"):
        name = cron_job["metadata"]["name"]
        pod = cron_pod(cron_job)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in tmp_volumes, name
        labels = cron_job["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
        # The namespace's platform egress (PostgreSQL) selects on this label.
        assert labels["app.kubernetes.io/part-of"] == "ecommerce-programmes", name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_sender_reaches_smtp_and_https_recipients(overlay: str) -> None:
    docs = rendered(overlay)
    sender = by_name(docs, "Deployment")["notifications-sender"]
    sender_labels = sender["spec"]["template"]["metadata"]["labels"]
    allowed: set[int] = set()
    for policy in of_kind(docs, "NetworkPolicy"):
        spec = policy["spec"]
        if "Egress" not in spec["policyTypes"]:
            continue
        if not label_match(spec["podSelector"].get("matchLabels", {}), sender_labels):
            continue
        for rule in spec.get("egress", []):
            allowed |= {p["port"] for p in rule.get("ports", []) if p.get("protocol") == "TCP"}
    assert {25, 465, 587, 443} <= allowed
    config = importlib.import_module("notifications.config").NotificationsSettings
    assert config.model_fields["smtp_port"].default in allowed
    # Only the sender gets them.
    api_labels = by_name(docs, "Deployment")["notifications-api"]["spec"]["template"]["metadata"]
    (policy,) = [
        p
        for p in of_kind(docs, "NetworkPolicy")
        if p["metadata"]["name"] == "notifications-sender-egress"
    ]
    assert not label_match(policy["spec"]["podSelector"]["matchLabels"], api_labels["labels"])


def test_production_connects_to_the_tls_listener_as_each_services_kafka_user() -> None:
    docs = rendered("production")
    (kafka,) = strimzi_kind("Kafka").values()
    listeners = {listener["name"]: listener for listener in kafka["spec"]["kafka"]["listeners"]}
    users = strimzi_kind("KafkaUser")
    for service in ROLES:
        prefix = service.upper() + "_"
        config = config_of(docs, service)
        host, port = config[prefix + "KAFKA_BOOTSTRAP_SERVERS"].rsplit(":", 1)
        assert host == f"{kafka['metadata']['name']}-kafka-bootstrap.kafka.svc.cluster.local"
        assert int(port) == listeners["tls"]["port"]
        assert config[prefix + "KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert config[prefix + "KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
        assert config[prefix + "KAFKA_SASL_USERNAME"] in users
        # Secrets are the operators' (production renders none).
        assert prefix + "KAFKA_SASL_PASSWORD" not in config


def test_production_kafka_settings_are_accepted_by_the_services(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rendered ConfigMap plus the Secret's keys the README names start a service."""
    from shared.messaging.kafka import KafkaSecurity

    docs = rendered("production")
    for service in ROLES:
        prefix = service.upper() + "_"
        config = config_of(docs, service)
        module = importlib.import_module(f"{service}.config")
        (settings_class,) = [
            v
            for n, v in vars(module).items()
            if n.endswith("Settings") and v.__module__ == module.__name__
        ]
        with monkeypatch.context() as patch:
            for name in list(__import__("os").environ):
                if name.startswith(prefix):
                    patch.delenv(name)
            for key, value in config.items():
                patch.setenv(key, value)
            patch.setenv(
                prefix + "DATABASE_URL", f"postgresql://{service}_app:Zq8-long@db/{service}"
            )
            patch.setenv(prefix + "KAFKA_SASL_PASSWORD", "Kq9-generated-by-strimzi")
            # The other Secret keys the production overlay names for some services.
            for key in OTHER_SECRETS.get(service, ()):
                patch.setenv(key, "Vr7-a-long-production-secret-value")
            settings = settings_class()
            security = KafkaSecurity.of(settings)
            assert security.protocol == "SASL_SSL" and security.username == f"ecom-{service}"
            assert security.password == "Kq9-generated-by-strimzi"
            patch.delenv(prefix + "KAFKA_SASL_PASSWORD")
            with pytest.raises(ValueError, match="kafka_sasl_password"):
                settings_class()


def test_development_uses_the_plain_listener() -> None:
    docs = rendered("development")
    for service in ROLES:
        config = config_of(docs, service)
        assert config[service.upper() + "_KAFKA_SECURITY_PROTOCOL"] == "PLAINTEXT"
        assert config[service.upper() + "_KAFKA_BOOTSTRAP_SERVERS"].endswith(":9092")
