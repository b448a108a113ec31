"""The CloudNativePG platform example: backups, the roles docs/audit.md asks for, and a
``max_connections`` that holds every pool at the autoscalers' maximum (the README's sum)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import yaml

from shared.settings import ServiceSettings
from tests.unit.deploy.kafka_access import ROOT
from tests.unit.test_deploy_manifests import ROLES, base_name, by_name, of_kind, rendered

EXAMPLES = ROOT / "deploy" / "k8s" / "platform-examples"
BARMAN_CLOUD = "barman-cloud.cloudnative-pg.io"
# Connections PostgreSQL keeps for superusers and the operator's own instance manager, beyond
# the applications' pools.
RESERVED = 20

Doc = dict[str, Any]


def documents(name: str) -> list[Doc]:
    return [d for d in yaml.safe_load_all((EXAMPLES / name).read_text(encoding="utf-8")) if d]


def cnpg(kind: str) -> dict[str, Doc]:
    return {
        d["metadata"]["name"]: d
        for d in documents("postgresql-cloudnativepg.yaml")
        if d["kind"] == kind
    }


def _pool(path: str, pattern: str) -> int:
    """The max_size of the pool that ``pattern`` finds in ``path`` (a file, or a folder whose
    files are searched together; keeps the table below true)."""
    where = ROOT / path
    files = sorted(where.rglob("*.py")) if where.is_dir() else [where]
    found = [n for f in files for n in re.findall(pattern, f.read_text(encoding="utf-8"))]
    assert len(found) == 1, f"{path}: {pattern!r} found {len(found)} times"
    return int(found[0])


def pool_per_process() -> dict[str, int]:
    """Connections one process of each role opens at most."""
    entrypoints = "shared/src/shared/service/entrypoints.py"
    relay = sum(
        int(n)
        for n in re.findall(
            r"create_pool\(settings\.database_url, min_size=1, max_size=(\d+)\)\n",
            (ROOT / entrypoints)
            .read_text(encoding="utf-8")
            .split("async def relay_role", 1)[1]
            .split("def run_relay", 1)[0],
        )
    )
    assert "LaneLease(dsn=" in (ROOT / "shared/src/shared/messaging/relay.py").read_text()
    return {
        "api": ServiceSettings.model_fields["database_pool_max_size"].default,
        # the outbox pool, the auditor's pool, and the lane lease's own connection
        "relay": relay + 1,
        "consumer": _pool(
            entrypoints,
            r"pool = await create_pool\(settings\.database_url, min_size=1, max_size=(\d+)\)\n"
            r"    physical_topics",
        ),
        "worker": _pool(
            "shared/src/shared/service/worker.py", r"create_pool\([^)]*max_size=(\d+)\)"
        ),
        # the importer's pool (the registry's migrate role opens a one-connection pool of its
        # own after the migrations, to record the programme files: within "migrate" below)
        "importer": _pool(
            "services/registry/src",
            r"async def run_importer[^\n]*\n(?:.*\n){0,5}?.*create_pool\([^)]*max_size=(\d+)\)",
        ),
        "sender": _pool("services/notifications/src", r"create_pool\([^)]*max_size=(\d+)\)"),
        # yoyo's connection, the grants' connection and (registry) the programme files' pool of
        # one, one after the other: at most two
        "migrate": 2,
        # ecom-audit opens one connection
        "job": 1,
    }


def application_connections() -> int:
    docs = rendered("production")
    pools = pool_per_process()
    autoscalers = {
        hpa["spec"]["scaleTargetRef"]["name"]: hpa
        for hpa in of_kind(docs, "HorizontalPodAutoscaler")
    }
    total = 0
    for name, deployment in by_name(docs, "Deployment").items():
        role = name.split("-", 1)[1]
        if name in autoscalers:
            replicas = autoscalers[name]["spec"]["maxReplicas"]
        else:
            replicas = deployment["spec"]["replicas"]
        total += pools[role] * replicas
        # A rollout starts up to maxSurge new pods, each migrating first.
        surge = deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
        if isinstance(surge, str) and surge.endswith("%"):
            surge = math.ceil(replicas * int(surge[:-1]) / 100)
        total += pools["migrate"] * int(surge)
    total += pools["job"] * len(of_kind(docs, "CronJob"))
    return total


def temporal_connections() -> int:
    values = yaml.safe_load((EXAMPLES / "temporal-helm-values.yaml").read_text(encoding="utf-8"))
    server = values["server"]
    stores = server["config"]["persistence"]["datastores"].values()
    per_pod = sum(store["sql"]["maxConns"] for store in stores)
    # frontend, history, matching and worker, each server.replicaCount pods
    return 4 * server["replicaCount"] * per_pod


def test_max_connections_holds_every_pool_at_its_maximum() -> None:
    (cluster,) = cnpg("Cluster").values()
    configured = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
    needed = application_connections() + temporal_connections() + RESERVED
    assert configured >= needed, f"max_connections {configured} < {needed}"
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    # The README shows the same sum.
    assert f"= {application_connections()}" in readme
    assert f"= {temporal_connections()}" in readme
    assert f"max_connections` {configured}" in readme


def test_wal_archiving_backups_and_retention_go_through_the_barman_cloud_plugin() -> None:
    (cluster,) = cnpg("Cluster").values()
    (plugin,) = cluster["spec"]["plugins"]
    assert plugin["name"] == BARMAN_CLOUD and plugin["isWALArchiver"] is True
    assert "backup" not in cluster["spec"], "the in-tree barmanObjectStore is deprecated"
    store = cnpg("ObjectStore")[plugin["parameters"]["barmanObjectName"]]
    assert store["apiVersion"] == "barmancloud.cnpg.io/v1"
    assert re.fullmatch(r"\d+[dwm]", store["spec"]["retentionPolicy"])
    assert store["spec"]["configuration"]["destinationPath"]
    (scheduled,) = cnpg("ScheduledBackup").values()
    assert scheduled["spec"]["cluster"]["name"] == cluster["metadata"]["name"]
    assert scheduled["spec"]["method"] == "plugin"
    assert scheduled["spec"]["pluginConfiguration"]["name"] == BARMAN_CLOUD
    assert len(scheduled["spec"]["schedule"].split()) == 6  # seconds first


def test_managed_roles_are_the_ones_the_services_connect_as() -> None:
    (cluster,) = cnpg("Cluster").values()
    roles = {role["name"]: role for role in cluster["spec"]["managed"]["roles"]}
    appender = roles["audit_appender"]
    assert appender["login"] is False and "passwordSecret" not in appender
    databases = {d["spec"]["name"]: d["spec"]["owner"] for d in cnpg("Database").values()}
    initdb = cluster["spec"]["bootstrap"]["initdb"]
    databases[initdb["database"]] = initdb["owner"]
    assert set(databases) == set(ROLES)
    config_maps = {base_name(n): c for n, c in by_name(rendered("production"), "ConfigMap").items()}
    for service in ROLES:
        owner = roles[databases[service]]
        assert owner["login"] is True and owner["passwordSecret"]["name"]
        # migrate grants audit_appender to the app role
        assert owner["createrole"] is True
        app_role = config_maps[f"{service}-config"]["data"][f"{service.upper()}_DATABASE_APP_ROLE"]
        app = roles[app_role]
        assert app["login"] is True and app["passwordSecret"]["name"]
        assert app["inRoles"] == ["audit_appender"]
        for right in ("superuser", "createdb", "createrole", "bypassrls", "replication"):
            assert not app.get(right), f"{app_role}: {right}"
    for role in roles.values():
        assert role["ensure"] == "present"


def test_the_temporal_values_pin_a_released_chart() -> None:
    text = (EXAMPLES / "temporal-helm-values.yaml").read_text(encoding="utf-8")
    (version,) = re.findall(r"--version (\S+)", text)
    assert re.fullmatch(r"1\.\d+\.\d+", version), version
    assert Path(ROOT / "tools" / "deploy-check" / "deploy-check.sh").read_text().count(version)
