"""The Temporal bits of docker compose and of the Helm example match their images and chart."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HELM_VALUES = ROOT / "deploy" / "k8s" / "platform-examples" / "temporal-helm-values.yaml"


def test_compose_temporal_healthcheck_calls_the_cli_on_the_path() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    test = compose["services"]["temporal"]["healthcheck"]["test"]
    # the temporalio/temporal image puts `temporal` on the PATH; there is no /temporal
    assert test[:5] == ["CMD", "temporal", "operator", "cluster", "health"]


def test_helm_values_use_the_1x_chart_persistence_layout_and_pin_the_chart() -> None:
    text = HELM_VALUES.read_text(encoding="utf-8")
    assert "--version 1." in text  # the install command pins a 1.x chart
    values = yaml.safe_load(text)
    persistence = values["server"]["config"]["persistence"]
    assert persistence["defaultStore"] == "default"
    assert persistence["visibilityStore"] == "visibility"
    for store, database in (("default", "temporal"), ("visibility", "temporal_visibility")):
        sql = persistence["datastores"][store]["sql"]
        assert sql["pluginName"] == sql["driverName"] == "postgres12"
        assert sql["databaseName"] == database
        assert sql["connectAddr"] == "ecommerce-pg-rw.databases.svc.cluster.local:5432"
        assert sql["existingSecret"] == "temporal-db" and sql["secretKey"] == "password"
    # the pre-1.0 layout: ignored by the 1.x chart, so it must not linger
    assert not {"default", "visibility"} & set(persistence)
    assert not {"cassandra", "mysql", "postgresql", "elasticsearch", "schema"} & set(values)


def test_every_topic_has_a_kafka_topic_resource() -> None:
    """Each channel of docs/asyncapi.yaml, and the dead-letter topic of each service that runs a
    consumer (deploy/local/stack.sh's roles), is declared as a Strimzi KafkaTopic."""
    asyncapi = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text(encoding="utf-8"))
    wanted = {channel["address"] for channel in asyncapi["channels"].values()}
    stack = (ROOT / "deploy" / "local" / "stack.sh").read_text(encoding="utf-8")
    for service, roles in re.findall(r'\[(\w+)\]="([^"]*)"', stack):
        if "consumer" in roles.split():
            wanted.add(f"dlq.{service}")
    strimzi = ROOT / "deploy" / "k8s" / "platform-examples" / "kafka-strimzi.yaml"
    declared = {
        document["metadata"]["name"]
        for document in yaml.safe_load_all(strimzi.read_text(encoding="utf-8"))
        if document and document.get("kind") == "KafkaTopic"
    }
    assert wanted - declared == set()
