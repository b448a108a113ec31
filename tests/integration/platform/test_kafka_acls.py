"""Kafka's access rules on a real broker: SCRAM-SHA-512 and the ACLs of the Strimzi example.

The test runs a KRaft broker of its own (the same Kafka as deploy/local/stack.sh, on free ports
below 32768) with a SASL_PLAINTEXT SCRAM-SHA-512 listener and the StandardAuthorizer, creates
the users when formatting its storage (``--add-scram``), loads every KafkaUser's ACLs from
deploy/k8s/platform-examples/kafka-strimzi.yaml, then connects through the services' own client
factories: a client without credentials (or with a wrong password) is refused, a service cannot
write another service's topic, and writes and reads its own.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from aiokafka.protocol.admin import CreateAclsRequest_v1

from shared.messaging.kafka import (
    KafkaSecurity,
    create_admin_client,
    create_consumer,
    create_producer,
)
from tests.support.polling import until

ROOT = Path(__file__).resolve().parents[3]
STRIMZI = ROOT / "deploy" / "k8s" / "platform-examples" / "kafka-strimzi.yaml"
STACK = ROOT / "deploy" / "local" / "stack.sh"
ADMIN = "admin"
READY_SECONDS = 180

# Kafka's protocol codes (org.apache.kafka.common.acl / resource).
RESOURCE_TYPES = {"topic": 2, "group": 3, "cluster": 4, "transactionalId": 5}
PATTERN_TYPES = {"literal": 3, "prefix": 4}
OPERATIONS = {"All": 2, "Read": 3, "Write": 4, "Create": 5, "Describe": 8, "IdempotentWrite": 12}
ALLOW = 3

pytestmark = pytest.mark.skipif(shutil.which("java") is None, reason="Kafka needs Java")


def free_port(taken: set[int]) -> int:
    """A free loopback port below the kernel's ephemeral range (no client takes it meanwhile)."""
    for _ in range(500):
        port = random.randint(20000, 32000)
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        taken.add(port)
        return port
    raise RuntimeError("no free port below 32768")


def strimzi_users() -> dict[str, list[dict[str, Any]]]:
    return {
        document["metadata"]["name"]: document["spec"]["authorization"]["acls"]
        for document in yaml.safe_load_all(STRIMZI.read_text(encoding="utf-8"))
        if document and document.get("kind") == "KafkaUser"
    }


def strimzi_topics() -> list[str]:
    return [
        document["metadata"]["name"]
        for document in yaml.safe_load_all(STRIMZI.read_text(encoding="utf-8"))
        if document and document.get("kind") == "KafkaTopic"
    ]


@dataclass
class SecuredBroker:
    bootstrap: str
    passwords: dict[str, str]

    def as_user(self, user: str, password: str | None = None) -> KafkaSecurity:
        return KafkaSecurity(
            protocol="SASL_PLAINTEXT",
            username=user,
            password=password if password is not None else self.passwords[user],
        )


def _kafka_libs() -> Path:
    result = subprocess.run(
        [str(STACK), "kafka-jars"], capture_output=True, text=True, timeout=900, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"stack.sh kafka-jars failed:\n{result.stderr}")
    return Path(result.stdout.strip().splitlines()[-1])


def _java(libs: Path, log_config: Path, *arguments: str) -> list[str]:
    return [
        "java",
        "-Xms512m",
        "-Xmx1g",
        "-cp",
        f"{libs}/*",
        f"-Dlog4j2.configurationFile={log_config}",
        *arguments,
    ]


def _server_properties(folder: Path, port: int, controller: int, admin_password: str) -> str:
    return f"""process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:{controller}
listeners=SASL_PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:{port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="{ADMIN}" password="{admin_password}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
# admin: the broker's own SASL identity and the test's. ANONYMOUS: the broker reaching the
# controller on the loopback PLAINTEXT controller listener, which no client is given.
super.users=User:{ADMIN};User:ANONYMOUS
log.dirs={folder / "data"}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
"""


async def _wait_ready(broker: SecuredBroker, process: subprocess.Popen[bytes], log: Path) -> None:
    """Ready when the admin user lists topics, not when the port opens."""
    last: list[Exception] = []

    async def lists_topics() -> bool:
        if process.poll() is not None:
            pytest.fail(f"the broker exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        admin = create_admin_client(
            broker.bootstrap, security=broker.as_user(ADMIN), request_timeout_ms=5000
        )
        try:
            await admin.start()
            await admin.list_topics()
            return True
        except Exception as error:  # still starting
            last[:] = [error]
            return False
        finally:
            await admin.close()

    try:
        await until(lists_topics, seconds=READY_SECONDS, interval=1)
    except AssertionError:
        pytest.fail(f"the SASL broker was not ready in {READY_SECONDS} s: {last}")


async def _load_acls(broker: SecuredBroker) -> None:
    """Every KafkaUser's rules of the Strimzi example, as the User Operator would write them."""
    from aiokafka.admin import NewTopic

    creations = []
    for user, acls in strimzi_users().items():
        for acl in acls:
            resource = acl["resource"]
            for operation in acl["operations"]:
                creations.append(
                    (
                        RESOURCE_TYPES[resource["type"]],
                        resource.get("name", "kafka-cluster"),
                        PATTERN_TYPES[resource.get("patternType", "literal")],
                        f"User:{user}",
                        acl.get("host", "*"),
                        OPERATIONS[operation],
                        ALLOW,
                    )
                )
    admin = create_admin_client(broker.bootstrap, security=broker.as_user(ADMIN))
    await admin.start()
    try:
        response = await admin._send_request(CreateAclsRequest_v1(creations=creations))
        failed = [(code, message) for code, message in response.creation_responses if code]
        assert not failed, failed
        await admin.create_topics([NewTopic(name, 1, 1) for name in strimzi_topics()])
    finally:
        await admin.close()


@pytest.fixture(scope="module")
def secured_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecuredBroker]:
    libs = _kafka_libs()
    folder = tmp_path_factory.mktemp("kafka-sasl")
    taken: set[int] = set()
    port, controller = free_port(taken), free_port(taken)
    passwords = {user: secrets.token_urlsafe(18) for user in [ADMIN, *strimzi_users()]}
    properties = folder / "server.properties"
    properties.write_text(_server_properties(folder, port, controller, passwords[ADMIN]))
    log = folder / "kafka.log"
    log_config = folder / "log4j2.properties"
    log_config.write_text(
        "appender.file.type = File\nappender.file.name = FILE\n"
        f"appender.file.fileName = {log}\n"
        "appender.file.layout.type = PatternLayout\n"
        "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
        "rootLogger.level = WARN\nrootLogger.appenderRef.file.ref = FILE\n"
        "logger.kafka.name = kafka\nlogger.kafka.level = INFO\n"
    )
    scram = []
    for user, password in passwords.items():
        scram += ["--add-scram", f"SCRAM-SHA-512=[name={user},password={password}]"]
    subprocess.run(
        _java(
            libs,
            log_config,
            "kafka.tools.StorageTool",
            "format",
            "-t",
            _cluster_id(),
            "-c",
            str(properties),
            *scram,
        ),
        check=True,
        capture_output=True,
        timeout=300,
    )
    with (folder / "kafka.out").open("wb") as out:
        process = subprocess.Popen(
            _java(libs, log_config, "kafka.Kafka", str(properties)),
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
    broker = SecuredBroker(bootstrap=f"127.0.0.1:{port}", passwords=passwords)
    try:
        asyncio.run(_wait_ready(broker, process, log))
        asyncio.run(_load_acls(broker))
        yield broker
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _cluster_id() -> str:
    """A KRaft cluster id: 16 random bytes, URL-safe base64 without padding (22 characters)."""
    import base64

    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")


@pytest.fixture
async def registry_producer(secured_broker: SecuredBroker) -> AsyncIterator[Any]:
    producer = create_producer(
        secured_broker.bootstrap, security=secured_broker.as_user("ecom-registry")
    )
    await producer.start()
    yield producer
    await producer.stop()


async def test_a_client_without_credentials_is_refused(secured_broker: SecuredBroker) -> None:
    anonymous = create_admin_client(secured_broker.bootstrap, request_timeout_ms=3000)
    with pytest.raises(KafkaError):
        try:
            await anonymous.start()
            await anonymous.list_topics()
        finally:
            await anonymous.close()


async def test_a_wrong_password_is_refused(secured_broker: SecuredBroker) -> None:
    intruder = create_producer(
        secured_broker.bootstrap,
        security=secured_broker.as_user("ecom-registry", password="not-the-password"),
    )
    with pytest.raises(KafkaError):
        try:
            await intruder.start()
        finally:
            await intruder.stop()


async def test_a_service_cannot_write_another_services_topic(registry_producer: Any) -> None:
    with pytest.raises(TopicAuthorizationFailedError):
        await registry_producer.send_and_wait("awards.designation", b"{}", key=b"forged")
    # Nor a topic of an outside system.
    with pytest.raises(TopicAuthorizationFailedError):
        await registry_producer.send_and_wait("finance.payment", b"{}", key=b"forged")


async def test_a_service_writes_its_own_topic_and_its_readers_read_it(
    secured_broker: SecuredBroker, registry_producer: Any
) -> None:
    value = uuid.uuid4().hex.encode()
    await registry_producer.send_and_wait("registry.enterprise", value, key=b"e-1")
    # awards reads registry.enterprise in its own consumer group
    awards = create_consumer(
        "registry.enterprise",
        bootstrap_servers=secured_broker.bootstrap,
        group_id="awards",
        security=secured_broker.as_user("ecom-awards"),
    )
    await awards.start()
    try:
        seen: list[bytes] = []
        deadline = time.monotonic() + 60
        while value not in seen and time.monotonic() < deadline:
            batches = await awards.getmany(timeout_ms=1000)
            seen += [record.value for records in batches.values() for record in records]
        assert value in seen
        await awards.commit()
    finally:
        await awards.stop()


async def test_a_service_cannot_read_in_another_services_group(
    secured_broker: SecuredBroker,
) -> None:
    intruder = create_consumer(
        "registry.enterprise",
        bootstrap_servers=secured_broker.bootstrap,
        group_id="notifications",
        security=secured_broker.as_user("ecom-awards"),
    )
    with pytest.raises(GroupAuthorizationFailedError):
        try:
            await intruder.start()
            await intruder.getmany(timeout_ms=5000)
        finally:
            await intruder.stop()


async def test_the_outside_systems_write_only_their_own_topics(
    secured_broker: SecuredBroker,
) -> None:
    for user, own, other in (
        ("finance-system", "finance.payment", "awards.payment"),
        ("credit-system", "credit.record", "registry.enterprise"),
    ):
        producer = create_producer(secured_broker.bootstrap, security=secured_broker.as_user(user))
        await producer.start()
        try:
            await producer.send_and_wait(own, b"{}", key=b"k")
            with pytest.raises(TopicAuthorizationFailedError):
                await producer.send_and_wait(other, b"{}", key=b"k")
        finally:
            await producer.stop()


async def test_a_service_configured_by_its_settings_connects_as_its_user(
    secured_broker: SecuredBroker,
) -> None:
    """From the environment to the connection: <P>KAFKA_SECURITY_PROTOCOL, user and password
    reach the readiness probe's admin client (as they reach the relay's and consumer's)."""
    from shared.service.health import kafka_check
    from shared.settings import ServiceSettings

    def settings(password: str) -> ServiceSettings:
        return ServiceSettings(
            environment="test",
            database_url="postgresql://postgres@127.0.0.1:1/unused",
            kafka_bootstrap_servers=secured_broker.bootstrap,
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_username="ecom-notifications",
            kafka_sasl_password=password,  # type: ignore[arg-type]
        )

    good = settings(secured_broker.passwords["ecom-notifications"])
    await kafka_check(good.kafka_bootstrap_servers, KafkaSecurity.of(good))()
    bad = settings("not-the-password")
    with pytest.raises(KafkaError):
        await kafka_check(bad.kafka_bootstrap_servers, KafkaSecurity.of(bad))()
