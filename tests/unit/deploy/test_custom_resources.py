"""The platform examples' custom resources against the operators' own CRD schemas, offline.

The pinned CRDs (deploy/k8s/crds, what `make deploy-check` installs in a real API server) are
read here as JSON schemas, made strict the way the API server's field validation is (an unknown
field is an error unless the schema preserves unknown fields), so a misspelt or removed field
(a ``v1beta2`` one in a ``v1`` resource) fails `make test` too.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.unit.deploy.kafka_access import ROOT

CRDS = ROOT / "deploy" / "k8s" / "crds"
EXAMPLES = ROOT / "deploy" / "k8s" / "platform-examples"

Schema = dict[str, Any]


def strict(schema: Schema) -> Schema:
    """Kubernetes' structural-schema rules as JSON Schema: closed objects, int-or-string."""
    schema = copy.deepcopy(schema)

    def visit(node: Any) -> None:
        if isinstance(node, dict):
            if node.pop("x-kubernetes-int-or-string", False):
                node.pop("type", None)
                node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
            node.pop("x-kubernetes-validations", None)
            if node.pop("nullable", False) and "type" in node:
                node["type"] = [node["type"], "null"]
            preserve = node.pop("x-kubernetes-preserve-unknown-fields", False)
            if node.get("type") == "object" and "properties" in node and not preserve:
                node.setdefault("additionalProperties", False)
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(schema)
    return schema


@cache
def crd_schemas() -> dict[tuple[str, str], Schema]:
    """(apiVersion, kind) -> the served version's schema."""
    schemas = {}
    for path in sorted(CRDS.rglob("*.yaml")):
        # the C loader when PyYAML has it: the CRDs are a few megabytes
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        for crd in yaml.load_all(path.read_text(encoding="utf-8"), Loader=loader):
            if not crd or crd.get("kind") != "CustomResourceDefinition":
                continue
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served"):
                    schema = version["schema"]["openAPIV3Schema"]
                    schemas[(f"{group}/{version['name']}", kind)] = strict(schema)
    return schemas


def custom_resources() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document and "." in document.get("apiVersion", "").split("/")[0]:
                if not document["apiVersion"].startswith("networking.k8s.io/"):
                    found.append((path.name, document))
    return found


def test_the_vendored_crds_keep_their_licences() -> None:
    folders = [p for p in CRDS.iterdir() if p.is_dir()]
    assert {p.name.rsplit("-", 1)[0] for p in folders} >= {
        "strimzi",
        "cloudnative-pg",
        "plugin-barman-cloud",
        "prometheus-operator",
    }
    for folder in folders:
        assert (folder / "LICENSE").read_text(encoding="utf-8").strip(), folder.name


def test_strimzi_serves_only_v1() -> None:
    versions = {api for api, _ in crd_schemas() if api.startswith("kafka.strimzi.io/")}
    assert versions == {"kafka.strimzi.io/v1"}


@pytest.mark.parametrize(
    ("example", "resource"),
    custom_resources(),
    ids=lambda value: value if isinstance(value, str) else value["metadata"]["name"],
)
def test_custom_resource_matches_its_crd(example: str, resource: dict[str, Any]) -> None:
    schemas = crd_schemas()
    key = (resource["apiVersion"], resource["kind"])
    assert key in schemas, f"{example}: no served CRD for {key} in deploy/k8s/crds"
    document = {k: v for k, v in resource.items() if k != "metadata"}
    schema = dict(schemas[key])
    # metadata is the API server's ObjectMeta, not part of the CRD's schema
    schema["properties"] = {k: v for k, v in schema["properties"].items() if k != "metadata"}
    schema["required"] = [k for k in schema.get("required", []) if k != "metadata"]
    errors = sorted(
        jsonschema.Draft7Validator(schema).iter_errors(document), key=lambda e: list(e.path)
    )
    assert not errors, "\n".join(
        f"{example} {resource['kind']}/{resource['metadata']['name']}: "
        f"{'.'.join(str(p) for p in e.path)}: {e.message}"
        for e in errors
    )


def test_examples_have_no_custom_resource_outside_the_pinned_operators() -> None:
    assert {r["apiVersion"].split("/")[0] for _, r in custom_resources()} == {
        "kafka.strimzi.io",
        "postgresql.cnpg.io",
        "barmancloud.cnpg.io",
    }


def test_the_crd_folders_name_their_versions() -> None:
    for folder in CRDS.iterdir():
        if folder.is_dir():
            assert Path(folder.name).name.rsplit("-", 1)[1][0].isdigit(), folder.name
