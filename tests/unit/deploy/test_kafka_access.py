"""The Strimzi platform example keeps Kafka's access rules true to the code.

Each service's KafkaUser allows exactly the topics it writes and reads and its consumer group
(``kafka_access`` reads them from the event catalogue, the services' consumer modules and
settings); the outside systems may write only their own topics; every listener takes TLS and
SCRAM-SHA-512; every topic named anywhere is declared, with retention and partitions that fit.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.settings import ServiceSettings
from tests.unit.deploy import kafka_access
from tests.unit.deploy.kafka_access import Access

STRIMZI = Path(kafka_access.ROOT) / "deploy" / "k8s" / "platform-examples" / "kafka-strimzi.yaml"
DAY_MS = 86_400_000
# Strimzi 1.2 runs Kafka 4.2.x and 4.3.x (1.1 dropped 4.1).
SUPPORTED_KAFKA = ("4.2.", "4.3.")

Doc = dict[str, Any]


def documents() -> list[Doc]:
    return [d for d in yaml.safe_load_all(STRIMZI.read_text(encoding="utf-8")) if d]


def of_kind(kind: str) -> dict[str, Doc]:
    return {d["metadata"]["name"]: d for d in documents() if d["kind"] == kind}


def granted(user: Doc) -> Access:
    """The user's allowed topics by operation, and its groups, checking the rule shapes."""
    authorization = user["spec"]["authorization"]
    assert authorization["type"] == "simple"
    writes: set[str] = set()
    reads: set[str] = set()
    groups: set[str] = set()
    for acl in authorization["acls"]:
        assert acl.get("type", "allow") == "allow", acl
        assert acl.get("host", "*") == "*", acl
        resource = acl["resource"]
        operations = set(acl["operations"])
        assert "All" not in operations, acl
        if resource["type"] == "topic":
            # A prefix would grant topics that do not exist yet.
            assert resource.get("patternType", "literal") == "literal", acl
            assert operations <= {"Read", "Write", "Describe"}, acl
            if "Write" in operations:
                writes.add(resource["name"])
            if "Read" in operations:
                reads.add(resource["name"])
        elif resource["type"] == "group":
            assert operations == {"Read"}, acl
            groups.add(resource["name"] + ("*" if resource.get("patternType") == "prefix" else ""))
        else:
            pytest.fail(f"{user['metadata']['name']}: no {resource['type']} rights needed: {acl}")
    return Access(frozenset(writes), frozenset(reads), frozenset(groups))


def test_every_resource_uses_the_v1_api() -> None:
    for document in documents():
        if document["kind"] != "Namespace":
            assert document["apiVersion"] == "kafka.strimzi.io/v1", document["metadata"]["name"]


def test_each_service_user_has_exactly_its_topics_and_group() -> None:
    users = of_kind("KafkaUser")
    for service in kafka_access.services():
        user = users[f"ecom-{service}"]
        assert user["metadata"]["labels"]["strimzi.io/cluster"] == "ecommerce-kafka"
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        expected = kafka_access.service_access(service)
        assert granted(user) == expected, service


def test_the_outside_systems_write_only_their_own_topics() -> None:
    users = of_kind("KafkaUser")
    outside = kafka_access.external_topics()
    assert set(outside) == {"credit", "finance"}
    for owner, topics in outside.items():
        access = granted(users[f"{owner}-system"])
        assert users[f"{owner}-system"]["spec"]["authentication"]["type"] == "scram-sha-512"
        assert access.writes == topics, owner
    # Finance reads the payment requests awards writes for it, in groups of its own.
    finance = granted(users["finance-system"])
    assert finance.reads == {"awards.payment"}
    assert finance.groups == {"finance-system*"}
    assert granted(users["credit-system"]).reads == set()


def test_the_dead_letter_replay_user_reads_dead_letters_and_writes_back_only_consumed_topics() -> (
    None
):
    consumers = [s for s in kafka_access.services() if kafka_access.consumer_module(s)]
    access = granted(of_kind("KafkaUser")["ecom-dlq-replay"])
    assert access.reads == {f"dlq.{s}" for s in consumers}
    assert access.groups == {f"{s}-dlq-replay" for s in consumers}
    consumed = set().union(*(kafka_access.consumed_topics(s) for s in consumers))
    assert access.writes == consumed


def test_no_other_users_and_every_topic_in_an_acl_is_declared() -> None:
    users = of_kind("KafkaUser")
    expected = {f"ecom-{s}" for s in kafka_access.services()}
    expected |= {f"{owner}-system" for owner in kafka_access.external_topics()}
    assert set(users) == expected | {"ecom-dlq-replay"}
    declared = set(of_kind("KafkaTopic"))
    for name, user in users.items():
        access = granted(user)
        assert access.writes | access.reads <= declared, name


def test_clients_connect_only_with_tls_and_scram_and_topics_are_not_created_on_demand() -> None:
    (kafka,) = of_kind("Kafka").values()
    spec = kafka["spec"]["kafka"]
    assert spec["version"].startswith(SUPPORTED_KAFKA)
    assert spec["metadataVersion"].startswith(spec["version"].rsplit(".", 1)[0])
    assert spec["authorization"]["type"] == "simple"
    assert spec["listeners"]
    for listener in spec["listeners"]:
        assert listener["tls"] is True, listener["name"]
        assert listener["authentication"]["type"] == "scram-sha-512", listener["name"]
        assert listener.get("networkPolicyPeers"), f"{listener['name']}: reachable from anywhere"
    assert spec["config"]["auto.create.topics.enable"] is False
    assert {"topicOperator", "userOperator"} <= set(kafka["spec"]["entityOperator"])
    (pool,) = of_kind("KafkaNodePool").values()
    assert set(pool["spec"]["roles"]) == {"controller", "broker"}
    assert pool["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]


def test_the_audit_anchors_outlive_the_audit_trail() -> None:
    retention_days = ServiceSettings.model_fields["audit_retention_days"].default
    assert retention_days >= 180
    topic = of_kind("KafkaTopic")["audit.checkpoint"]
    assert int(topic["spec"]["config"]["retention.ms"]) >= retention_days * DAY_MS


def test_each_consumed_topic_has_a_partition_for_each_consumer_replica() -> None:
    """A consumer group uses at most one pod per partition of a topic: the consumers'
    autoscalers stop at the partitions of the smallest topic they read."""
    from tests.unit.test_deploy_manifests import by_name, rendered

    topics = of_kind("KafkaTopic")
    by_service: dict[str, int] = defaultdict(int)
    for service in kafka_access.services():
        consumed = kafka_access.consumed_topics(service)
        if consumed:
            by_service[service] = min(topics[t]["spec"]["partitions"] for t in consumed)
    for overlay in ("development", "production"):
        autoscalers = by_name(rendered(overlay), "HorizontalPodAutoscaler")
        for service, partitions in by_service.items():
            hpa = autoscalers[f"{service}-consumer"]
            assert hpa["spec"]["maxReplicas"] <= partitions, (overlay, service)


# Topics whose events another service keeps its own copy of a long-lived record from: a
# consumer that joins late (a new service, a database restored empty) must still find every
# record on them, so no time-based deletion may drop an event of a record still in use.
STATE_TOPICS = ("awards.designation", "registry.enterprise", "registry.park", "registry.team")


@pytest.mark.parametrize("name", STATE_TOPICS)
def test_the_records_other_services_copy_are_kept_for_a_late_joiner(name: str) -> None:
    """Their events are deltas (an update names only the changed fields), so compaction would
    lose state: they are kept for good, which at national scale is a few gigabytes
    (docs/operations.md, "Topics and retention")."""
    config = of_kind("KafkaTopic")[name]["spec"]["config"]
    assert config.get("cleanup.policy", "delete") == "delete"
    assert int(config["retention.ms"]) == -1
    consumers = [s for s in kafka_access.services() if name in kafka_access.consumed_topics(s)]
    assert consumers, f"{name} is read by no service: it need not be kept"
