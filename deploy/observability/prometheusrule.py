"""Writes k8s/prometheusrule.yaml (a PrometheusRule for the Prometheus Operator) from the plain
rules file rules/ecommerce-programmes.rules.yaml, so that the two never differ:

    uv run --frozen python deploy/observability/prometheusrule.py           # write
    uv run --frozen python deploy/observability/prometheusrule.py --check   # exit 1 if stale
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
RULES = HERE / "rules" / "ecommerce-programmes.rules.yaml"
TARGET = HERE / "k8s" / "prometheusrule.yaml"
HEADER = (
    "# GENERATED from ../rules/ecommerce-programmes.rules.yaml by ../prometheusrule.py: edit the\n"
    "# rules file and run it again. The label `release` is what kube-prometheus-stack's default\n"
    "# ruleSelector matches; set it to your Prometheus's.\n"
)


def render() -> str:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    document = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {
            "name": "ecommerce-programmes",
            "namespace": "observability",
            "labels": {"release": "kube-prometheus-stack"},
        },
        "spec": {"groups": groups},
    }
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return HEADER + body


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if TARGET.read_text(encoding="utf-8") != text:
            print(f"{TARGET} is stale: run {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
